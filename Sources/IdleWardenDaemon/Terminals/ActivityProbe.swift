import IdleWardenCore

/// Finds a session's terminals and reads their input times. Reading a device's metadata never counts as
/// input and never touches the terminal itself.
public struct ActivityProbe: Sendable {
    public init() {}

    /// The terminals of a session: PAM_TTY when it names a device, plus the controlling terminals of the
    /// session's processes (sshd registers before its pty exists, and one ssh connection may carry several).
    public func terminals(of session: Session, in table: ProcessTable) -> [String] {
        var found: [String] = []
        if let device = TerminalDevice.path(forPAMTTY: session.facts.tty) { found.append(device) }
        for member in table.members(of: session.leader) where member.realUID == session.facts.uid {
            if let path = TerminalDevice.path(forTTYNumber: member.ttyNumber), !found.contains(path) {
                found.append(path)
            }
        }
        return found.sorted()
    }

    /// The newest atime among `terminals`; with `countOutput`, the newest of atime and mtime.
    public func latestActivity(_ terminals: [String], countOutput: Bool = false) -> Int64? {
        var latest: Int64?
        for terminal in terminals {
            var times = [TerminalDevice.atimeSeconds(terminal)]
            if countOutput { times.append(TerminalDevice.mtimeSeconds(terminal)) }
            for case let time? in times where time > (latest ?? Int64.min) { latest = time }
        }
        return latest
    }
}
