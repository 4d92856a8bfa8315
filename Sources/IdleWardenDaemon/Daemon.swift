import IdleWardenCore
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The idlewarden daemon: registers sessions reported by the PAM module, watches their terminals for input
/// when they come due, warns, and ends idle sessions. Single-threaded. It owns all of its state; the sessions are
/// in `registry`, and every effect goes through `effects` (or, for the sockets and the loop, `io`).
///
/// Its handlers, by concern: datagrams (Daemon+Datagrams), control requests (Daemon+Control), deadlines
/// (Daemon+Deadlines), registration and removal (Daemon+Sessions), start-up (Daemon+Recovery), saving state
/// (Daemon+Persistence), desktops (Daemon+Graphical), metrics (Daemon+Metrics).
public final class Daemon {
    public struct Options: Sendable {
        public var configPath: String
        public var socketPath: String
        public var sessionSocketPath: String
        public var stateDirectory: String
        /// Adopt, at start-up, live logins that were never registered (see Daemon+Recovery).
        public var adoptsLogins: Bool

        public init(
            configPath: String, socketPath: String, sessionSocketPath: String? = nil, stateDirectory: String,
            adoptsLogins: Bool = true
        ) {
            self.configPath = configPath
            self.socketPath = socketPath
            self.sessionSocketPath = sessionSocketPath ?? Self.sessionSocket(besides: socketPath)
            self.stateDirectory = stateDirectory
            self.adoptsLogins = adoptsLogins
        }

        /// `session.sock` in the control socket's directory: the PAM module's default beside control.sock.
        public static func sessionSocket(besides control: String) -> String {
            guard let slash = control.lastIndex(of: "/") else { return "session.sock" }
            return String(control[...slash]) + "session.sock"
        }
    }

    let options: Options
    let logger: Logger
    let effects: DaemonEffects
    var config: Config
    /// Every session and everything the daemon holds about it.
    var registry = SessionRegistry()
    var nextSessionNumber: UInt64 = 1 { didSet { stateChanges.insertCounter() } }
    let probe: ActivityProbe
    /// Graphical sessions: X idle time and desktop warnings (see Daemon+Graphical).
    let displays: DisplayWatch

    let store: StateStore
    /// One daemon per state directory (and so per socket paths).
    private let lock: StateLock
    /// The changes that a restart could not rebuild from the system (see `markStateChanged`).
    var stateChanges = StateChanges()
    var stateIsDirty: Bool { !stateChanges.isEmpty }
    /// No save before this moment: saves are coalesced (see `saveStateIfNeeded`) or retried after a failure.
    var stateSaveNotBefore: Instant?
    var stateSaveFailing = false
    var lastClockSample: ClockSample
    let bootID: String?

    var budget = RequestBudget(burst: 20, perSecond: 10)
    var lastRefusalReport: Instant
    var replies = ReplyCache()
    /// Every audit line passes through it, to be counted for the metrics.
    let counter: AuditCounter
    var metricsExport = MetricsExport()
    let startedAt: Instant

    /// The sockets and the event loop; nil in unit tests.
    private(set) var io: DaemonIO?
    private var running = true

    var audit: any AuditSink { counter }
    var clock: any DaemonClock { effects.clock }

    /// A daemon without sockets or event loop: what unit tests drive, calling its handlers directly.
    init(options: Options, config: Config, logger: Logger, effects: DaemonEffects) throws {
        self.options = options
        self.logger = logger
        self.effects = effects
        self.config = config
        try StateDirectory.prepare(options.stateDirectory)
        lock = try StateLock(directory: options.stateDirectory)
        store = StateStore(directory: options.stateDirectory)
        probe = ActivityProbe(devices: effects.terminals)
        displays = DisplayWatch(clock: effects.clock)
        lastClockSample = effects.clock.sample()
        bootID = effects.clock.bootID()
        lastRefusalReport = effects.clock.now()
        counter = AuditCounter(sink: effects.audit)
        counter.format = config.auditFormat
        startedAt = effects.clock.now()
    }

    /// The daemon as installed: the system's effects, its sockets bound and its event loop made. Throws
    /// `StateLock.Held`, before any socket is touched, when another daemon runs on the same state directory.
    public convenience init(options: Options, config: Config, logger: Logger, audit: AuditLog) throws {
        Self.raiseDescriptorLimit()
        try self.init(options: options, config: config, logger: logger, effects: .live(audit: audit))
        io = try DaemonIO(options: options)
    }

