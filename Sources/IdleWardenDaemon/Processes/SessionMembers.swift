import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// The processes an end reaches, listed again before each of its steps: a process may fork, respawn or `setsid`
/// in its signal handler, and the session's leader may be gone by the second step. What names the session's
/// processes is taken once, at the start of the end, while the leader still runs:
///
/// - with `end = "session"`, the login's own logind scope (`LoginScope`) where it has one: its member list is
///   complete and no process of the user can leave it. Beside it, and alone on hosts without logind, the process
///   tree: the leader's descendants, the members of every sid a process of the session leads (background jobs
///   reparented to init) and the processes of the login's own kernel audit session (a daemonized tmux, a
///   `setsid` child whose parent exited: pam_loginuid gives each login an id that every process below inherits
///   and no user can change). Each listing also walks down from the processes found before, which may have
///   outlived the leader.
/// - with `end = "leader"`, the process groups of the login's first processes of the user (the login shell's),
///   so that detached programs in their own sessions (tmux, screen) are left alone.
///
/// A scope or an audit session counts only when this login got its own: `su -l` (no pam_loginuid, and
/// pam_systemd makes no new session inside one) shares its caller's, and the caller's processes are never this
/// session's. Processes in another PID namespace are left out, and nothing below them is walked (see
/// `PIDNamespace`).
struct SessionMembers {
    let leader: ProcessIdentity
    let uid: UInt32
    let mode: EndMode
    /// The leader is the user's own shell (an adopted session), not the login process.
    let includesLeader: Bool
    /// The login's own logind scope, when it has one (`end = "session"` only).
    let scope: LoginScope?
    /// The login's own audit session id, when it has one (`end = "session"` only).
    let auditSession: UInt32?
    /// `end = "leader"`: the process groups that end.
    private let groups: Set<Int32>
    /// Sids led by a process of the session, as found so far: their members stay the session's after their leader
    /// exited.
    private var ownedSessions: Set<Int32> = []

    static let unsetAuditSession: UInt32 = 4_294_967_295

    /// Takes the anchors of `session`'s processes; its leader should be running (else only what `known`
    /// processes later lead to is found).
    init(session: Session, processes: some ProcessTreeSource, cgroups: some ControlGroups) {
        leader = session.leader
        uid = session.facts.uid
        mode = session.limits.end
        includesLeader = !session.origin.leaderIsLoginProcess
        (scope, auditSession, groups) = processes.listsChildren
            ? Self.anchors(leader: leader, uid: uid, mode: mode, processes: processes, cgroups: cgroups)
            : Self.anchors(leader: leader, uid: uid, mode: mode, processes: ParentLinkedTree(base: processes),
                           cgroups: cgroups)
    }

    private static func anchors(
        leader: ProcessIdentity, uid: UInt32, mode: EndMode, processes: some ProcessTreeSource,
        cgroups: some ControlGroups
    ) -> (LoginScope?, UInt32?, Set<Int32>) {
        guard let root = processes.stat(leader.pid), root.startTime == leader.startTime else { return (nil, nil, []) }
        switch mode {
        case .session:
            let children = processes.children(of: root).compactMap { pid in
                processes.stat(pid).flatMap { $0.ppid == root.pid ? $0 : nil }
            }
            return (ownScope(root: root, children: children, uid: uid, cgroups: cgroups),
                    ownAuditSession(root: root, children: children, processes: processes), [])
        case .leader:
            return (nil, nil, loginGroups(root: root, uid: uid, processes: processes))
        }
    }

    /// The scope the leader (or, if the leader is in none, one of its children) is in, when it is a session scope of
    /// the session's user that the leader's parent is not in: the login made it (pam_systemd), it was not there
    /// already (`su` inside an ssh login).
    private static func ownScope(
        root: ProcessRecord, children: [ProcessRecord], uid: UInt32, cgroups: some ControlGroups
    ) -> LoginScope? {
        let candidate = cgroups.scope(of: root.pid)
            ?? children.lazy.compactMap { cgroups.scope(of: $0.pid) }.first
        guard let scope = candidate, LogindScope.parse(path: scope.path)?.uid == uid,
              !cgroups.contains(scope, pid: root.ppid)
        else { return nil }
        return scope
    }

    /// The audit session the leader established (its id differs from its parent's), or else one a child of the
    /// leader established (its id differs from the leader's); nil when the login shares its caller's.
    private static func ownAuditSession(
        root: ProcessRecord, children: [ProcessRecord], processes: some ProcessTreeSource
    ) -> UInt32? {
        let own = processes.auditSessionID(root.pid)
        if let own, own != unsetAuditSession, processes.auditSessionID(root.ppid) != own { return own }
        for child in children {
            if let id = processes.auditSessionID(child.pid), id != unsetAuditSession, id != own { return id }
        }
        return nil
    }

