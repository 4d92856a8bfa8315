import IdleWardenCore

/// Listing one session's processes: the work of an end or a terminal search grows with that session, not with
/// the number of processes on the machine.
extension ProcessTable {
    /// The processes of the login session led by `leader`, found from the leader down instead of from a listing
    /// of every process: the leader (if it is still the process that registered) and its descendants, through
    /// the children files of all their threads; then, among the children of pid 1, the members of a sid that the
    /// session's processes lead (background jobs reparented to init), each with whatever below it is in such a sid
    /// too. Each process is read once; its status (for the real uid) only when it is kept. What runs in another PID
    /// namespace (a container started from the session) is another machine's: it is neither kept nor walked into.
    ///
    /// `members` gives the same answer for this leader as on `snapshot()`, except for an orphan whose parent exited
    /// and that the kernel handed to a subreaper (`PR_SET_CHILD_SUBREAPER`) outside the session instead of pid 1:
    /// the full listing sees it, this one does not.
    ///
    /// On a kernel without /proc/PID/task/TID/children (built without CONFIG_PROC_CHILDREN) this is the full
    /// listing, `snapshot(source:)`, whose parent links give the same sets at the cost of reading every process.
    static func session<Source: ProcessTreeSource>(of leader: ProcessIdentity, source: Source) -> ProcessTable {
        guard source.listsChildren else { return snapshot(source: source) }
        guard let root = source.stat(leader.pid), root.startTime == leader.startTime else {
            return ProcessTable(records: [])
        }
        var seen: Set<Int32> = [root.pid]
        var kept = [root]
        func entering(_ child: ProcessRecord, from _: ProcessRecord) -> Bool { child.pidNamespace == .own }
        kept += descendants(of: root, source: source, seen: &seen, entering: entering) { _ in true }
        let ownedSessions = Set(kept.filter { $0.sid == $0.pid }.map(\.sid))
        func belongs(_ record: ProcessRecord) -> Bool { ownedSessions.contains(record.sid) }
        if !ownedSessions.isEmpty, let initProcess = source.stat(1) {
            for pid in source.children(of: initProcess) where seen.insert(pid).inserted {
                guard var orphan = source.stat(pid), orphan.ppid == initProcess.pid, belongs(orphan) else { continue }
                orphan.pidNamespace = source.pidNamespace(pid)
                guard orphan.pidNamespace == .own else { continue }
                kept.append(orphan)
                kept += descendants(of: orphan, source: source, seen: &seen, entering: entering, keeping: belongs)
            }
        }

        var records: [ProcessRecord] = []
        records.reserveCapacity(kept.count)
        for var record in kept {
            guard let uid = source.realUID(record.pid) else { continue }
            record.realUID = uid
            records.append(record)
        }
        return ProcessTable(records: records)
    }

    /// The processes below `top` that `keeping` accepts, breadth first, each with its PID namespace; the walk goes
    /// on below those `keeping` rejects, but not to a child that `entering` rejects (given the child, with its
    /// namespace, and its parent), nor below it. A listed child whose stat names another parent exited and its pid
    /// was reused: it is left out.
    static func descendants<Source: ProcessTreeSource>(
        of top: ProcessRecord, source: Source, seen: inout Set<Int32>,
        entering: (ProcessRecord, ProcessRecord) -> Bool, keeping: (ProcessRecord) -> Bool
    ) -> [ProcessRecord] {
        var queue = [top]
        var next = 0
        var result: [ProcessRecord] = []
        while next < queue.count {
            let parent = queue[next]
            next += 1
            for pid in source.children(of: parent) where seen.insert(pid).inserted {
                guard var child = source.stat(pid), child.ppid == parent.pid else { continue }
                child.pidNamespace = source.pidNamespace(pid)
                guard entering(child, parent) else { continue }
                queue.append(child)
                if keeping(child) { result.append(child) }
            }
        }
        return result
    }
}
