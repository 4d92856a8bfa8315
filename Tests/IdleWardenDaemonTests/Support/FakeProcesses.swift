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
    }

    private(set) var records: [Int32: ProcessRecord] = [:]
    private var reactions: [Int32: Reaction] = [:]
    private var nextPID: Int32 = 1000
    private var nextStart: UInt64 = 50_000
    /// Every signal a process received, in order.
    private(set) var signals: [(pid: Int32, signal: Int32)] = []

    var listsChildren: Bool { true }

    init() {
        records[1] = ProcessRecord(
            pid: 1, ppid: 0, processGroup: 1, sid: 1, ttyNumber: 0, startTime: 1, realUID: 0, name: "init")
    }

    /// Starts a process below `parent`, in `sid` (a new session of its own when nil), with the next free pid or
    /// `pid` (to match a recording).
    @discardableResult
    func spawn(
        _ name: String, parent: Int32, uid: UInt32, sid: Int32? = nil, tty: UInt32 = 0, reaction: Reaction = .exits,
        pid wanted: Int32? = nil
    ) -> ProcessRecord {
        precondition(wanted.map { records[$0] == nil } ?? true, "pid \(wanted!) is taken")
        let pid = wanted ?? nextPID
        if wanted == nil { nextPID += 1 }
        nextStart += 7
        let record = ProcessRecord(
            pid: pid, ppid: parent, processGroup: pid, sid: sid ?? pid, ttyNumber: tty, startTime: nextStart,
            realUID: uid, name: name)
        records[pid] = record
        reactions[pid] = reaction
        return record
    }

    /// The process exits; its children are handed to init, as the kernel does.
    func exit(_ pid: Int32) {
        guard records.removeValue(forKey: pid) != nil else { return }
        reactions[pid] = nil
        for (child, record) in records where record.ppid == pid { records[child]?.ppid = 1 }
    }

    func isAlive(_ identity: ProcessIdentity) -> Bool { records[identity.pid]?.startTime == identity.startTime }

    /// A signal reaches `pid`: it exits or not, as its reaction says.
    func deliver(_ signal: Int32, to pid: Int32) {
        guard let reaction = reactions[pid] else { return }
        signals.append((pid, signal))
        switch (reaction, signal) {
        case (_, SIGKILL), (.exits, _), (.ignoresHangup, SIGTERM): exit(pid)
        default: break
        }
    }

    func signalNames(of pid: Int32) -> [String] {
        signals.filter { $0.pid == pid }.map { Termination.signalName($0.signal) }
    }

    // MARK: ProcessTreeSource

    func stat(_ pid: Int32) -> ProcessRecord? {
        guard var record = records[pid] else { return nil }
        record.realUID = UInt32.max
        return record
    }

    func children(of process: ProcessRecord) -> [Int32] {
        records.values.filter { $0.ppid == process.pid && $0.pid != process.pid }.map(\.pid).sorted()
    }

    func realUID(_ pid: Int32) -> UInt32? { records[pid]?.realUID }

    func auditSessionID(_ pid: Int32) -> UInt32? { nil }

    func ignoresHangup(_ pid: Int32) -> Bool { reactions[pid] == .ignoresHangup }

    func all() -> [ProcessRecord] { records.values.sorted { $0.pid < $1.pid } }
}

/// Process handles on the fake process table: numbered as the kernel numbers descriptors (the lowest free one,
/// so numbers are reused), readable once their process is gone.
final class FakeHandles: ProcessHandles {
    private let processes: FakeProcesses
    private(set) var open: [Int32: ProcessIdentity] = [:]
    /// pidfd_open fails (ENOSYS: a kernel older than 5.3).
    var unsupported = false

    init(processes: FakeProcesses) {
        self.processes = processes
    }

    func open(_ pid: Int32) -> Result<Int32, HandleFailure> {
        if unsupported { return .failure(HandleFailure(errno: ENOSYS)) }
        guard let record = processes.records[pid] else { return .failure(HandleFailure(errno: ESRCH)) }
        var handle: Int32 = 3
        while open[handle] != nil { handle += 1 }
        open[handle] = record.identity
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
