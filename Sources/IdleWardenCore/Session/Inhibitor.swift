/// A process that holds its session against the idle end (`idlewarden inhibit -- COMMAND`): while it runs, and
/// for at most the session's `max_inhibit` after the last input, the idle clock does not run. The daemon admits
/// one only for a process of the session's own user that is a member of the session, as the kernel attests them.
public struct Inhibitor: Equatable, Sendable, Codable {
    /// The `idlewarden inhibit` process (not the command it runs): the hold ends when it exits.
    public var process: ProcessIdentity
    /// The user's `--why`, for `status` and the audit log.
    public var why: String
    public var since: Instant

    public init(process: ProcessIdentity, why: String, since: Instant) {
        self.process = process
        self.why = why
        self.since = since
    }
}
