import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// Ends the processes of one session: SIGHUP a moment after the farewell line (so that sshd forwards it to the
/// client before it hangs up; SIGTERM instead to an X server, and to all when all ignore SIGHUP), then SIGTERM
/// after `grace`, then SIGKILL after another `grace` (at once, when only processes that had SIGTERM are left).
///
/// The session's processes are listed again before each step (`SessionMembers`), so a process that forks, respawns
/// or `setsid`s from its signal handler is signalled too. The SIGKILL step first makes forking away impossible: it
/// freezes the login's scope where cgroup v2 can (cgroup.freeze), and sends SIGSTOP to every other member, listing
/// again until every member is frozen or stopped and no new one appeared; only then is every member killed (and the
/// scope thawed, so that the login process, root's, goes on to close the session). What survives is killed again,
/// a few times, then reported.
///
/// Every signal goes through a pidfd opened for that signal and closed after it: the process's start time and real
/// uid are read again after the open, so the signal reaches exactly the process that was checked,
/// never a later holder of its pid; and an end holds no descriptor between steps, however many run at once.
/// Never pid 1, the daemon, the login process (root's, it closes the session), a process of another uid, or one in
/// a PID namespace the session does not reach (see `PIDNamespace`).
final class Termination {
    struct Target {
        var identity: ProcessIdentity
        /// The last signal sent to it before it was seen gone (0: it went before any); nil while it runs.
        var endedBy: Int32?
        /// The last signal sent to it (SIGSTOP aside: it ends nothing); 0 before the first. One step may send
        /// different signals (an X server's SIGTERM beside the others' SIGHUP), so this is per process.
        var lastSent: Int32 = 0
        /// It was not there at the first listing: a fork, a respawn.
        var foundLater: Bool
    }

    enum Stage: Equatable {
        case farewell, hangup, terminate
        /// Freezing the session before SIGKILL: the rounds of listing and stopping so far.
        case stopping(round: Int)
        /// SIGKILL was sent; the rounds of it so far.
        case killed(round: Int)
        case finished
    }

    /// Time for the farewell line to travel from the pty through sshd to the user before the hang-up.
    static let farewellDelay: Duration = .milliseconds(500)
    /// Between two rounds of the freeze: a SIGSTOP (or the cgroup freezer) takes effect when its process next runs.
    static let stopRoundInterval: Duration = .milliseconds(20)
    /// Rounds of the freeze before SIGKILL goes out anyway (a process in uninterruptible sleep does not stop).
    static let maxStopRounds = 50
    /// How long SIGKILL's processes get to die before what is left is frozen and killed again.
    static let killWait: Duration = .milliseconds(500)
    static let maxKillRounds = 3

    let sessionID: String
    let reason: EndReason
    private(set) var targets: [Target] = []
    private var targetIndex: [ProcessIdentity: Int] = [:]
    private(set) var stage: Stage = .farewell
    /// Processes that could not be signalled, with why (other uid, EPERM, no descriptor), once each, for the audit.
    private(set) var skipped: [String] = []
    private var skippedKeys: Set<String> = []
    private(set) var nextStepAt: Instant
    private var members: SessionMembers
    private let uid: UInt32
    private let grace: Duration
    private let handles: any ProcessHandles
    private let processes: any ProcessTreeSource
    private let cgroups: any ControlGroups
    private let ownPID = getpid()
    /// The scope this end froze and has not thawed yet.
    private var frozenScope: LoginScope?
    /// Whether the kill step froze the scope (for the audit).
    private(set) var usedFreezer = false
    /// The members of the last round of the freeze, to tell when no new one appears.
    private var lastStopListing: Set<ProcessIdentity> = []
    /// SIGKILL rounds sent before the current one.
    private var killRounds = 0
    /// The first listing is done: what appears from now on was forked or respawned during the end.
    private var listedOnce = false
    /// The processes SIGTERM was sent to: when only they are left after the hang-up, the end goes on to SIGKILL.
    private var terminated: Set<ProcessIdentity> = []

    /// X servers a session may run as its user (xrdp's Xorg, Xvnc): the xorgxrdp Xorg catches SIGHUP and carries
    /// on, so they get SIGTERM at the hang-up. Matched by the command name, which the user chooses: a user's own
    /// process so named only gets SIGTERM a grace period earlier.
    static let xServerNames: Set<String> = ["Xorg", "Xvnc", "Xtigervnc", "Xvfb", "Xephyr"]

