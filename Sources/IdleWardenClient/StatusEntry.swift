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
    /// active, inhibited (held by `idlewarden inhibit`), warned, exempt, no-tty, pending (terminals not found yet),
    /// terminating; for a graphical session with `graphical = false`: unchecked.
    public var state: String
    public var exemptReason: String?
    public var terminals: [String]
    public var idleSeconds: Int64
    public var idleTimeoutSeconds: Int64
    /// Wall-clock seconds of the next warning or end, when one is scheduled.
    public var nextDeadline: Int64?
    /// The X display of a graphical session (PAM_TTY ":N"), also listed first in `terminals`; nil otherwise.
    public var display: String?
    /// The processes holding the session (`idlewarden inhibit`), oldest first.
    public var inhibitors: [StatusInhibitor]
    /// The login's own systemd-logind session id (`3`, `c1`); nil without logind or without a session of its own.
    public var logindSession: String?
    /// That session's scope, as a cgroup path (`/user.slice/user-1000.slice/session-3.scope`).
    public var scope: String?
    /// If there is no input from now on: when the warning comes (or came; nil when there is none) and when the
    /// session ends, and why (`idle` or `max-session`); all nil for a session that is never ended.
    public var warnAt: Int64?
    public var endAt: Int64?
    public var endReason: String?
    public var warnBeforeSeconds: Int64?
    public var maxSessionSeconds: Int64?
    /// Whether `idlewarden keepalive` may keep this session alive (allow_keepalive).
    public var keepaliveAllowed: Bool?

    public init(
        id: String, user: String, uid: UInt32, service: String, tty: String?, rhost: String?, pid: Int32,
        openedAt: Int64, state: String, exemptReason: String?, terminals: [String], idleSeconds: Int64,
        idleTimeoutSeconds: Int64, nextDeadline: Int64?, display: String?, logindSession: String? = nil,
        scope: String? = nil, warnAt: Int64? = nil, endAt: Int64? = nil,
        endReason: String? = nil, warnBeforeSeconds: Int64? = nil, maxSessionSeconds: Int64? = nil,
        keepaliveAllowed: Bool? = nil, inhibitors: [StatusInhibitor] = []
    ) {
        self.id = id
        self.user = user
        self.uid = uid
        self.service = service
        self.tty = tty
        self.rhost = rhost
        self.pid = pid
        self.openedAt = openedAt
        self.state = state
        self.exemptReason = exemptReason
        self.terminals = terminals
        self.idleSeconds = idleSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.nextDeadline = nextDeadline
        self.display = display
        self.logindSession = logindSession
        self.scope = scope
        self.warnAt = warnAt
        self.endAt = endAt
        self.endReason = endReason
        self.warnBeforeSeconds = warnBeforeSeconds
        self.maxSessionSeconds = maxSessionSeconds
        self.keepaliveAllowed = keepaliveAllowed
        self.inhibitors = inhibitors
    }

    enum CodingKeys: String, CodingKey {
        case id, user, uid, service, tty, rhost, pid, state, terminals, display, scope, inhibitors
        case logindSession = "logind_session"
        case openedAt = "opened_at"
        case exemptReason = "exempt_reason"
        case idleSeconds = "idle_seconds"
        case idleTimeoutSeconds = "idle_timeout_seconds"
        case nextDeadline = "next_deadline"
        case warnAt = "warn_at"
        case endAt = "end_at"
        case endReason = "end_reason"
        case warnBeforeSeconds = "warn_before_seconds"
        case maxSessionSeconds = "max_session_seconds"
        case keepaliveAllowed = "keepalive_allowed"
    }

    /// Absent values are written as null, never left out: scripts can rely on every key being there.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(user, forKey: .user)
        try container.encode(uid, forKey: .uid)
        try container.encode(service, forKey: .service)
        try container.encode(tty, forKey: .tty)
        try container.encode(rhost, forKey: .rhost)
        try container.encode(pid, forKey: .pid)
        try container.encode(openedAt, forKey: .openedAt)
        try container.encode(state, forKey: .state)
        try container.encode(exemptReason, forKey: .exemptReason)
        try container.encode(terminals, forKey: .terminals)
        try container.encode(idleSeconds, forKey: .idleSeconds)
        try container.encode(idleTimeoutSeconds, forKey: .idleTimeoutSeconds)
        try container.encode(nextDeadline, forKey: .nextDeadline)
        try container.encode(display, forKey: .display)
        try container.encode(inhibitors, forKey: .inhibitors)
        try container.encode(logindSession, forKey: .logindSession)
        try container.encode(scope, forKey: .scope)
        try container.encode(warnAt, forKey: .warnAt)
        try container.encode(endAt, forKey: .endAt)
        try container.encode(endReason, forKey: .endReason)
        try container.encode(warnBeforeSeconds, forKey: .warnBeforeSeconds)
        try container.encode(maxSessionSeconds, forKey: .maxSessionSeconds)
        try container.encode(keepaliveAllowed, forKey: .keepaliveAllowed)
    }
}
