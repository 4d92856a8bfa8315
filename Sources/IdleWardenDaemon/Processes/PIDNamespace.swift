/// Which PID namespace a process is in, seen from the daemon's own. A container on the host (systemd-nspawn, a
/// container runtime run by root) is another machine: its processes show in the host's /proc, but no session of
/// this host owns them. A namespace that a user made for themselves inside a session (`unshare -Upf`, a rootless
/// container) is still that user's: left alone, it would let a process outlive the session's end.
enum PIDNamespace: Equatable, Sendable {
    /// The daemon's own.
    case own
    /// Another one, owned by the user namespace whose owner is `owner` (root for a container root started).
    case other(owner: UInt32)
    /// It could not be read (the process is gone, or the read failed): treated as another machine's.
    case unknown

    /// Whether a session of `uid` may reach a process in this namespace: its own namespace always; another one
    /// only when the session's (non-root) user made it. Root's namespaces are containers: never.
    func isReachable(bySessionOf uid: UInt32?) -> Bool {
        switch self {
        case .own: return true
        case .other(let owner): return uid.map { owner == $0 && $0 != 0 } ?? false
        case .unknown: return false
        }
    }
}
