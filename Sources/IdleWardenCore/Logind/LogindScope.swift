/// The systemd-logind session scope a process is in, as /proc/PID/cgroup names it: a cgroup
/// `.../user-UID.slice/session-ID.scope`. The kernel keeps that file, and only root (logind, through systemd)
/// moves a process between those cgroups, so a user cannot forge which session a login process belongs to.
public struct LogindScope: Equatable, Sendable, Codable {
    /// The cgroup path (`/user.slice/user-1000.slice/session-3.scope`).
    public var path: String
    /// The logind session id in the scope's name (`3`).
    public var sessionID: String
    /// The uid in the parent slice's name.
    public var uid: UInt32

    /// The scope's unit name, what logind's `Scope` property says: `session-3.scope`.
    public var unit: String { "session-\(sessionID).scope" }

    /// The scope in the text of /proc/PID/cgroup: the cgroup v2 line (`0::PATH`) when it names a session
    /// scope, else the v1 `name=systemd` line (hybrid and legacy hierarchies); nil when neither does.
    public static func parse(cgroupFile text: String) -> LogindScope? {
        var unified: String?
        var named: String?
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            if fields[0] == "0", fields[1].isEmpty {
                unified = String(fields[2])
            } else if fields[1].split(separator: ",").contains("name=systemd") {
                named = String(fields[2])
            }
        }
        return unified.flatMap(parse(path:)) ?? named.flatMap(parse(path:))
    }

    /// The scope a cgroup path names, when its last two components are `user-UID.slice` and `session-ID.scope`.
    public static func parse(path: String) -> LogindScope? {
        let parts = path.split(separator: "/")
        guard parts.count >= 2 else { return nil }
        let scope = parts[parts.count - 1]
        let slice = parts[parts.count - 2]
        guard scope.hasPrefix("session-"), scope.hasSuffix(".scope"), slice.hasPrefix("user-"), slice.hasSuffix(".slice")
        else { return nil }
        let id = String(scope.dropFirst("session-".count).dropLast(".scope".count))
        guard LogindReply.isSessionID(id), let uid = UInt32(slice.dropFirst("user-".count).dropLast(".slice".count))
        else { return nil }
        return LogindScope(path: path, sessionID: id, uid: uid)
    }
}
