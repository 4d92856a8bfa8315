import CIdleWarden
import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// Ends the processes of one session: SIGHUP a moment after the farewell line (so that sshd forwards it to
/// the client before it hangs up), then SIGTERM after `grace`, then SIGKILL after another `grace`. Each target is held through a pidfd opened *before* its uid and start time are checked, so the
/// signal reaches exactly the process that was checked, never a later holder of the same pid.
public final class Termination {
    public struct Target {
        public var identity: ProcessIdentity
        var pidfd: Int32
        public var endedBy: Int32?
    }

    public enum Stage: Equatable { case farewell, hangup, terminate, kill, finished }

    /// Time for the farewell line to travel from the pty through sshd to the user before the hang-up.
    public static let farewellDelay: Duration = .milliseconds(500)

    public let sessionID: String
    public let reason: EndReason
    public private(set) var targets: [Target] = []
    public private(set) var stage: Stage = .farewell
    /// Processes that could not be signalled, with why (gone, other uid, EPERM), for the audit line.
    public private(set) var skipped: [String] = []
    public private(set) var nextStepAt: Instant
    private let grace: Duration

    /// Picks the targets; SIGHUP follows at the first `step` after `farewellDelay`. `members` come from the
    /// process table; every one is re-checked here and held by pidfd from then on.
    public init(session: Session, reason: EndReason, members: [ProcessRecord], now: Instant) {
        sessionID = session.id
        self.reason = reason
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
            let fd = iw_pidfd_open(member.pid)
            guard fd >= 0 else {
                skipped.append("\(member.pid):\(errno == ESRCH ? "gone" : "pidfd-errno-\(errno)")")
                continue
            }
            guard let current = ProcessRecord.read(pid: member.pid), current.startTime == member.startTime,
                  current.realUID == session.facts.uid
            else {
                close(fd)
                skipped.append("\(member.pid):changed")
                continue
            }
            targets.append(Target(identity: member.identity, pidfd: fd))
        }
    }

    deinit {
        for target in targets where target.pidfd >= 0 { close(target.pidfd) }
    }

    /// Advances one stage when its time has come; returns true once every target is gone or was killed.
    @discardableResult
    public func step(now: Instant) -> Bool {
        reap()
        if living.isEmpty { stage = .finished }
        guard stage != .finished else { return true }
        guard now >= nextStepAt else { return false }
        switch stage {
        case .farewell:
            // A process that ignores SIGHUP would only sit out a grace period (every process of a LightDM session
            // does: LightDM sets SIG_IGN before it execs the session); when all of them do, the end starts at SIGTERM.
            if living.allSatisfy({ Self.ignoresHangup($0.identity.pid) }) {
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

    public var living: [Target] { targets.filter { $0.endedBy == nil } }

    /// Which signal ended how many processes, and how many survived, for `event=terminate`.
    public var summary: String {
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
            if iw_pidfd_send_signal(targets[index].pidfd, signal) != 0 {
                if errno == ESRCH {
                    // Gone before this signal: the one before it (or none) ended it.
                    targets[index].endedBy = previous
                } else {
                    skipped.append("\(targets[index].identity.pid):signal-errno-\(errno)")
                }
            }
        }
    }

    /// Marks targets whose pidfd reports exit; they are credited to the last signal sent.
    private func reap() {
        for index in targets.indices where targets[index].endedBy == nil {
            var entry = pollfd(fd: targets[index].pidfd, events: Int16(POLLIN), revents: 0)
            if poll(&entry, 1, 0) == 1 { targets[index].endedBy = lastSignal }
        }
    }

    /// Whether SIGHUP is ignored (SigIgn bit 0 in /proc/PID/status). Read by pid: a reused pid only changes
    /// which signal comes first, since every signal goes through the checked pidfd.
    static func ignoresHangup(_ pid: Int32) -> Bool {
        ProcText.withContents("/proc/\(pid)/status") { ignoredSignalMask($0) }.flatMap { $0 }.map { $0 & 1 == 1 } ?? false
    }

    /// The hexadecimal mask of the "SigIgn:" line of /proc/PID/status.
    static func ignoredSignalMask(_ text: UnsafeBufferPointer<UInt8>) -> UInt64? {
        let key = Array("SigIgn:".utf8)
        var lineStart = text.startIndex
        while lineStart < text.endIndex {
            let lineEnd = text[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? text.endIndex
            if text[lineStart..<lineEnd].starts(with: key) {
                let value = String(decoding: text[(lineStart + key.count)..<lineEnd], as: UTF8.self)
                return UInt64(value.filter { $0 != " " && $0 != "\t" }, radix: 16)
            }
            lineStart = lineEnd + 1
        }
        return nil
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
