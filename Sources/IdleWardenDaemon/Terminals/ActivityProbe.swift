import IdleWardenCore

/// Finds a session's terminals and reads what the kernel records on them.
struct ActivityProbe {
    let devices: any Terminals

    /// The terminals of a session that count for it (see `TerminalOwnership`), with what each shows now: the one
    /// PAM_TTY names, and the controlling terminals of the session's processes that run as its user (sshd
    /// registers before its pty exists, one ssh connection may carry several, and a pty opened later counts).
    func terminals(of session: Session, in table: ProcessTable) -> [String: TerminalStamp] {
        var found: [String: TerminalStamp] = [:]
        if let device = devices.device(forPAMTTY: session.facts.tty), let stamp = devices.stamp(of: device),
           TerminalOwnership.counts(owner: stamp.owner, isPAMTerminal: true, of: session) {
            found[device] = stamp
        }
        var seen: Set<UInt32> = []
        for member in table.members(of: session.leader) where member.realUID == session.facts.uid {
            guard member.ttyNumber != 0, seen.insert(member.ttyNumber).inserted,
                  let path = devices.device(forTTYNumber: member.ttyNumber), found[path] == nil,
                  let stamp = devices.stamp(of: path),
                  TerminalOwnership.counts(owner: stamp.owner, isPAMTerminal: false, of: session)
            else { continue }
            found[path] = stamp
        }
        return found
    }

    /// What each of `terminals` shows now; one that is gone is left out.
    func stamps(of terminals: [String]) -> [String: TerminalStamp] {
        var stamps: [String: TerminalStamp] = [:]
        for terminal in terminals { stamps[terminal] = devices.stamp(of: terminal) }
        return stamps
    }
}
