/// Which PID namespace a process is in, seen from the daemon's own: the number of pids that the `NSpid` line of
/// /proc/PID/status gives it (one per namespace from the daemon's down to its own), which anyone may read, unlike
/// /proc/PID/ns/pid (it needs ptrace access, and the shipped unit keeps no CAP_SYS_PTRACE).
///
/// A container on the host (systemd-nspawn, a container runtime run by root) is another machine: its processes show
/// in the host's /proc, but no session of this host owns them. A namespace a user made inside a session
/// (`unshare -Upf`, a rootless container) is still that user's: left alone, it would let a process outlive the
/// session's end. The two are told apart by who entered the namespace (see `SessionMembers`): an unprivileged
/// user can make a PID namespace only for a process of their own, so the first process of the user's runs as the
/// user; a container's first process (its init) runs as root or, with a user namespace of root's, as an uid from
/// root's range, never as the session's user.
enum PIDNamespace: Equatable, Sendable {
    /// The daemon's own.
    case own
    /// A namespace `depth` levels below the daemon's.
    case nested(depth: Int)
    /// It could not be read (the process is gone, or the read failed): never reached.
    case unknown

    /// From the number of pids on the NSpid line of a process and of the daemon itself.
    init(pids: Int?, ownPIDs: Int) {
        guard let pids, pids >= ownPIDs else {
            self = .unknown
            return
        }
        self = pids == ownPIDs ? .own : .nested(depth: pids - ownPIDs)
    }

    var depth: Int? {
        switch self {
        case .own: return 0
        case .nested(let depth): return depth
        case .unknown: return nil
        }
    }
}
