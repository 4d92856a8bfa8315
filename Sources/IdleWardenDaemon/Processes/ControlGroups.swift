/// What the daemon reads from and does to cgroups: the system's (`LiveControlGroups`), or a unit test's fakes.
/// Only logind's session scopes are of interest; a host without them answers nil to `scope(of:)`.
protocol ControlGroups {
    /// The logind session scope that `pid` is in (cgroup v2 when mounted, else v1 `name=systemd`); nil when it is
    /// in none, or /proc could not be read.
    func scope(of pid: Int32) -> LoginScope?
    /// The pids in the scope and in any cgroup below it; nil when it cannot be read (removed once empty).
    func members(of scope: LoginScope) -> [Int32]?
    /// Whether `pid` is in the scope or below it.
    func contains(_ scope: LoginScope, pid: Int32) -> Bool
    /// Whether the scope can be frozen: cgroup v2 with `cgroup.freeze` (Linux 5.2), writable.
    func canFreeze(_ scope: LoginScope) -> Bool
    /// Freezes (or thaws) every process of the scope; false when the write failed.
    func setFrozen(_ frozen: Bool, _ scope: LoginScope) -> Bool
    /// Whether the kernel reports the whole scope frozen (`cgroup.events`: `frozen 1`).
    func isFrozen(_ scope: LoginScope) -> Bool
}
