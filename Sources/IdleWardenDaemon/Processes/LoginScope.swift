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

    /// The uid of a session scope path: its parent is `user-UID.slice` and it is named `session-*.scope`; nil for
    /// any other cgroup (a service, the user manager's subtree, a container's).
    static func sessionUID(ofPath path: String) -> UInt32? {
        let parts = path.split(separator: "/")
        guard parts.count >= 2, let name = parts.last, name.hasPrefix("session-"), name.hasSuffix(".scope"),
              name.count > "session-.scope".count
        else { return nil }
        let slice = parts[parts.count - 2]
        guard slice.hasPrefix("user-"), slice.hasSuffix(".slice") else { return nil }
        return UInt32(slice.dropFirst("user-".count).dropLast(".slice".count))
    }
}
