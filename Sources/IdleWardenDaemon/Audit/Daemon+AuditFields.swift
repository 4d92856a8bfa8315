import IdleWardenCore

/// The fields that audit lines about a session share.
extension Daemon {
    func sessionFields(_ session: Session) -> [(String, String?)] {
        [
            ("session", session.id), ("user", session.facts.user), ("uid", String(session.facts.uid)),
            ("service", session.facts.service), ("tty", session.facts.tty), ("rhost", session.facts.rhost),
        ]
    }

    func terminalField(_ session: Session) -> String {
        if !session.terminals.isEmpty { return session.terminals.joined(separator: ",") }
        return session.terminalDiscovery == .settled ? "none" : "pending"
    }

    /// How many of the terminals a notice reached: `written/all`.
    func deliveryField(_ results: [TerminalWriter.Outcome]) -> String {
        let written = results.filter { $0 == .written }.count
        return "\(written)/\(results.count)"
    }
}
