/// Whether the first searches for a session's terminals are done. sshd registers its session before it allocates
/// the pty, and login changes the owner of its terminal after the session opened, so every session is searched
/// 1 s after open, and one that has no terminal yet again at 3 and 10 s. Once settled, a session without a
/// terminal is reported as such and not idle-checked (unless configured), but it is searched again from time to
/// time (`nextSearch`), and a session's terminals are searched again whenever it comes due without input: a
/// terminal it opens later counts.
public enum TerminalDiscovery: Equatable, Sendable, Codable {
    case pending(attempt: Int)
    case settled

    /// Offsets from open at which terminals are searched for again.
    public static let retryOffsets: [Duration] = [.seconds(1), .seconds(3), .seconds(10)]

    public func nextAttempt(openedAt: Instant) -> Instant? {
        guard case .pending(let attempt) = self, attempt < Self.retryOffsets.count else { return nil }
        return openedAt + Self.retryOffsets[attempt]
    }

    /// When a settled session without a terminal is searched again: at the moments a session with one would be
    /// warned, were it idle since `lastInput` (its open or last keepalive), that is every `interval`
    /// (idle_timeout − warn_before, at least 1 s) after it; the first such moment after `now`. A terminal it
    /// opens later (`script`, `expect`, a pty of its own) is found by then, so its warning comes no later than
    /// that interval after the terminal appeared.
    public static func nextSearch(lastInput: Instant, every interval: Duration, after now: Instant) -> Instant {
        let step = max(interval, .seconds(1)).milliseconds
        let elapsed = max(0, (now - lastInput).milliseconds)
        return lastInput + .milliseconds((elapsed / step + 1) * step)
    }

    /// The state after one more search; `found` settles it at once.
    public func advanced(found: Bool) -> TerminalDiscovery {
        guard case .pending(let attempt) = self, !found else { return .settled }
        return attempt + 1 >= Self.retryOffsets.count ? .settled : .pending(attempt: attempt + 1)
    }
}
