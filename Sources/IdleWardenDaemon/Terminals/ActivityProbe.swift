import IdleWardenCore

/// Finds a session's terminals and reads their input times.
struct ActivityProbe {
    let devices: any Terminals

    /// The terminals of a session: PAM_TTY when it names a device, plus the controlling terminals of the
    /// session's processes (sshd registers before its pty exists, and one ssh connection may carry several).
    func terminals(of session: Session, in table: ProcessTable) -> [String] {
        var found: [String] = []
        if let device = devices.device(forPAMTTY: session.facts.tty) { found.append(device) }
        for member in table.members(of: session.leader) where member.realUID == session.facts.uid {
            if let path = devices.device(forTTYNumber: member.ttyNumber), !found.contains(path) {
                found.append(path)
            }
        }
        return found.sorted()
    }

    /// The newest atime among `terminals`; with `countOutput`, the newest of atime and mtime.
    func latestActivity(_ terminals: [String], countOutput: Bool = false) -> Int64? {
        var latest: Int64?
        for terminal in terminals {
            guard let times = devices.times(of: terminal) else { continue }
            let time = countOutput ? max(times.access, times.modification) : times.access
            if time > (latest ?? Int64.min) { latest = time }
        }
        return latest
    }
}
