/// One terminal of a session as the daemon last saw it: the baseline the next look is judged against, and the
/// latest input seen on it (for `scope = "user"`, where it keeps the user's other sessions alive too).
public struct WatchedTerminal: Equatable, Sendable, Codable {
    public var path: String
    public var stamp: TerminalStamp
    /// The latest moment of the last input that counted on this terminal; nil when none has.
    public var lastInput: Instant?

    public init(path: String, stamp: TerminalStamp, lastInput: Instant? = nil) {
        self.path = path
        self.stamp = stamp
        self.lastInput = lastInput
    }
}
