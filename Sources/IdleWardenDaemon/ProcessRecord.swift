import IdleWardenCore
import SystemPackage

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

    public var identity: ProcessIdentity { ProcessIdentity(pid: pid, startTime: startTime) }

    /// Reads one process; nil when it is gone or unreadable (a process may exit at any moment).
    public static func read(pid: Int32) -> ProcessRecord? {
        guard let stat = ProcFile.read("/proc/\(pid)/stat"),
              var record = parseStat(stat)
        else { return nil }
        guard let status = ProcFile.read("/proc/\(pid)/status"),
              let uid = parseRealUID(status)
        else { return nil }
        record.realUID = uid
        return record
    }

    /// Parses /proc/PID/stat. The command name (field 2) may hold spaces and parentheses, so fields are
    /// counted from the last ')'.
    public static func parseStat(_ text: [UInt8]) -> ProcessRecord? {
        guard let close = text.lastIndex(of: UInt8(ascii: ")")),
              let open = text.firstIndex(of: UInt8(ascii: "(")),
              let pid = Int32(String(decoding: text[..<open], as: UTF8.self).trimmingSpaces)
        else { return nil }
        let rest = text[(close + 1)...].split(separator: UInt8(ascii: " "))
        // rest[0] is field 3 (state); field N is rest[N - 3].
        guard rest.count >= 20,
              let ppid = Int32(String(decoding: rest[1], as: UTF8.self)),
              let pgrp = Int32(String(decoding: rest[2], as: UTF8.self)),
              let sid = Int32(String(decoding: rest[3], as: UTF8.self)),
              let tty = Int64(String(decoding: rest[4], as: UTF8.self)),
              let start = UInt64(String(decoding: rest[19], as: UTF8.self))
        else { return nil }
        return ProcessRecord(
            pid: pid, ppid: ppid, processGroup: pgrp, sid: sid, ttyNumber: UInt32(truncatingIfNeeded: tty),
            startTime: start, realUID: UInt32.max, name: String(decoding: text[(open + 1)..<close], as: UTF8.self))
    }

    static func parseRealUID(_ text: [UInt8]) -> UInt32? {
        for line in text.split(separator: UInt8(ascii: "\n")) where line.starts(with: Array("Uid:".utf8)) {
            let fields = line.dropFirst(4).split(whereSeparator: { $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: " ") })
            return fields.first.flatMap { UInt32(String(decoding: $0, as: UTF8.self)) }
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