    /// Takes what names the session's processes (its leader must still run) and lists them; SIGHUP follows at the
    /// first `step` after `farewellDelay`.
    init(
        session: Session, reason: EndReason, now: Instant, processes: any ProcessTreeSource,
        handles: any ProcessHandles, cgroups: any ControlGroups
    ) {
        sessionID = session.id
        self.reason = reason
        uid = session.facts.uid
        grace = session.limits.grace
        self.handles = handles
        self.processes = processes
        self.cgroups = cgroups
        nextStepAt = now + Self.farewellDelay
        members = SessionMembers(session: session, processes: processes, cgroups: cgroups)
        _ = relist()
        listedOnce = true
    }

    deinit {
        thaw()
    }

    /// Where the member list came from, for the audit: the login's scope, or the process tree alone.
    var memberSource: String { members.scope == nil ? "tree" : "scope" }
    var scopePath: String? { members.scope?.path }

    var living: [Target] { targets.filter { $0.endedBy == nil } }

    /// After the wall clock was set by `jump` (see `Daemon.followClock`): the next step stays as far away as the
    /// boot clock counts, so a clock set back does not hold a signal back by the jump.
    func shift(by jump: Duration) {
        nextStepAt = nextStepAt + jump
    }

    /// Advances one stage when its time has come; returns true once every process of the session is gone, or the
    /// kill rounds are spent.
    @discardableResult
    func step(now: Instant) -> Bool {
        guard stage != .finished else { return true }
        reap()
        // All known members gone: finished, unless a listing finds a new one (a respawn in the last moment).
        if living.isEmpty && relist().isEmpty {
            finish()
            return true
        }
        guard now >= nextStepAt else { return false }
        let current = relist()
        switch stage {
        case .farewell:
            // A process that ignores SIGHUP would only sit out a grace period (every process of a LightDM session
            // does: LightDM sets SIG_IGN before it execs the session); when all of them do, the end starts at SIGTERM.
            // An X server that carries on after SIGHUP gets SIGTERM beside it.
            let terminateFirst = current.filter { Self.xServerNames.contains($0.name) }
            if current.allSatisfy({ processes.ignoresHangup($0.pid) || Self.xServerNames.contains($0.name) }) {
                stage = .terminate
                send(SIGTERM, to: current)
            } else {
                stage = .hangup
                send(SIGTERM, to: terminateFirst)
                send(SIGHUP, to: current.filter { !terminateFirst.contains($0) })
            }
            nextStepAt = now + grace
        case .hangup:
            // What is left had SIGTERM a grace period ago already (an X server that ignores both): no second wait.
            if current.allSatisfy({ terminated.contains($0.identity) }) {
                beginFreeze()
                stop(current, round: 0, now: now)
                return false
            }
            stage = .terminate
            send(SIGTERM, to: current)
            nextStepAt = now + grace
        case .terminate:
            beginFreeze()
            stop(current, round: 0, now: now)
        case .stopping(let round):
            stop(current, round: round, now: now)
        case .killed(let round):
            guard round + 1 < Self.maxKillRounds else {
                finish()
                return true
            }
            killRounds = round + 1
            beginFreeze()
            stop(current, round: 0, now: now)
        case .finished:
            return true
        }
        return false
    }

    /// Which signal ended how many processes, and how many survived, for `event=terminate`.
    var summary: String {
        var counts: [String: Int] = [:]
        for target in targets {
            let key = target.endedBy.map(Self.signalName) ?? "survived"
            counts[key, default: 0] += 1
        }
        let parts = ["exited", "HUP", "TERM", "KILL", "survived"].compactMap { key in counts[key].map { "\(key):\($0)" } }
        return parts.isEmpty ? "none" : parts.joined(separator: ",")
    }

    /// How many processes appeared after the first listing (forks and respawns that were caught).
    var foundLater: Int { targets.filter(\.foundLater).count }

    // MARK: Listing

    /// The session's processes of its user that run now; new ones become targets.
    private func relist() -> [ProcessRecord] {
        let listed = members.list(known: living.map(\.identity), processes: processes, cgroups: cgroups)
        var current: [ProcessRecord] = []
        for record in listed {
            guard record.pid > 1, record.pid != ownPID else { continue }
            guard record.realUID == uid else {
                note(record.pid, "uid-\(record.realUID)")
                continue
            }
            if let index = targetIndex[record.identity] {
                // A process seen gone (an unreadable moment) that is listed again still runs.
                if targets[index].endedBy != nil && processes.liveness(of: record.identity) == .alive {
                    targets[index].endedBy = nil
                }
            } else {
                targetIndex[record.identity] = targets.count
                targets.append(Target(identity: record.identity, endedBy: nil, foundLater: listedOnce))
            }
            current.append(record)
        }
        return current
    }

