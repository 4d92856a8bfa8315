import IdleWardenCore
@testable import IdleWardenDaemon

#if canImport(Glibc)
import Glibc
#endif

/// A process table the test builds: logins made of processes with parents, sessions, owners and terminals,
/// which exit when the test says or when a signal ends them.
final class FakeProcesses: ProcessTreeSource {
    /// What a process does with the signals that reach it; SIGKILL always ends it.
    enum Reaction {
        /// Exits at the first signal.
        case exits
        /// Ignores SIGHUP (SIG_IGN, visible in /proc), exits on SIGTERM.
        case ignoresHangup
        /// Catches SIGHUP and SIGTERM and goes on; only SIGKILL ends it.
        case survivesUntilKill
        /// Catches SIGHUP and SIGTERM, starts itself again in a new sid (`setsid`, its parent exits at once, so
        /// init adopts it) and exits: a respawner.
        case respawns
        /// Catches SIGHUP and SIGTERM, forks a child that does the same, and goes on.
        case forks
    }

    private(set) var records: [Int32: ProcessRecord] = [:]
    private var reactions: [Int32: Reaction] = [:]
    private var nextPID: Int32 = 1000
    private var nextStart: UInt64 = 50_000
    /// Every signal a process received, in order.
    private(set) var signals: [(pid: Int32, signal: Int32)] = []
    /// Signals and cgroup changes in the order they happened ("STOP 1004", "freeze /user.slice/...").
    var events: [String] = []
    /// Audit session ids (pam_loginuid's); a process without one inherits its parent's.
    var auditIDs: [Int32: UInt32] = [:]
    /// The cgroup each process is in; a child starts in its parent's.
    var cgroupPaths: [Int32: String] = [:]
    /// The scopes frozen now: their processes run no code (they neither react to signals nor fork) until thawed.
    var frozenScopes: Set<String> = []
    /// Processes whose /proc files cannot be read now (the daemon is out of descriptors).
    var unreadable: Set<Int32> = []

    var listsChildren: Bool { true }

    init() {
        records[1] = ProcessRecord(
            pid: 1, ppid: 0, processGroup: 1, sid: 1, ttyNumber: 0, startTime: 1, realUID: 0, name: "init")
    }

    /// Starts a process below `parent`, in `sid` (a new session of its own when nil) and `group` (a group of its
    /// own when nil), in its parent's audit session and cgroup unless `audit` or `cgroup` say otherwise, with the
    /// next free pid or `pid` (to match a recording).
    @discardableResult
    func spawn(
        _ name: String, parent: Int32, uid: UInt32, sid: Int32? = nil, group: Int32? = nil, tty: UInt32 = 0,
        audit: UInt32? = nil, cgroup: String? = nil, namespace: PIDNamespace? = nil, reaction: Reaction = .exits,
        pid wanted: Int32? = nil
    ) -> ProcessRecord {
        precondition(wanted.map { records[$0] == nil } ?? true, "pid \(wanted!) is taken")
        let pid = wanted ?? nextPID
        if wanted == nil { nextPID += 1 }
        nextStart += 7
        var record = ProcessRecord(
            pid: pid, ppid: parent, processGroup: group ?? pid, sid: sid ?? pid, ttyNumber: tty, startTime: nextStart,
            realUID: uid, name: name)
        record.pidNamespace = namespace ?? records[parent]?.pidNamespace ?? .own
        records[pid] = record
        reactions[pid] = reaction
        auditIDs[pid] = audit ?? auditIDs[parent]
        cgroupPaths[pid] = cgroup ?? cgroupPaths[parent]
        return record
    }

    /// The process exits; its children are handed to init, as the kernel does.
    func exit(_ pid: Int32) {
        guard records.removeValue(forKey: pid) != nil else { return }
        reactions[pid] = nil
        for (child, record) in records where record.ppid == pid { records[child]?.ppid = 1 }
    }

    func isAlive(_ identity: ProcessIdentity) -> Bool { records[identity.pid]?.startTime == identity.startTime }

    func isFrozen(_ pid: Int32) -> Bool { cgroupPaths[pid].map(frozenScopes.contains) ?? false }

    /// A signal reaches `pid`: it exits, stops, continues, forks or respawns, as its reaction says. A stopped or
    /// frozen process only dies of SIGKILL (a caught signal waits until it runs again).
    func deliver(_ signal: Int32, to pid: Int32) {
        guard let reaction = reactions[pid], let record = records[pid] else { return }
        signals.append((pid, signal))
        events.append("\(Termination.signalName(signal)) \(pid)")
        switch signal {
        case SIGKILL: exit(pid); return
        case SIGSTOP: records[pid]?.state = UInt8(ascii: "T"); return
        case SIGCONT: records[pid]?.state = UInt8(ascii: "S"); return
        default: break
        }
        if record.isStopped || isFrozen(pid) { return }
        switch (reaction, signal) {
        case (.exits, _), (.ignoresHangup, SIGTERM): exit(pid)
        case (.respawns, _):
            // fork, setsid in the child, exit in the parent: init adopts the child.
            spawn(record.name, parent: pid, uid: record.realUID, reaction: .respawns)
            exit(pid)
        case (.forks, _):
            spawn(record.name, parent: pid, uid: record.realUID, sid: record.sid, group: record.processGroup,
                  reaction: .forks)
        default: break
        }
    }

    func signalNames(of pid: Int32) -> [String] {
        signals.filter { $0.pid == pid }.map { Termination.signalName($0.signal) }
    }

