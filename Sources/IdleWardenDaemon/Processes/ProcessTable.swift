import IdleWardenCore

/// Processes and their parent links, taken when a session is due (not periodically): either the processes of one
/// session (`session(of:source:)`, what the daemon lists to find its terminals and desktop) or every process
/// (`snapshot(source:)`, once at start-up). The queries below give the same answer on both for the session listed.
/// An end lists its session's processes at each step with `SessionMembers` instead.
public struct ProcessTable: Sendable {
    public private(set) var records: [Int32: ProcessRecord] = [:]
    private var children: [Int32: [Int32]] = [:]

    public init(records: [ProcessRecord]) {
        for record in records {
            self.records[record.pid] = record
            children[record.ppid, default: []].append(record.pid)
        }
    }

    /// Reads every process of the daemon's PID namespace now: three files per process on the machine. Another
    /// PID namespace's processes (a container's) belong to another machine.
    static func snapshot(source: some ProcessTreeSource) -> ProcessTable {
        ProcessTable(records: source.all().filter { $0.pidNamespace == .own })
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
}
