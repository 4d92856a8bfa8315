import CIdleWardenX
import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// Reads systemd-logind's idle hint for graphical sessions (Wayland and X alike) through `busctl`, which ships
/// with systemd and so is there wherever logind runs. Each call runs in a child with a deadline, like the X
/// query: a stuck bus never stalls the daemon's loop. Without logind nothing is spawned. What it remembers of a
/// session is that session's `SessionState`, kept in its registry entry.
final class LogindWatch {
    /// How long the daemon waits for one busctl call before it kills it.
    static let timeoutMilliseconds: Int32 = 500
    static let busctl = "/usr/bin/busctl"
    /// For the end-to-end tests only (documented in idlewarden(8)): a D-Bus address where a mock logind
    /// listens. When set, logind counts as running and busctl talks to that bus instead of the system bus.
    static let testBusVariable = "IDLEWARDEN_TEST_LOGIND_BUS"

    /// What the watch knows of one session.
    struct SessionState {
        /// The session's logind object, once found.
        var path: String?
        /// Whether logind's last answer was a usable hint; to log changes only.
        var answered: Bool?
    }

    private let testBus: String?
    private let clock: any DaemonClock

    init(clock: any DaemonClock) {
        self.clock = clock
        testBus = getenv(Self.testBusVariable).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// logind runs: the system was booted with systemd (sd_booted) and logind keeps its seat directory.
    var isPresent: Bool {
        testBus != nil || (access("/run/systemd/system", F_OK) == 0 && access("/run/systemd/seats", F_OK) == 0)
    }

    /// logind's view of `session`; nil when logind is not running. Two busctl calls the first time (find the
    /// session object, read its properties), one afterwards; a failed read finds the object again next time.
    func read(_ session: Session, state: inout SessionState) -> LogindActivity? {
        guard isPresent else { return nil }
        guard access(Self.busctl, X_OK) == 0 else { return .unknown("\(Self.busctl) is not installed") }
        let pid = UInt32(bitPattern: session.leader.pid)
        let path: String
        if let known = state.path {
            path = known
        } else {
            let (status, output) = run(["call", "org.freedesktop.login1", "/org/freedesktop/login1",
                                        "org.freedesktop.login1.Manager", "GetSessionByPID", "u", String(pid)])
            switch LogindReply.sessionPath(status: status, output: output) {
            case .success(let found): path = found
            case .failure(let error): return .unknown(error.description)
            }
            state.path = path
        }
        let (status, output) = run(["get-property", "org.freedesktop.login1", path, "org.freedesktop.login1.Session"]
            + LogindReply.properties)
        let now = clock.now()
        let monotonic = clock.monotonicMicroseconds()
        switch LogindReply.idleHint(status: status, output: output) {
        case .success(let hint):
            return hint.activity(leader: pid, now: now, monotonicMicroseconds: monotonic)
        case .failure(let error):
            state.path = nil
            return .unknown(error.description)
        }
    }

    /// Runs busctl with stderr on stdout (its error messages are the reasons logged); status as
    /// `iw_spawn_capture` returns it, a timeout or a failed start already turned into a message.
    private func run(_ arguments: [String]) -> (Int32, String) {
        let argv = ["/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1", Self.busctl, "--no-pager", "--json=short",
                    "--timeout=1"] + arguments
        var environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "SYSTEMD_COLORS=0"]
        if let testBus { environment.append("DBUS_SYSTEM_BUS_ADDRESS=\(testBus)") }
        var output = [CChar](repeating: 0, count: 4096)
        let status = DisplayWatch.withCStrings(argv) { argv in
            DisplayWatch.withCStrings(environment) { envp in
                iw_spawn_capture(argv, envp, Self.timeoutMilliseconds, &output, output.count)
            }
        }
        let text = String(decoding: output.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch status {
        case -2: return (1, "busctl did not answer within \(Self.timeoutMilliseconds) ms")
        case -1: return (1, "cannot start \(Self.busctl)")
        default: return (status, text)
        }
    }
}
