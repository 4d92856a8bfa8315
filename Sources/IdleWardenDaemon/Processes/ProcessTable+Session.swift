import IdleWardenCore

/// Listing one session's processes: the work of an end or a terminal search grows with that session, not with
/// the number of processes on the machine.
extension ProcessTable {
    /// The processes of the login session led by `leader`, found from the leader down instead of from a listing
    /// of every process: the leader (if it is still the process that registered) and its descendants, through
    /// the children files of all their threads; then the session's orphans among the children of pid 1: members
    /// of a sid that the session's processes lead (background jobs reparented to init) and, with `auditSession`,
    /// processes of the login's kernel audit session (a daemonized tmux or screen server), each with whatever
    /// below it belongs to the session too. Each process is read once; its status (for the real uid) only when
    /// it is kept.
    ///
    /// `members`, `loginGroup` and, with `auditSession`, `auditSessionMembers` give the same answer for this
    /// leader as on `snapshot()`, except for an orphan whose parent exited and that the kernel handed to a
    /// subreaper (`PR_SET_CHILD_SUBREAPER`) outside the session instead of pid 1: the full listing sees it, this
    /// one does not.
    ///
    /// On a kernel without /proc/PID/task/TID/children (built without CONFIG_PROC_CHILDREN) this is the full
    /// listing, `snapshot(source:auditSession:)`, whose parent links give the same sets at the cost of reading
    /// every process.
    static func session<Source: ProcessTreeSource>(
        of leader: ProcessIdentity, auditSession: Bool = false, source: Source
    ) -> ProcessTable {
        guard source.listsChildren else { return snapshot(source: source, auditSession: auditSession) }
        guard let root = source.stat(leader.pid), root.startTime == leader.startTime else {
            return ProcessTable(records: [])
        }
        var seen: Set<Int32> = [root.pid]
        var kept = [root]
        kept += descendants(of: root, source: source, seen: &seen) { _ in true }

        var auditIDs: [Int32: UInt32?] = [:]
        var auditID: UInt32?
        if auditSession {
            let id = source.auditSessionID(root.pid)
            let parentID = source.auditSessionID(root.ppid)
            auditIDs.updateValue(id, forKey: root.pid)
            auditIDs.updateValue(parentID, forKey: root.ppid)
            // As in `auditSessionMembers`: only a login that got its own id.
            if let id, id != unsetAuditSession, parentID != id {
                auditID = id
                for record in kept.dropFirst() {
                    auditIDs.updateValue(source.auditSessionID(record.pid), forKey: record.pid)
                }
            }
        }
        let ownedSessions = Set(kept.filter { $0.sid == $0.pid }.map(\.sid))
        func belongs(_ record: ProcessRecord) -> Bool {
            var sameAuditSession = false
            if let auditID {
                let id = source.auditSessionID(record.pid)
                auditIDs.updateValue(id, forKey: record.pid)
                sameAuditSession = id == auditID
            }
            return sameAuditSession || ownedSessions.contains(record.sid)
        }
        if !ownedSessions.isEmpty || auditID != nil, let initProcess = source.stat(1) {
            for pid in source.children(of: initProcess) where seen.insert(pid).inserted {
                guard let orphan = source.stat(pid), orphan.ppid == initProcess.pid, belongs(orphan) else { continue }
                kept.append(orphan)
                kept += descendants(of: orphan, source: source, seen: &seen, keeping: belongs)
            }
        }

        var records: [ProcessRecord] = []
        records.reserveCapacity(kept.count)
        for var record in kept {
            guard let uid = source.realUID(record.pid) else { continue }
            record.realUID = uid
            records.append(record)
        }
        return ProcessTable(records: records, auditSessionIDs: auditIDs)
    }

    /// The processes below `top` that `keeping` accepts, breadth first; the walk goes on below those it rejects.
    /// A listed child whose stat names another parent exited and its pid was reused: it is left out.
    private static func descendants<Source: ProcessTreeSource>(
        of top: ProcessRecord, source: Source, seen: inout Set<Int32>, keeping: (ProcessRecord) -> Bool
    ) -> [ProcessRecord] {
        var queue = [top]
        var next = 0
        var result: [ProcessRecord] = []
        while next < queue.count {
            let parent = queue[next]
            next += 1
            for pid in source.children(of: parent) where seen.insert(pid).inserted {
                guard let child = source.stat(pid), child.ppid == parent.pid else { continue }
                queue.append(child)
                if keeping(child) { result.append(child) }
            }
        }
        return result
    }
}
