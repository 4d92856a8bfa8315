import IdleWardenCore

/// One session as `idlewarden status` shows it. The JSON keys are a stable interface for scripts.
public struct StatusEntry: Codable, Equatable, Sendable {
    public var id: String
    public var user: String
    public var uid: UInt32
    public var service: String
    public var tty: String?
    public var rhost: String?
    public var pid: Int32
    public var openedAt: Int64
    /// active, warned, exempt, no-tty, pending (terminals not found yet), terminating.
    public var state: String
    public var exemptReason: String?
    public var terminals: [String]
    public var idleSeconds: Int64
    public var idleTimeoutSeconds: Int64
    /// Wall-clock seconds of the next warning or end, when one is scheduled.
    public var nextDeadline: Int64?

    enum CodingKeys: String, CodingKey {
        case id, user, uid, service, tty, rhost, pid, state, terminals
        case openedAt = "opened_at"
        case exemptReason = "exempt_reason"
        case idleSeconds = "idle_seconds"
        case idleTimeoutSeconds = "idle_timeout_seconds"
        case nextDeadline = "next_deadline"
    }

    public init(session: Session, now: Instant, nextDeadline: Instant?) {
        id = session.id
        user = session.facts.user
        uid = session.facts.uid
        service = session.facts.service
        tty = session.facts.tty
        rhost = session.facts.rhost
        pid = session.leader.pid
        openedAt = session.openedAt.seconds
        exemptReason = session.limits.exemption?.description
        terminals = session.terminals
        idleSeconds = session.idle(now: now).wholeSeconds
        idleTimeoutSeconds = session.limits.idleTimeout.wholeSeconds
        self.nextDeadline = nextDeadline?.seconds
        if session.ending != nil {
            state = "terminating"
        } else if session.limits.exemption != nil {
            state = "exempt"
        } else if session.warning != nil {
            state = "warned"
        } else if session.terminals.isEmpty {
            state = session.terminalDiscovery == .settled && !session.limits.checkNoTTY ? "no-tty" : "pending"
        } else {
            state = "active"
        }
    }
}
