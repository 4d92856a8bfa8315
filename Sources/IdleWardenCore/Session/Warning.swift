/// A warning that was written to a session's terminals. The session is not ended before `issuedAt` plus
/// the session's `warnBefore`, so every user gets the full notice the config promises, even when the daemon
/// was stopped past the deadline or a reload shortened the limit.
public struct Warning: Equatable, Sendable, Codable {
    public var issuedAt: Instant
    public var deadline: Instant
    public var reason: EndReason
    /// When it was given again (`warn_again`); nil until then.
    public var repeatedAt: Instant?

    public init(issuedAt: Instant, deadline: Instant, reason: EndReason) {
        self.issuedAt = issuedAt
        self.deadline = deadline
        self.reason = reason
    }
}