    /// Marks the targets that are gone; each is credited to the last signal sent to it. One whose state cannot be
    /// read (no descriptor left) still runs as far as the end knows.
    private func reap() {
        for index in targets.indices where targets[index].endedBy == nil {
            if processes.liveness(of: targets[index].identity) == .gone { markGone(index) }
        }
    }

    private func markGone(_ index: Int) {
        targets[index].endedBy = targets[index].lastSent
    }

    // MARK: Signals

    private func send(_ signal: Int32, to records: [ProcessRecord]) {
        for record in records {
            if deliver(signal, to: record.identity), signal == SIGTERM {
                terminated.insert(record.identity)
            }
        }
    }

    /// Sends `signal` to exactly `identity` through a pidfd opened for it; false when it was not sent. One found
    /// gone on the way is credited to the signal it had before this one (or none).
    @discardableResult
    private func deliver(_ signal: Int32, to identity: ProcessIdentity) -> Bool {
        guard let index = targetIndex[identity], targets[index].endedBy == nil else { return false }
        let handle: Int32
        switch handles.open(identity.pid) {
        case .success(let opened): handle = opened
        case .failure(let failure):
            if failure.processIsGone {
                markGone(index)
            } else {
                note(identity.pid, "pidfd-errno-\(failure.errno)")
            }
            return false
        }
        defer { handles.close(handle) }
        // The handle was opened after the listing: read the process again, so that both name the one checked.
        guard let current = processes.record(identity.pid), current.startTime == identity.startTime,
              !current.hasExited
        else {
            markGone(index)
            return false
        }
        guard current.realUID == uid else {
            note(identity.pid, "changed")
            return false
        }
        guard let failure = handles.send(signal, to: handle) else {
            if signal != SIGSTOP { targets[index].lastSent = signal }
            return true
        }
        if failure.processIsGone {
            // Gone before this signal: the one before it (or none) ended it.
            markGone(index)
        } else {
            note(identity.pid, "signal-errno-\(failure.errno)")
        }
        return false
    }

    // MARK: The kill step

    /// Freezes the login's scope when cgroup v2 can and the daemon is not in it (a daemon started by hand in a
    /// login that ends would freeze itself).
    private func beginFreeze() {
        lastStopListing = []
        guard let scope = members.scope, frozenScope == nil, cgroups.canFreeze(scope),
              !cgroups.contains(scope, pid: ownPID), cgroups.setFrozen(true, scope)
        else { return }
        frozenScope = scope
        usedFreezer = true
    }

    /// One round of the freeze: SIGSTOP to every member that is neither stopped nor frozen with its scope. Once a
    /// round finds them all so and no new one, or the rounds are spent, every member is killed.
    private func stop(_ current: [ProcessRecord], round: Int, now: Instant) {
        let frozenPIDs = frozenScope.flatMap { cgroups.members(of: $0) }.map(Set.init) ?? []
        var settled = frozenScope.map { cgroups.isFrozen($0) } ?? true
        for record in current where !frozenPIDs.contains(record.pid) && !record.isStopped {
            settled = false
            deliver(SIGSTOP, to: record.identity)
        }
        let listing = Set(current.map(\.identity))
        let newcomers = !listing.isSubset(of: lastStopListing)
        lastStopListing = listing
        guard (settled && !newcomers) || round + 1 >= Self.maxStopRounds else {
            stage = .stopping(round: round + 1)
            nextStepAt = now + Self.stopRoundInterval
            return
        }
        send(SIGKILL, to: current)
        thaw()
        stage = .killed(round: killRounds)
        nextStepAt = now + Self.killWait
    }

    private func thaw() {
        guard let scope = frozenScope else { return }
        frozenScope = nil
        _ = cgroups.setFrozen(false, scope)
    }

    private func finish() {
        thaw()
        stage = .finished
    }

    private func note(_ pid: Int32, _ why: String) {
        let key = "\(pid):\(why)"
        if skippedKeys.insert(key).inserted { skipped.append(key) }
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGHUP: return "HUP"
        case SIGTERM: return "TERM"
        case SIGKILL: return "KILL"
        case SIGSTOP: return "STOP"
        case 0: return "exited"
        default: return "SIG\(signal)"
        }
    }
}