    /// The daemon holds a pidfd per session leader and per process it is ending: the usual soft limit of 1,024
    /// descriptors would cap it near 1,000 sessions, so it takes the hard limit.
    static func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// Runs until SIGTERM or SIGINT. Needs the sockets of `init(options:config:logger:audit:)`.
    public func run() {
        guard let io else { preconditionFailure("Daemon.run needs the daemon made with its sockets") }
        audit.record(AuditRecord("start", [
            ("socket", options.socketPath), ("session_socket", options.sessionSocketPath), ("config", options.configPath),
            ("config_file", config.fromFile ? "read" : "missing-using-defaults"),
            ("drop_ins", config.dropIns.isEmpty ? nil : String(config.dropIns.count)),
            ("rules", String(config.rules.count)),
        ]))
        recover(now: clock.now())
        while running {
            saveStateIfNeeded(now: clock.now())
            writeMetricsIfNeeded(now: clock.now())
            io.loop.arm(afterMilliseconds: nextWakeUp().map { ($0 - clock.now()).milliseconds })
            let sources = io.loop.wait()
            followClock()
            for source in sources {
                switch source {
                case .socket(let index): drain(io.socket(at: index), replyingThrough: io.control)
                case .signal: handleSignals(io.loop)
                case .timer:
                    io.loop.drainTimer()
                    handleDue(now: clock.now())
                case .leader(let handle): leaderExited(handle: handle)
                }
            }
        }
        saveStateIfNeeded(now: clock.now(), force: true)
        removeMetricsFile()
        io.unlinkPaths()
        audit.record(AuditRecord("stop", [("sessions", String(registry.count))]))
    }

    /// The earliest moment something is due: a session's deadline, a state save that was put off, or a write of
    /// the metrics file.
    func nextWakeUp() -> Instant? {
        [registry.nextDue(), stateIsDirty ? stateSaveNotBefore : nil, metricsWriteDue()].compactMap { $0 }.min()
    }

    /// Detects a wall clock that was set (not one that ran, nor a suspend) and moves every session's
    /// recorded instants by the jump, see `ClockSample`.
    func followClock() {
        let sample = clock.sample()
        defer { lastClockSample = sample }
        guard let jump = sample.jump(since: lastClockSample) else { return }
        let ids = registry.orderedIDs
        for id in ids { registry.update(id) { $0.session.shift(by: jump) } }
        markAllStateChanged()
        audit.record(AuditRecord("clock-jump", [
            ("jump", String(jump.wholeSeconds)), ("sessions", String(registry.count)),
        ]), priority: LOG_WARNING)
        for id in ids where registry[id]?.phase.isWatched == true { reschedule(id, now: sample.wall) }
    }

    // MARK: Signals

    private func handleSignals(_ loop: EventLoop) {
        while let number = loop.nextSignal() {
            switch number {
            case SIGHUP: reload()
            default: running = false
            }
        }
    }

    /// Applies a new config to every session: limits are recomputed from each session's recorded last input,
    /// and a session already past a shortened limit still gets its full warning (see `Session.verdict`).
    @discardableResult
    func reload() -> [String] {
        let result = ConfigLoader.load(path: options.configPath)
        guard let loaded = result.config else {
            for error in result.errors {
                audit.record(AuditRecord("config-error", [
                    ("config", options.configPath), ("error", error.description), ("result", "old-config-kept"),
                ]), priority: LOG_ERR)
            }
            return result.errors.map(\.description)
        }
        config = loaded
        counter.format = config.auditFormat
        markAllStateChanged()
        let now = clock.now()
        for id in registry.orderedIDs {
            let watched = registry.update(id) { entry in
                entry.session.limits = Policy.resolve(config, for: entry.session.facts).limits
                return entry.phase.isWatched
            }
            if watched == true { reschedule(id, now: now) }
        }
        audit.record(AuditRecord("config-reload", [
            ("config", options.configPath), ("drop_ins", config.dropIns.isEmpty ? nil : String(config.dropIns.count)),
            ("sessions", String(registry.count)), ("rules", String(config.rules.count)),
        ]))
        return []
    }
}
