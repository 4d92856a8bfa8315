/// Whether the session's terminals are still being looked for. sshd registers its session before it
/// allocates the pty, so the terminals of a fresh session are searched again shortly after open; once
/// settled, a session without a terminal is reported as such and not idle-checked (unless configured).
public enum TerminalDiscovery: Equatable, Sendable, Codable {
    case pending(attempt: Int)
    case settled

    /// Offsets from open at which terminals are searched for again.
    public static let retryOffsets: [Duration] = [.seconds(1), .seconds(3), .seconds(10)]

    public func nextAttempt(openedAt: Instant) -> Instant? {
        guard case .pending(let attempt) = self, attempt < Self.retryOffsets.count else { return nil }
        return openedAt + Self.retryOffsets[attempt]
    }

    /// The state after one more search; `found` settles it at once.
    public func advanced(found: Bool) -> TerminalDiscovery {
        guard case .pending(let attempt) = self, !found else { return .settled }
        return attempt + 1 >= Self.retryOffsets.count ? .settled : .pending(attempt: attempt + 1)
    }
}
