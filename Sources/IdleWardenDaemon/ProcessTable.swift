import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// A snapshot of every process, taken when a session is due (not periodically): the kernel here has no
/// /proc/PID/task/TID/children, so descendants are found from the parent links of a full listing.
public struct ProcessTable: Sendable {
    public private(set) var records: [Int32: ProcessRecord] = [:]
    private var children: [Int32: [Int32]] = [:]

    public init(records: [ProcessRecord]) {
        for record in records {
            self.records[record.pid] = record
            children[record.ppid, default: []].append(record.pid)
        }
    }

    /// Reads /proc now.
    public static func snapshot() -> ProcessTable {
        var records: [ProcessRecord] = []
        guard let dir = opendir("/proc") else { return ProcessTable(records: []) }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard let pid = Int32(name), pid > 0, let record = ProcessRecord.read(pid: pid) else { continue }
            records.append(record)
        }
        return ProcessTable(records: records)
    }

    /// All processes below `root` (not `root` itself), breadth first.
    public func descendants(of root: Int32) -> [ProcessRecord] {
        var result: [ProcessRecord] = []
        var queue = children[root] ?? []
        var seen: Set<Int32> = [root]
        while !queue.isEmpty {
            let pid = queue.removeFirst()
            guard seen.insert(pid).inserted, let record = records[pid] else { continue }
            result.append(record)
            queue.append(contentsOf: children[pid] ?? [])
        }
        return result
    }

    /// The processes of a login session: the descendants of its leader, plus every member of a process
    /// session (sid) whose leader is one of those descendants, which catches background jobs that were
    /// reparented to init. A sid that began outside the login (the shell around `su -l`) is never included.
    /// The leader itself is included only on request (an adopted session, whose leader is the user's shell).
    public func members(of leader: ProcessIdentity, includingLeader: Bool = false) -> [ProcessRecord] {
        guard let root = records[leader.pid], root.startTime == leader.startTime else { return [] }
        var result = (includingLeader ? [root] : []) + descendants(of: root.pid)
        let ownedSessions = Set(result.filter { $0.sid == $0.pid }.map(\.sid))
        let known = Set(result.map(\.pid))
        for record in records.values where ownedSessions.contains(record.sid) && !known.contains(record.pid) {
            result.append(record)
        }
        return result
    }

    /// Processes of the login's kernel audit session that left its process tree: a daemonized `tmux` or
    /// `screen` server, a `nohup setsid` job. pam_loginuid gives each login a new audit session id that every
    /// process below inherits and no user can change. Used only when the leader's id differs from its
    /// parent's, i.e. this login got its own: `su` (no pam_loginuid) shares its caller's id, and the caller's
    /// processes must never be taken for the su session's.
    public func auditSessionMembers(of leader: ProcessIdentity) -> [ProcessRecord] {
        guard let root = records[leader.pid], root.startTime == leader.startTime,
              let id = Self.auditSessionID(root.pid), id != Self.unsetAuditSession,
              Self.auditSessionID(root.ppid) != id
        else { return [] }
        return records.values.filter { $0.pid != root.pid && Self.auditSessionID($0.pid) == id }
    }

    static let unsetAuditSession: UInt32 = 4_294_967_295

    static func auditSessionID(_ pid: Int32) -> UInt32? {
        ProcFile.read("/proc/\(pid)/sessionid").flatMap { UInt32(String(decoding: $0, as: UTF8.self).trimmingSpaces) }
    }

    /// For `end = "leader"`: the process groups of the session's first processes owned by `uid` (the login
    /// shell, or sshd's per-user child), so that detached programs in their own sessions (tmux, screen) are
    /// left alone.
    public func loginGroup(of leader: ProcessIdentity, uid: UInt32) -> [ProcessRecord] {
        let members = members(of: leader)
        var groups: Set<Int32> = []
        var queue = children[leader.pid] ?? []
        while !queue.isEmpty {
            let pid = queue.removeFirst()
            guard let record = records[pid] else { continue }
            if record.realUID == uid {
                groups.insert(record.processGroup)
            } else {
                queue.append(contentsOf: children[pid] ?? [])
            }
        }
        return members.filter { groups.contains($0.processGroup) }
    }
}