    // MARK: ProcessTreeSource

    func stat(_ pid: Int32) -> ProcessRecord? {
        guard !unreadable.contains(pid), var record = records[pid] else { return nil }
        record.realUID = UInt32.max
        return record
    }

    func children(of process: ProcessRecord) -> [Int32] {
        records.values.filter { $0.ppid == process.pid && $0.pid != process.pid }.map(\.pid).sorted()
    }

    func realUID(_ pid: Int32) -> UInt32? { unreadable.contains(pid) ? nil : records[pid]?.realUID }

    func auditSessionID(_ pid: Int32) -> UInt32? {
        records[pid] == nil ? nil : auditIDs[pid] ?? SessionMembers.unsetAuditSession
    }

    func ignoresHangup(_ pid: Int32) -> Bool { reactions[pid] == .ignoresHangup }

    func pidNamespace(_ pid: Int32) -> PIDNamespace { records[pid]?.pidNamespace ?? .unknown }

    func liveness(of identity: ProcessIdentity) -> ProcessLiveness {
        if unreadable.contains(identity.pid) { return .unknown }
        return isAlive(identity) ? .alive : .gone
    }

    func all() -> [ProcessRecord] { records.values.sorted { $0.pid < $1.pid } }
}

/// logind's session scopes on the fake process table: a process is in the cgroup `FakeProcesses.cgroupPaths`
/// names; freezing takes effect at once unless `freezeLag` rounds of `isFrozen` say otherwise.
final class FakeControlGroups: ControlGroups {
    private let processes: FakeProcesses
    /// cgroup.freeze is there and writable (cgroup v2, Linux 5.2+).
    var freezable = true
    /// Freeze or thaw requests, in order.
    private(set) var freezes: [(path: String, frozen: Bool)] = []

    init(processes: FakeProcesses) {
        self.processes = processes
    }

    /// The scope of a login of `uid`, numbered `number`, as logind names it.
    static func scopePath(uid: UInt32, number: Int) -> String {
        "/user.slice/user-\(uid).slice/session-\(number).scope"
    }

    private func scope(path: String) -> LoginScope {
        LoginScope(path: path, directory: "/sys/fs/cgroup" + path, isUnified: true)
    }

    func scope(of pid: Int32) -> LoginScope? {
        guard processes.records[pid] != nil, let path = processes.cgroupPaths[pid],
              LogindScope.parse(path: path) != nil
        else { return nil }
        return scope(path: path)
    }

    func members(of scope: LoginScope) -> [Int32]? {
        processes.records.keys.filter { processes.cgroupPaths[$0] == scope.path }.sorted()
    }

    func contains(_ scope: LoginScope, pid: Int32) -> Bool {
        processes.cgroupPaths[pid] == scope.path
    }

    func canFreeze(_ scope: LoginScope) -> Bool { freezable }

    func setFrozen(_ frozen: Bool, _ scope: LoginScope) -> Bool {
        guard freezable else { return false }
        freezes.append((scope.path, frozen))
        processes.events.append("\(frozen ? "freeze" : "thaw") \(scope.path)")
        if frozen { processes.frozenScopes.insert(scope.path) } else { processes.frozenScopes.remove(scope.path) }
        return true
    }

    func isFrozen(_ scope: LoginScope) -> Bool { processes.frozenScopes.contains(scope.path) }
}

/// Process handles on the fake process table: numbered as the kernel numbers descriptors (the lowest free one,
/// so numbers are reused), readable once their process is gone.
final class FakeHandles: ProcessHandles {
    private let processes: FakeProcesses
    private(set) var open: [Int32: ProcessIdentity] = [:]
    /// pidfd_open fails (ENOSYS: a kernel older than 5.3).
    var unsupported = false
    /// pidfd_open fails with this errno while it is set (EMFILE: the daemon is out of descriptors).
    var openFailure: Int32?
    /// The most handles open at once.
    private(set) var peakOpen = 0

    init(processes: FakeProcesses) {
        self.processes = processes
    }

    func open(_ pid: Int32) -> Result<Int32, HandleFailure> {
        if unsupported { return .failure(HandleFailure(errno: ENOSYS)) }
        if let openFailure { return .failure(HandleFailure(errno: openFailure)) }
        guard let record = processes.records[pid] else { return .failure(HandleFailure(errno: ESRCH)) }
        var handle: Int32 = 3
        while open[handle] != nil { handle += 1 }
        open[handle] = record.identity
        peakOpen = max(peakOpen, open.count)
        return .success(handle)
    }

    func send(_ signal: Int32, to handle: Int32) -> HandleFailure? {
        guard let identity = open[handle] else { return HandleFailure(errno: EBADF) }
        guard processes.isAlive(identity) else { return HandleFailure(errno: ESRCH) }
        processes.deliver(signal, to: identity.pid)
        return nil
    }

    func hasExited(_ handle: Int32) -> Bool {
        open[handle].map { !processes.isAlive($0) } ?? false
    }

    func close(_ handle: Int32) {
        precondition(open.removeValue(forKey: handle) != nil, "handle \(handle) closed twice")
    }

    /// The daemon's process ended: the kernel closes every handle it held.
    func closeAll() {
        open.removeAll()
    }

    /// The open handles on `pid`.
    func handles(of pid: Int32) -> [Int32] { open.filter { $0.value.pid == pid }.map(\.key).sorted() }
}
