import IdleWardenCore

/// Locks a desktop (`lock_after`): the seam between the decision and the programs that do it, so that unit tests
/// see which way was taken without starting a locker.
protocol SessionLocker {
    /// Locks `session`'s desktop, reached at `endpoint`, with `command` (the config's `lock_command`) where logind
    /// does not do it. Never waits for a locker that stays on screen.
    func lock(_ session: Session, endpoint: DisplayEndpoint?, command: [String]?) -> LockOutcome
    /// Ends a locker this started (`LockOutcome.process`): its session is gone, and a locker run by the daemon
    /// is not one of the session's processes that its end reaches.
    func release(_ process: Int32)
}

/// How a lock was done, for the audit line `event=lock method=... result=...`.
struct LockOutcome: Equatable {
    /// `logind` (loginctl lock-session), `lock_command`, or `xdg-screensaver`.
    var method: String
    /// `ok` (logind accepted it), `started` (a locker program runs), or what failed.
    var result: String
    /// The locker program started, in a process group of its own; nil when logind did the lock.
    var process: Int32? = nil
}
