/// One process holding a session (`idlewarden inhibit`), as `idlewarden status` shows it.
public struct StatusInhibitor: Codable, Equatable, Sendable {
    /// The `idlewarden inhibit` process; the hold ends when it exits.
    public var pid: Int32
    /// The `--why` text, empty when none was given.
    public var why: String
    /// Wall-clock seconds when the hold began.
    public var since: Int64
    /// False when the session's policy does not let it hold now (allow_inhibit = false, or max_inhibit reached).
    public var holding: Bool

    public init(pid: Int32, why: String, since: Int64, holding: Bool) {
        self.pid = pid
        self.why = why
        self.since = since
        self.holding = holding
    }
}
