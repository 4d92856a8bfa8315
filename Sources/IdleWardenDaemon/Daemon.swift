import IdleWardenCore
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The idlewarden daemon: registers sessions reported by the PAM module, watches their terminals for input
/// when they come due, warns, and ends idle sessions. Single-threaded; the world-writable control socket is read
/// by a child process that may block where the daemon must not (`ControlReceiver`). It owns all of its state;
/// the sessions are in `registry`, and every effect goes through `effects` (or, for the sockets and the loop, `io`).
///
/// Its handlers, by concern: datagrams (Daemon+Datagrams), the control receiver (Daemon+Receiver), control
/// requests (Daemon+Control), deadlines
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
    var displays: any Desktops { effects.desktops }

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
    /// When to give up on the control receiver (see Daemon+Receiver); unused without `io`.
    var receiverWatch: ReceiverWatchdog
    /// More spooled records wait than one wake-up reads: the loop comes back at once (Daemon+SessionDelivery).
    var spoolBacklog = false
    /// Every audit line passes through it, to be counted for the metrics.
    let counter: AuditCounter
    var metricsExport = MetricsExport()
    let startedAt: Instant

    /// The sockets and the event loop; nil in unit tests.
    private(set) var io: DaemonIO?
    /// systemd's notification socket (Type=notify); nil when not started by systemd, and in unit tests.
    private var notifier: ServiceNotifier?
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
        lastClockSample = effects.clock.sample()
        bootID = effects.clock.bootID()
        lastRefusalReport = effects.clock.now()
        receiverWatch = ReceiverWatchdog(startedAt: effects.clock.now())
        counter = AuditCounter(sink: effects.audit)
        counter.format = config.auditFormat
        startedAt = effects.clock.now()
    }

    /// The daemon as installed: the system's effects, its sockets bound and its event loop made. It tells
    /// `notifier` (systemd) it is ready once it has restored and adopted its sessions (see `run`). Throws
    /// `StateLock.Held`, before any socket is touched, when another daemon runs on the same state directory.
    public convenience init(
        options: Options, config: Config, logger: Logger, audit: AuditLog, notifier: ServiceNotifier?
    ) throws {
        Self.raiseDescriptorLimit()
        try self.init(options: options, config: config, logger: logger, effects: .live(audit: audit))
        io = try DaemonIO(options: options)
        self.notifier = notifier
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
            ("socket", options.socketPath), ("session_socket", options.sessionSocketPath),
            ("spool", io.spool.path), ("config", options.configPath),
            ("config_file", config.fromFile ? "read" : "missing-using-defaults"),
            ("drop_ins", config.dropIns.isEmpty ? nil : String(config.dropIns.count)),
            ("rules", String(config.rules.count)),
            ("receiver", String(io.receiver.pid)),
            ("passed_descriptors", io.receiver.refusesDescriptors ? "refused-by-kernel" : "dropped-by-receiver"),
        ]))
        auditHostNotices()
        var steps = StepMeter()
        steps.begin(.start, at: StepMeter.sample())
        recover(now: clock.now())
        // Ready: config read, sockets bound, sessions restored. What was sent meanwhile waits in the sockets.
        notifier?.ready(status: "Watching \(registry.count) session(s); config \(options.configPath) "
            + "(\(config.fromFile ? "\(config.rules.count) rule(s)" : "missing: built-in defaults"))")
        while running {
            saveStateIfNeeded(now: clock.now())
            writeMetricsIfNeeded(now: clock.now())
            let wakeUp = [nextWakeUp(), receiverWatch.deadline].compactMap { $0 }.min()
            io.loop.arm(afterMilliseconds: wakeUp.map { ($0 - clock.now()).milliseconds })
            steps.end(at: StepMeter.sample())
            let sources = io.loop.wait()
            steps.begin(StepMeter.Sources(sources), at: StepMeter.sample())
            followClock()
            for source in sources {
                switch source {
                case .socket(let index):
                    switch DaemonIO.Source(rawValue: index) {
                    case .session: acceptSessions(from: io.session)
                    case .spool, nil: replaySpool(now: clock.now())
                    }
                case .receiver: drainReceiver(io)
                case .receiverExited: receiverExited(io)
                case .signal: handleSignals(io.loop)
                case .timer:
                    io.loop.drainTimer()
                    handleDue(now: clock.now())
                    if spoolBacklog { replaySpool(now: clock.now()) }
                case .process(let handle): processExited(handle: handle)
                case .clockSet: io.loop.rearmClockWatch()
                }
            }
            superviseReceiver(io)
        }
        notifier?.stopping()
        saveStateIfNeeded(now: clock.now(), force: true)
        removeMetricsFile()
        io.unlinkPaths()
        steps.end(at: StepMeter.sample())
        audit.record(AuditRecord("stop", [("sessions", String(registry.count))] + steps.fields))
    }

    /// What about the host weakens enforcement and is the admin's to change, said once at start.
    private func auditHostNotices() {
        let injection = TerminalInjection.current()
        guard case .allowed(let setting) = injection, let notice = injection.notice else { return }
        audit.record(AuditRecord("host-notice", [
            ("topic", "tiocsti"), ("sysctl", TerminalInjection.sysctlName), ("setting", setting),
            ("fix", "\(TerminalInjection.sysctlName) = 0"), ("detail", notice),
        ]), priority: LOG_WARNING)
    }

    /// The earliest moment something is due: a session's deadline, a state save that was put off, a write of the
    /// metrics file, or at once when spooled records wait beyond one batch.
    func nextWakeUp() -> Instant? {
        [registry.nextDue(), stateIsDirty ? stateSaveNotBefore : nil, metricsWriteDue(), spoolBacklog ? clock.now() : nil]
            .compactMap { $0 }.min()
    }

    /// Detects a wall clock that was set (not one that ran, nor a suspend) and moves every session's
    /// recorded instants by the jump, see `ClockSample`, so that the jump neither adds idle time nor takes any
    /// away; an end under way keeps its next signal step, and the next state save its time, as far away as before. The event loop wakes the moment the clock is set (`EventLoop.Source.clockSet`), so a terminal read
    /// since the last look was read before the jump and its time is in the old frame: every watched session's
    /// terminals are looked at first, in that frame, and only then moved with the rest.
    func followClock() {
        let sample = clock.sample()
        defer { lastClockSample = sample }
        guard let jump = sample.jump(since: lastClockSample) else { return }
        receiverWatch.shift(by: jump)
        let ids = registry.orderedIDs
        let before = sample.wall - jump
        for id in ids {
            let answered = registry.update(id) { entry in
                let warned = entry.session.warning != nil
                if entry.phase.isWatched { lookAtTerminals(&entry, now: before) }
                if case .ending(let termination, _) = entry.phase { termination.shift(by: jump) }
                entry.session.shift(by: jump)
                entry.display.shift(by: jump)
                return warned && entry.session.warning == nil
            }
            if answered == true, let session = registry[id]?.session {
                audit.record(AuditRecord("activity", sessionFields(session) + [
                    ("result", "warning-cancelled"), ("source", "terminal"),
                ]))
            }
        }
        stateSaveNotBefore = stateSaveNotBefore.map { $0 + jump }
        markAllStateChanged()
        audit.record(AuditRecord("clock-jump", [
            ("jump", String(jump.wholeSeconds)), ("sessions", String(registry.count)),
        ]), priority: LOG_WARNING)
        for id in ids {
            switch registry[id]?.phase {
            case .watched?: reschedule(id, now: sample.wall)
            case .ending?: registry.schedule(id, at: sample.wall)
            case .ended?, nil: continue
            }
        }
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
    /// systemd hears of it: RELOADING=1 first, READY=1 when it is over, the config taken or not.
    @discardableResult
    func reload() -> [String] {
        notifier?.reloading(monotonicMicroseconds: clock.monotonicMicroseconds())
        let result = ConfigLoader.load(path: options.configPath)
        guard let loaded = result.config else {
            for error in result.errors {
                audit.record(AuditRecord("config-error", [
                    ("config", options.configPath), ("error", error.description), ("result", "old-config-kept"),
                ]), priority: LOG_ERR)
            }
            notifier?.ready(status: "Reload refused: \(result.errors.count) error(s) in \(options.configPath) "
                + "(journalctl -t idlewarden); the previous config stays in force")
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
        notifier?.ready(status: "Watching \(registry.count) session(s); config \(options.configPath) reloaded "
            + "(\(config.rules.count) rule(s))")
        return []
    }
}
