import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// The fields of /proc/PID/stat and /proc/PID/status that idlewarden uses to tell processes apart and
/// to find a session's terminals and members.
public struct ProcessRecord: Equatable, Sendable {
    public var pid: Int32
    public var ppid: Int32
    public var processGroup: Int32
    public var sid: Int32
    /// Controlling terminal as the kernel encodes it (0 = none).
    public var ttyNumber: UInt32
    public var startTime: UInt64
    public var realUID: UInt32
    /// The command name (/proc/PID/stat field 2), at most 15 bytes, chosen by the process itself: used only to
    /// recognise login processes at start-up, never to decide what to signal.
    public var name: String = ""
    /// Threads when stat was read: a single-threaded process has one children file to read.
    public var threads: Int32 = 1
    /// The state letter of /proc/PID/stat field 3 (`R`, `S`, `D`, `T` stopped, `t` traced, `Z` zombie, ...).
    public var state: UInt8 = UInt8(ascii: "S")
    /// The PID namespace it is in, seen from the daemon's; read only where it decides something (see `PIDNamespace`).
    var pidNamespace: PIDNamespace = .own

    /// A zombie has exited: it waits for its parent to reap it and can do nothing more.
    public var hasExited: Bool { state == UInt8(ascii: "Z") || state == UInt8(ascii: "X") || state == UInt8(ascii: "x") }
    /// Stopped by a signal or a tracer: it runs no code until it is continued.
    public var isStopped: Bool { state == UInt8(ascii: "T") || state == UInt8(ascii: "t") }

    public var identity: ProcessIdentity { ProcessIdentity(pid: pid, startTime: startTime) }

    /// Parses /proc/PID/stat. The command name (field 2) may hold spaces and parentheses, so fields are
    /// counted from the last ')'.
    public static func parseStat(_ text: [UInt8]) -> ProcessRecord? {
        text.withUnsafeBufferPointer { parseStat($0) }
    }

    static func parseStat(_ text: UnsafeBufferPointer<UInt8>) -> ProcessRecord? {
        guard let close = text.lastIndex(of: UInt8(ascii: ")")),
              let open = text.firstIndex(of: UInt8(ascii: "(")), open < close,
              let pid: Int32 = ProcText.number(ProcText.trimmed(text[..<open]))
        else { return nil }
        var state: UInt8?, ppid: Int32?, pgrp: Int32?, sid: Int32?, tty: Int64?, threads: Int32?, start: UInt64?
        var index = close + 1
        // Fields 3 (state) to 22 (starttime); only the ones read below are parsed.
        for field in 3...22 {
            while index < text.endIndex && text[index] == UInt8(ascii: " ") { index += 1 }
            let begin = index
            while index < text.endIndex && text[index] != UInt8(ascii: " ") && text[index] != UInt8(ascii: "\n") {
                index += 1
            }
            guard index > begin else { return nil }
            let token = text[begin..<index]
            switch field {
            case 3: state = token.count == 1 ? token.first : nil
            case 4: ppid = ProcText.number(token)
            case 5: pgrp = ProcText.number(token)
            case 6: sid = ProcText.number(token)
            case 7: tty = ProcText.number(token)
            case 20: threads = ProcText.number(token)
            case 22: start = ProcText.number(token)
            default: continue
            }
        }
        guard let state, let ppid, let pgrp, let sid, let tty, let threads, let start else { return nil }
        return ProcessRecord(
            pid: pid, ppid: ppid, processGroup: pgrp, sid: sid, ttyNumber: UInt32(truncatingIfNeeded: tty),
            startTime: start, realUID: UInt32.max, name: String(decoding: text[(open + 1)..<close], as: UTF8.self),
            threads: threads, state: state)
    }

    static func parseRealUID(_ text: [UInt8]) -> UInt32? {
        text.withUnsafeBufferPointer { parseRealUID($0) }
    }

    /// The first number of the "Uid:" line (real, effective, saved, filesystem).
    static func parseRealUID(_ text: UnsafeBufferPointer<UInt8>) -> UInt32? {
        let key: [UInt8] = Array("Uid:".utf8)
        var lineStart = text.startIndex
        while lineStart < text.endIndex {
            let lineEnd = text[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? text.endIndex
            if text[lineStart..<lineEnd].starts(with: key) {
                var index = lineStart + key.count
                while index < lineEnd && (text[index] == UInt8(ascii: "\t") || text[index] == UInt8(ascii: " ")) {
                    index += 1
                }
                let begin = index
                while index < lineEnd && text[index] >= UInt8(ascii: "0") && text[index] <= UInt8(ascii: "9") {
                    index += 1
                }
                return ProcText.number(text[begin..<index])
            }
            lineStart = lineEnd + 1
        }
        return nil
    }

    /// How many pids the "NSpid:" line of /proc/PID/status gives (one per PID namespace from the reader's down to
    /// the process's own); nil without the line (a kernel before 4.1).
    static func parseNamespacePIDs(_ text: UnsafeBufferPointer<UInt8>) -> Int? {
        let key = Array("NSpid:".utf8)
        var lineStart = text.startIndex
        while lineStart < text.endIndex {
            let lineEnd = text[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? text.endIndex
            if text[lineStart..<lineEnd].starts(with: key) {
                let count = text[(lineStart + key.count)..<lineEnd]
                    .split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }).count
                return count > 0 ? count : nil
            }
            lineStart = lineEnd + 1
        }
        return nil
    }

    /// The hexadecimal mask of the "SigIgn:" line of /proc/PID/status.
    static func parseIgnoredSignals(_ text: UnsafeBufferPointer<UInt8>) -> UInt64? {
        let key = Array("SigIgn:".utf8)
        var lineStart = text.startIndex
        while lineStart < text.endIndex {
            let lineEnd = text[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? text.endIndex
            if text[lineStart..<lineEnd].starts(with: key) {
                let value = String(decoding: text[(lineStart + key.count)..<lineEnd], as: UTF8.self)
                return UInt64(value.filter { $0 != " " && $0 != "\t" }, radix: 16)
            }
            lineStart = lineEnd + 1
        }
        return nil
    }
}

extension String {
    var trimmingSpaces: String {
        var scalars = Substring(self)
        while scalars.first == " " { scalars.removeFirst() }
        while scalars.last == " " || scalars.last == "\n" { scalars.removeLast() }
        return String(scalars)
    }
}
