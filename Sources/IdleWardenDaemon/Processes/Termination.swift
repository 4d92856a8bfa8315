import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// Ends the processes of one session: SIGHUP a moment after the farewell line (so that sshd forwards it to
/// the client before it hangs up), then SIGTERM after `grace`, then SIGKILL after another `grace`. Each target is
/// held through a handle (pidfd) opened *before* its uid and start time are checked, so the signal reaches exactly
/// the process that was checked, never a later holder of the same pid.
final class Termination {
    struct Target {
        var identity: ProcessIdentity
        var handle: Int32
        var endedBy: Int32?
    }

    enum Stage: Equatable { case farewell, hangup, terminate, kill, finished }

    /// Time for the farewell line to travel from the pty through sshd to the user before the hang-up.
    static let farewellDelay: Duration = .milliseconds(500)

    let sessionID: String
    let reason: EndReason
    private(set) var targets: [Target] = []
    private(set) var stage: Stage = .farewell
    /// Processes that could not be signalled, with why (gone, other uid, EPERM), for the audit line.
    private(set) var skipped: [String] = []
    private(set) var nextStepAt: Instant
    private let grace: Duration
    private let handles: any ProcessHandles
    private let processes: any ProcessTreeSource

    /// Picks the targets; SIGHUP follows at the first `step` after `farewellDelay`. `members` come from the
    /// process table; every one is re-checked here and held by its handle from then on.
    init(
        session: Session, reason: EndReason, members: [ProcessRecord], now: Instant, handles: any ProcessHandles,
        processes: any ProcessTreeSource
    ) {
        sessionID = session.id
        self.reason = reason
        self.handles = handles
        self.processes = processes
        grace = session.limits.grace
        nextStepAt = now + Self.farewellDelay
        let ownPID = getpid()
        for member in members {
            guard member.pid > 1, member.pid != ownPID else { continue }
            if member.pid == session.leader.pid && session.origin.leaderIsLoginProcess { continue }
            guard member.realUID == session.facts.uid else {
                skipped.append("\(member.pid):uid-\(member.realUID)")
                continue
            }
            let handle: Int32
            switch handles.open(member.pid) {
            case .success(let opened): handle = opened
            case .failure(let failure):
                skipped.append("\(member.pid):\(failure.processIsGone ? "gone" : "pidfd-errno-\(failure.errno)")")
                continue
            }
            guard let current = processes.record(member.pid), current.startTime == member.startTime,
                  current.realUID == session.facts.uid
            else {
                handles.close(handle)
                skipped.append("\(member.pid):changed")
                continue
            }
            targets.append(Target(identity: member.identity, handle: handle))
        }
    }

    deinit {
        for target in targets { handles.close(target.handle) }
    }

    /// Advances one stage when its time has come; returns true once every target is gone or was killed.
    @discardableResult
    func step(now: Instant) -> Bool {
        reap()
        if living.isEmpty { stage = .finished }
        guard stage != .finished else { return true }
        guard now >= nextStepAt else { return false }
        switch stage {
        case .farewell:
            // A process that ignores SIGHUP would only sit out a grace period (every process of a LightDM session
            // does: LightDM sets SIG_IGN before it execs the session); when all of them do, the end starts at SIGTERM.
            if living.allSatisfy({ processes.ignoresHangup($0.identity.pid) }) {
                stage = .terminate
                signalLiving(SIGTERM)
            } else {
                stage = .hangup
                signalLiving(SIGHUP)
            }
        case .hangup:
            stage = .terminate
            signalLiving(SIGTERM)
        case .terminate:
            stage = .kill
            signalLiving(SIGKILL)
        case .kill, .finished:
            stage = .finished
            return true
        }
        nextStepAt = now + grace
        return false
    }

    var living: [Target] { targets.filter { $0.endedBy == nil } }

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

    /// The last signal sent; 0 before the first, so a process that exits on its own is not credited to one.
    private var lastSignal: Int32 = 0

    private func signalLiving(_ signal: Int32) {
        let previous = lastSignal
        lastSignal = signal
        for index in targets.indices where targets[index].endedBy == nil {
            guard let failure = handles.send(signal, to: targets[index].handle) else { continue }
            if failure.processIsGone {
                // Gone before this signal: the one before it (or none) ended it.
                targets[index].endedBy = previous
            } else {
                skipped.append("\(targets[index].identity.pid):signal-errno-\(failure.errno)")
            }
        }
    }

    /// Marks targets whose handle reports exit; they are credited to the last signal sent.
    private func reap() {
        for index in targets.indices where targets[index].endedBy == nil {
            if handles.hasExited(targets[index].handle) { targets[index].endedBy = lastSignal }
        }
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGHUP: return "HUP"
        case SIGTERM: return "TERM"
        case SIGKILL: return "KILL"
        case 0: return "exited"
        default: return "SIG\(signal)"
        }
    }
}