    /// The process groups of the first processes of `uid` below the leader (sshd's per-user process and the login
    /// shell, or the shell that login started).
    private static func loginGroups(root: ProcessRecord, uid: UInt32, processes: some ProcessTreeSource) -> Set<Int32> {
        var groups: Set<Int32> = []
        var queue = [root]
        var next = 0
        while next < queue.count {
            let parent = queue[next]
            next += 1
            for pid in processes.children(of: parent) {
                guard let child = processes.stat(pid), child.ppid == parent.pid else { continue }
                if processes.realUID(pid) == uid {
                    groups.insert(child.processGroup)
                } else {
                    queue.append(child)
                }
            }
        }
        return groups
    }

    /// Whether an end of a session of `uid` reaches `record` (its namespace read): in the daemon's PID namespace,
    /// always; in one below it, only when every process from it up to where that namespace was entered runs as
    /// the session's user, and that user is not root. A user can make a PID namespace only for a process of their
    /// own (`unshare -Upf`); a container's first process runs as root (or as an uid of root's user namespace), so
    /// nothing of a container is reached, even one started from the session, nor anything below it. `parent` is
    /// the process a walk came from, already reached.
    static func reaches(
        _ record: ProcessRecord, parent: ProcessRecord?, uid: UInt32, processes: some ProcessTreeSource
    ) -> Bool {
        guard case .nested(let depth) = record.pidNamespace else { return record.pidNamespace == .own }
        if let parentDepth = parent?.pidNamespace.depth, parentDepth >= depth { return true }
        guard uid != 0, processes.realUID(record.pid) == uid else { return false }
        // Up the chain to where the namespace was entered (at most as many steps as a walk could come down).
        var current = record
        for _ in 0..<64 {
            guard var above = processes.stat(current.ppid) else { return false }
            above.pidNamespace = processes.pidNamespace(above.pid)
            guard let aboveDepth = above.pidNamespace.depth else { return false }
            if aboveDepth < depth { return true }
            guard processes.realUID(above.pid) == uid else { return false }
            current = above
        }
        return false
    }

    /// The session's processes now, each with its real uid and PID namespace: the tree walked from the leader and
    /// from `known` (processes found at earlier steps, which may have outlived it), the orphans of the session, and
    /// the scope's members (a process the user's service manager moved out of the scope is still found in the
    /// tree). On a kernel without children files the tree is the parent links of a full listing. Exited ones (zombies) and those
    /// in a PID namespace the session cannot reach are left out; the leader only when `includesLeader`.
    mutating func list(
        known: [ProcessIdentity], processes: some ProcessTreeSource, cgroups: some ControlGroups
    ) -> [ProcessRecord] {
        guard processes.listsChildren else {
            return list(known: known, processes: ParentLinkedTree(base: processes), cgroups: cgroups)
        }
        let (uid, mode, groups, auditSession) = (self.uid, self.mode, self.groups, self.auditSession)
        var seen: Set<Int32> = []
        var kept: [ProcessRecord] = []
        func entering(_ child: ProcessRecord, from parent: ProcessRecord) -> Bool {
            Self.reaches(child, parent: parent, uid: uid, processes: processes)
        }
        func take(_ pid: Int32) -> ProcessRecord? {
            guard seen.insert(pid).inserted, var record = processes.stat(pid), !record.hasExited else { return nil }
            record.pidNamespace = processes.pidNamespace(pid)
            return Self.reaches(record, parent: nil, uid: uid, processes: processes) ? record : nil
        }
        for identity in [leader] + known {
            guard let record = take(identity.pid), record.startTime == identity.startTime else { continue }
            kept.append(record)
            kept += ProcessTable.descendants(of: record, source: processes, seen: &seen, entering: entering) { _ in true }
        }
        // The walks above reach every process whose parent is one of the session's; what was reparented to init
        // is looked for among init's children.
        if mode == .session { ownedSessions.formUnion(kept.filter { $0.pid == $0.sid }.map(\.sid)) }
        let ownedSessions = self.ownedSessions
        func belongs(_ record: ProcessRecord) -> Bool {
            switch mode {
            case .leader: return groups.contains(record.processGroup)
            case .session:
                if ownedSessions.contains(record.sid) { return true }
                guard let auditSession else { return false }
                return processes.auditSessionID(record.pid) == auditSession
            }
        }
        let searchOrphans = mode == .leader ? !groups.isEmpty : (!ownedSessions.isEmpty || auditSession != nil)
        if searchOrphans, let initProcess = processes.stat(1) {
            for pid in processes.children(of: initProcess) where !seen.contains(pid) {
                guard let orphan = processes.stat(pid), orphan.ppid == initProcess.pid, belongs(orphan),
                      let record = take(pid)
                else { continue }
                kept.append(record)
                kept += ProcessTable.descendants(of: record, source: processes, seen: &seen, entering: entering,
                                                 keeping: belongs)
            }
        }
        if let scope, let pids = cgroups.members(of: scope) {
            for pid in pids { if let record = take(pid) { kept.append(record) } }
        }

        var result: [ProcessRecord] = []
        result.reserveCapacity(kept.count)
        for var record in kept {
            if record.identity == leader && !includesLeader { continue }
            if mode == .leader && !groups.contains(record.processGroup) { continue }
            guard let realUID = processes.realUID(record.pid) else { continue }
            record.realUID = realUID
            result.append(record)
        }
        return result
    }
}
