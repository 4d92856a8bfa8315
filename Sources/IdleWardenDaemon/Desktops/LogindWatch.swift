import IdleWardenCore

/// Reads systemd-logind's idle hint for graphical sessions (Wayland and X alike) through `busctl` (`Busctl`), each
/// call in a child with a deadline, like the X query. Without logind nothing is spawned. What it remembers of a
/// session is that session's `SessionState`, kept in its registry entry.
final class LogindWatch {
    /// How long the daemon waits for one busctl call before it kills it.
    static let timeoutMilliseconds: Int32 = 500

    /// What the watch knows of one session.
    struct SessionState {
        /// The session's logind object, once found.
        var path: String?
        /// Whether logind's last answer was a usable hint; to log changes only.
        var answered: Bool?
    }

    private let bus: any LogindBus
    private let clock: any DaemonClock

    init(clock: any DaemonClock, bus: any LogindBus = Busctl()) {
        self.clock = clock
        self.bus = bus
    }

    /// logind runs: the system was booted with systemd (sd_booted) and logind keeps its seat directory.
    var isPresent: Bool { bus.isPresent }

    /// logind's view of `session`; nil when logind is not running. Two busctl calls the first time (find the
    /// session object, read its properties), one afterwards; a failed read finds the object again next time.
    func read(_ session: Session, state: inout SessionState) -> LogindActivity? {
        guard isPresent else { return nil }
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

    private func run(_ arguments: [String]) -> (Int32, String) {
        let reply = bus.busctl(arguments, outputLimit: 4096, timeoutMilliseconds: Self.timeoutMilliseconds)
        return (reply.status, reply.output)
    }
}
