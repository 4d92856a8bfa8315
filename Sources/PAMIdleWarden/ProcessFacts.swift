import CPAM

/// Who is calling the module: the login process (sshd's `[priv]` monitor, login, su), its session id, and
/// its start time in clock ticks since boot, which together with the pid names the process even after the
/// pid is reused.
struct ProcessFacts {
    let pid: Int32
    let sid: Int32
    let startTime: UInt64

    /// Nil when /proc/self/stat cannot be read or parsed.
    static func current() -> ProcessFacts? {
        guard let startTime = readStartTime() else { return nil }
        return ProcessFacts(pid: getpid(), sid: getsid(0), startTime: startTime)
    }

    /// Field 22 of /proc/self/stat. The second field (comm) is in parentheses and may itself contain spaces
    /// and parentheses, so counting starts after the last `)`. Read with open/read into a fixed buffer.
    static func readStartTime() -> UInt64? {
        let capacity = 1024
        let path: StaticString = "/proc/self/stat"
        let fd = cpam_open_read(UnsafeRawPointer(path.utf8Start).assumingMemoryBound(to: CChar.self))
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer -> UInt64? in
            guard let base = buffer.baseAddress else { return nil }
            var filled = 0
            while filled < capacity {
                let got = read(fd, base + filled, capacity - filled)
                if got < 0 {
                    if cpam_errno() == EINTR { continue }
                    return nil
                }
                if got == 0 { break }
                filled &+= got
            }
            return parseStartTime(UnsafeBufferPointer(start: base, count: min(filled, capacity)))
        }
    }

    /// Parses field 22 out of a /proc/PID/stat line; nil if absent, not a number, or overflowing.
    static func parseStartTime(_ line: UnsafeBufferPointer<UInt8>) -> UInt64? {
        var closing = -1
        var index = 0
        while index < line.count {
            if line[index] == 0x29 { closing = index }  // ")"
            index &+= 1
        }
        guard closing >= 0 else { return nil }
        index = closing &+ 1
        var field = 2  // comm, which ends at the last ")"
        while index < line.count {
            while index < line.count, line[index] == 0x20 { index &+= 1 }
            guard index < line.count else { return nil }
            field &+= 1
            if field == 22 {
                var value: UInt64 = 0
                var digits = 0
                while index < line.count, line[index] >= 0x30, line[index] <= 0x39 {
                    let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
                    let (sum, overflow2) = shifted.addingReportingOverflow(UInt64(line[index] &- 0x30))
                    guard !overflow1, !overflow2 else { return nil }
                    value = sum
                    digits &+= 1
                    index &+= 1
                }
                // The number must end at a separator, not at the end of what was read (it may be cut).
                guard digits > 0, index < line.count, line[index] == 0x20 || line[index] == 0x0A else {
                    return nil
                }
                return value
            }
            while index < line.count, line[index] != 0x20 { index &+= 1 }
        }
        return nil
    }
}
