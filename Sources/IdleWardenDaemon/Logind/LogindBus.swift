import IdleWardenCore

/// What the daemon asks of systemd-logind and of the scopes logind puts logins in: `Busctl` on the system; unit
/// tests replay replies recorded from a real logind (Tests/IdleWardenCoreTests/Fixtures/logind-252.json).
protocol LogindBus {
    /// logind runs here (the system was booted with systemd and logind keeps its seats), or a test bus is set.
    var isPresent: Bool { get }
    /// busctl with `arguments` (after its fixed options): its exit status, and what it printed on stdout and
    /// stderr together, at most `outputLimit` bytes; a timeout or a failed start comes back as status 1 with a
    /// message. Never takes longer than `timeoutMilliseconds`.
    func busctl(_ arguments: [String], outputLimit: Int, timeoutMilliseconds: Int32) -> (status: Int32, output: String)
    /// The logind session scope `pid` is in (/proc/PID/cgroup), nil when it is in none or is gone.
    func scope(of pid: Int32) -> LogindScope?
}
