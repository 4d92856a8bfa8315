import IdleWardenCore

/// Processes and their parent links, taken when a session is due (not periodically): either the processes of one
/// session (`session(of:auditSession:source:)`, what the daemon lists while running) or every process
/// (`snapshot(source:auditSession:)`, once at start-up). The queries below give the same answer on both for the
/// session listed.
public struct ProcessTable: Sendable {
    public private(set) var records: [Int32: ProcessRecord] = [:]
    private var children: [Int32: [Int32]] = [:]
    /// Audit session ids read while listing (nil: unreadable); a process not in it counts as in no audit session.
    private var auditSessionIDs: [Int32: UInt32?] = [:]

    public init(records: [ProcessRecord]) {
        self.init(records: records, auditSessionIDs: [:])
    }

    init(records: [ProcessRecord], auditSessionIDs: [Int32: UInt32?]) {
        for record in records {
            self.records[record.pid] = record
            children[record.ppid, default: []].append(record.pid)
        }
        self.auditSessionIDs = auditSessionIDs
    }

    /// Reads every process now: two files per process on the machine, three with `auditSession` (for
    /// `auditSessionMembers`).
    static func snapshot(source: some ProcessTreeSource, auditSession: Bool = false) -> ProcessTable {
        let records = source.all()
        var auditSessionIDs: [Int32: UInt32?] = [:]
        if auditSession {
            for record in records { auditSessionIDs.updateValue(source.auditSessionID(record.pid), forKey: record.pid) }
        }
        return ProcessTable(records: records, auditSessionIDs: auditSessionIDs)
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
              let id = auditSessionID(root.pid), id != Self.unsetAuditSession,
              auditSessionID(root.ppid) != id
        else { return [] }
        return records.values.filter { $0.pid != root.pid && auditSessionID($0.pid) == id }
    }

    static let unsetAuditSession: UInt32 = 4_294_967_295

    func auditSessionID(_ pid: Int32) -> UInt32? {
        auditSessionIDs[pid] ?? nil
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
