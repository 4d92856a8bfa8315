/// A systemd-logind session scope (`session-N.scope` below `user-UID.slice`): the cgroup that holds every process
/// of one login. Its member list is the kernel's and no process of the user can take itself out of it, so on hosts
/// with logind it is the set an end reaches (see `SessionMembers`).
struct LoginScope: Equatable, Sendable {
    /// The scope's path in its cgroup hierarchy, as /proc/PID/cgroup shows it
    /// (`/user.slice/user-1000.slice/session-3.scope`).
    var path: String
    /// The scope's directory in the mounted hierarchy.
    var directory: String
    /// In the cgroup v2 hierarchy (which can freeze it), not the v1 `name=systemd` one (which only lists it).
    var isUnified: Bool
}
