import CIdleWarden
import Foundation
import IdleWardenClient
import IdleWardenCore
import IdleWardenWire
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The idlewarden daemon: registers sessions reported by the PAM module, watches their terminals for input
/// when they come due, warns, and ends idle sessions. Single-threaded; every effect goes through here.
public final class Daemon {
    public struct Options: Sendable {
        public var configPath: String
        public var socketPath: String
        public var sessionSocketPath: String
        public var stateDirectory: String
        /// Adopt, at start-up, live logins that were never registered (see `DaemonRecovery`).
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
    let audit: AuditLog
    private let socket: ControlSocket
    /// The PAM module's records: the session socket, and the spool for what it could not deliver
    /// (Daemon+SessionDelivery.swift).
    let sessionListener: SessionListener
    let spool: SessionSpool
    /// More spooled records wait than one wake-up reads: the loop comes back at once.
    var spoolBacklog = false
    private let loop: EventLoop
    private var budget = RequestBudget(burst: 20, perSecond: 10)
    private var lastRefusalReport = WallClock.now()
    let probe = ActivityProbe()
    /// Graphical sessions: X idle time and desktop warnings (see Daemon+Graphical.swift).
    let displays = DisplayWatch()
    let accounts = AccountDirectory()
    var config: Config
    var sessions: [String: Session] = [:]
    /// Session id by leader, so that a close finds its session without a search.
    var sessionsByLeader: [ProcessIdentity: String] = [:]
    var schedule = Schedule()
    let store: StateStore
    /// The changes that a restart could not rebuild from the system (see `markStateChanged`).
    var stateChanges = StateChanges()
    var stateIsDirty: Bool { !stateChanges.isEmpty }
    /// No save before this moment: saves are coalesced (see `saveStateIfNeeded`) or retried after a failure.
    var stateSaveNotBefore: Instant?
    var stateSaveFailing = false
    var lastClockSample = WallClock.sample()
    let bootID = WallClock.bootID()
    private var terminations: [String: Termination] = [:]
    private var leaderFDs: [String: Int32] = [:]
    private var sessionsByLeaderFD: [Int32: String] = [:]
    private var replies = ReplyCache()
    var nextSessionNumber: UInt64 = 1 { didSet { stateChanges.insertCounter() } }
    private var running = true

    public init(options: Options, config: Config, logger: Logger, audit: AuditLog) throws {
        self.options = options
        self.logger = logger
        self.audit = audit
        self.config = config
        Self.raiseDescriptorLimit()
        try StateDirectory.prepare(options.stateDirectory)
        store = StateStore(directory: options.stateDirectory)
        socket = try ControlSocket(path: options.socketPath, mode: 0o666)
        // The spool is watched before the session socket exists: a record spooled because it did not is seen.
        spool = try SessionSpool(path: SessionSpool.path(besides: options.sessionSocketPath))
        sessionListener = try SessionListener(path: options.sessionSocketPath)
        loop = try EventLoop(
            sockets: [sessionListener.descriptor, socket.descriptor, spool.descriptor], signals: [SIGHUP, SIGTERM, SIGINT])
        signal(SIGPIPE, SIG_IGN)
    }

    /// The daemon holds a pidfd per session leader and per process it is ending: the usual soft limit of 1,024
    /// descriptors would cap it near 1,000 sessions, so it takes the hard limit.
    static func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// Runs until SIGTERM or SIGINT.
    public func run() {
        audit.record(AuditRecord("start", [
            ("socket", options.socketPath), ("session_socket", options.sessionSocketPath), ("spool", spool.path),
            ("config", options.configPath),
            ("config_file", config.fromFile ? "read" : "missing-using-defaults"), ("rules", String(config.rules.count)),
        ]))
        recover(now: WallClock.now())
        while running {
            saveStateIfNeeded(now: WallClock.now())
            rearm()
            let sources = loop.wait()
            followClock()
            for source in sources {
                switch source {
                case .socket(0): acceptSessions()
                case .socket(1): drain(socket)
                case .socket: replaySpool(now: WallClock.now())
                case .signal: handleSignals()
                case .timer:
                    loop.drainTimer()
                    handleDue(now: WallClock.now())
                    if spoolBacklog { replaySpool(now: WallClock.now()) }
                case .leader(let fd): leaderExited(fd: fd)
                }
            }
        }
        saveStateIfNeeded(now: WallClock.now(), force: true)
        socket.unlinkPath()
        sessionListener.unlinkPath()
        audit.record(AuditRecord("stop", [("sessions", String(sessions.count))]))
    }

    private func rearm() {
        let moments = [schedule.next(), stateIsDirty ? stateSaveNotBefore : nil, spoolBacklog ? WallClock.now() : nil]
            .compactMap { $0 }
        loop.arm(afterMilliseconds: moments.min().map { ($0 - WallClock.now()).milliseconds })
    }

    /// Detects a wall clock that was set (not one that ran, nor a suspend) and moves every session's
    /// recorded instants by the jump, see `ClockSample`.
    func followClock() {
        let sample = WallClock.sample()
        defer { lastClockSample = sample }
        guard let jump = sample.jump(since: lastClockSample) else { return }
        for id in sessions.keys { sessions[id]?.shift(by: jump) }
        markAllStateChanged()
        audit.record(AuditRecord("clock-jump", [
            ("jump", String(jump.wholeSeconds)), ("sessions", String(sessions.count)),
        ]), priority: LOG_WARNING)
        for id in sessions.keys where terminations[id] == nil { reschedule(id, now: sample.wall) }
    }

    // MARK: Signals

    private func handleSignals() {
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
        markAllStateChanged()
        let now = WallClock.now()
        for (id, var session) in sessions {
            session.limits = Policy.resolve(config, for: session.facts).limits
            sessions[id] = session
            if terminations[id] == nil { reschedule(id, now: now) }
        }
        audit.record(AuditRecord("config-reload", [
            ("config", options.configPath), ("sessions", String(sessions.count)), ("rules", String(config.rules.count)),
        ]))
        return []
    }

    // MARK: Datagrams

    /// Reads what is queued, a bounded number per wake-up so that one busy socket cannot starve the other
    /// or the deadlines. Non-root senders spend a per-uid budget; what they send beyond it is dropped unread
    /// and summed up in one audit line, so a flood costs neither the daemon nor syslog much.
    private func drain(_ source: ControlSocket) {
        var handled = 0
        while handled < 256, let received = source.receive() {
            handled += 1
            switch received {
            case .datagram(let bytes, let sender):
                guard sender.isRoot || budget.spend(uid: sender.uid, now: WallClock.now()) else { continue }
                handle(bytes, from: sender)
            case .oversized(let size, let sender):
                guard sender.isRoot || budget.spend(uid: sender.uid, now: WallClock.now()) else { continue }
                reject(WireError.oversized(size: size, limit: Datagram.requestLimit).reason, sender: sender,
                       detail: "size=\(size)")
            case .noCredentials:
                audit.record(AuditRecord("reject", [("reason", "no-credentials")]), priority: LOG_WARNING)
            case .empty(let sender):
                guard sender.isRoot || budget.spend(uid: sender.uid, now: WallClock.now()) else { continue }
                reject("empty", sender: sender)
            }
        }
        reportRefusals()
    }

    private func reportRefusals() {
        let now = WallClock.now()
        guard now - lastRefusalReport >= .seconds(10) else { return }
        lastRefusalReport = now
        for (uid, count) in budget.drainRefusals().sorted(by: { $0.key < $1.key }) {
            audit.record(AuditRecord("reject", [
                ("reason", "rate-limited"), ("sender_uid", String(uid)), ("dropped", String(count)),
            ]), priority: LOG_WARNING)
        }
    }

    func reject(_ reason: String, sender: Sender, detail: String? = nil) {
        audit.record(AuditRecord("reject", [
            ("reason", reason), ("sender_uid", String(sender.uid)), ("sender_pid", String(sender.pid)),
            ("detail", detail),
        ]), priority: LOG_WARNING)
    }

    func handle(_ bytes: [UInt8], from sender: Sender) {
        let message: Message
        do {
            message = try Message.decode(bytes)
        } catch {
            reject(error.reason, sender: sender, detail: "\(error)")
            return
        }
        switch message {
        case .session(let event):
            guard sender.isRoot else {
                reject("not-root", sender: sender, detail: "claimed-user=\(event.user)")
                return
            }
            switch event.phase {
            case .open: open(event, sender: sender)
            case .close: close(event, sender: sender)
            }
        case .request(let request):
            answer(request, from: sender)
        case .reply:
            reject("unexpected-reply", sender: sender)
        }
    }

    /// Registers a login. A record read from the spool (`spooledAt`: when the module wrote it) names its process by
    /// start time too, counts its idle time from then, and takes input its terminals show since.
    func open(_ event: SessionEvent, sender: Sender, spooledAt: Instant? = nil) {
        let now = WallClock.now()
        guard sender.pid == event.pid else {
            reject("pid-mismatch", sender: sender, detail: "claimed-pid=\(event.pid)")
            return
        }
        // The sender is the login process and is blocked in its PAM stack right now, so its /proc entry is its
        // own; the start time read here names it from now on.
        guard let process = LiveProcessTree().stat(event.pid), event.startTime.map({ $0 == process.startTime }) ?? true
        else {
            reject("leader-gone", sender: sender, detail: "pid=\(event.pid)")
            return
        }
        let leader = process.identity
        guard let account = accounts.account(named: event.user), event.uid.map({ $0 == account.uid }) ?? true else {
            reject("unknown-user", sender: sender,
                   detail: "user=\(event.user)" + (event.uid.map { " uid=\($0)" } ?? ""))
            return
        }
        if let existing = sessionsByLeader[leader] {
            forget(existing)
        }
        let facts = SessionFacts(
            user: event.user, uid: account.uid, groups: accounts.groupNames(of: account), service: event.service,
            tty: event.tty, rhost: event.rhost, xdisplay: event.xdisplay, xdgSessionType: event.xdgSessionType,
            moduleArguments: event.overrides)
        let resolution = Policy.resolve(config, for: facts)
        let id = String(nextSessionNumber)
        nextSessionNumber += 1
        var session = Session(
            id: id, facts: facts, leader: leader, sid: process.sid, xdgSessionID: event.xdgSessionID,
            openedAt: min(now, spooledAt ?? now), limits: resolution.limits)
        if spooledAt == nil {
            // No process listing at open: the login's processes below it do not exist yet.
            discoverTerminals(&session, table: ProcessTable(records: []), announce: false)
        } else {
            discoverTerminals(&session, table: ProcessTable.session(of: leader), announce: false)
            session.observe(atimeSeconds: probe.latestActivity(
                session.terminals, countOutput: session.limits.activity == .inputAndOutput))
        }
        track(session, now: now)

        audit.record(AuditRecord("open", sessionFields(session) + [
            ("pid", String(event.pid)), ("sid", String(process.sid)), ("xdg_session", event.xdgSessionID),
            ("source", spooledAt == nil ? nil : "spool"),
            ("type", facts.sessionType.rawValue), ("display", facts.display),
            ("idle_timeout", ConfigDuration.format(session.limits.idleTimeout)),
            ("terminals", terminalField(session)),
        ]))
        for ignored in resolution.ignored {
            audit.record(AuditRecord("config-error", [("session", id), ("error", ignored.description)]),
                         priority: LOG_WARNING)
        }
        if let exemption = session.limits.exemption {
            audit.record(AuditRecord("exempt", sessionFields(session) + [("reason", exemption.description)]))
        }
    }

    func close(_ event: SessionEvent, sender: Sender) {
        let startTime = event.startTime ?? LiveProcessTree().stat(event.pid)?.startTime
        guard let startTime, let id = sessionsByLeader[ProcessIdentity(pid: event.pid, startTime: startTime)] else {
            audit.record(AuditRecord("close", [
                ("user", event.user), ("service", event.service), ("pid", String(event.pid)),
                ("reason", "unknown-session"),
            ]))
            return
        }
        end(id, reason: "pam-close")
    }

    /// Removes a session after its login closed it or its leader exited.
    /// While idlewarden is still ending the session's processes, the close is held back until that is done,
    /// so the trail reads terminate (with the true outcome) then close.
    func end(_ id: String, reason: String) {
        guard let session = sessions[id] else { return }
        let now = WallClock.now()
        if let termination = terminations[id] {
            guard termination.step(now: now) else {
                pendingCloses[id] = reason
                unwatchLeader(id)
                return
            }
            recordTermination(termination, session: session, now: now)
        }
        audit.record(AuditRecord("close", sessionFields(session) + [
            ("idle", String(session.idle(now: now).wholeSeconds)), ("reason", reason),
        ]))
        forget(id)
    }

    func forget(_ id: String) {
        displays.forget(id)
        sessions[id] = nil
        markStateChanged(id)
        schedule.remove(id)
        terminations[id] = nil
        recordedTerminations.remove(id)
        pendingCloses[id] = nil
        unwatchLeader(id)
    }

    /// An exited leader's pidfd stays readable; it must leave the epoll set at once.
    private func unwatchLeader(_ id: String) {
        if let fd = leaderFDs.removeValue(forKey: id) {
            loop.unwatchLeader(fd)
            sessionsByLeaderFD[fd] = nil
            Glibc.close(fd)
        }
    }

    func watchLeader(_ id: String, pid: Int32, startTime: UInt64) {
        let fd = iw_pidfd_open(pid)
        guard fd >= 0 else { return }
        // The pidfd was opened after the start time was checked; check again so it names the same process.
        guard LiveProcessTree().stat(pid)?.startTime == startTime, (try? loop.watchLeader(fd)) != nil else {
            Glibc.close(fd)
            return
        }
        leaderFDs[id] = fd
        sessionsByLeaderFD[fd] = id
    }

    /// A readiness reported in the same wake-up may belong to a descriptor number that was closed and reused
    /// for a new session's leader since: only a pidfd that is readable now means its process has exited.
    private func leaderExited(fd: Int32) {
        guard let id = sessionsByLeaderFD[fd] else { return }
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, 0) == 1 else { return }
        end(id, reason: "leader-exit")
    }

    // MARK: Control requests

    private func answer(_ request: ControlRequest, from sender: Sender) {
        if request.chunk > 0 {
            guard let chunk = replies.chunk(requestID: request.requestID, uid: sender.uid, index: request.chunk)
            else { return }
            sendChunk(chunk, to: sender)
            return
        }
        let reply: ControlReply
        switch request.action {
        case .status:
            let now = WallClock.now()
            let visible = sessions.values
                .filter { sender.isRoot || $0.facts.uid == sender.uid }
                .sorted { (Int($0.id) ?? 0) < (Int($1.id) ?? 0) }
            reply = ControlReply(ok: true, sessions: visible.map {
                StatusEntry(session: $0, now: now, nextDeadline: schedule.moment(of: $0.id))
            })
        case .keepalive(let sessionID):
            reply = keepalive(sessionID, sender: sender)
        case .reload, .sweep:
            guard sender.isRoot else {
                reject("not-root", sender: sender, detail: "request=\(request.action)")
                reply = ControlReply(ok: false, message: "only root may reload or sweep")
                break
            }
            if case .sweep(let dryRun) = request.action {
                reply = ControlReply(ok: true, lines: sweep(dryRun: dryRun, sender: sender))
            } else {
                let errors = reload()
                reply = ControlReply(
                    ok: errors.isEmpty,
                    message: errors.isEmpty ? "config reloaded" : "config has errors; the old config stays in force",
                    lines: errors)
            }
        }
        let payload = (try? JSONEncoder().encode(reply)).map { Array($0) } ?? []
        let chunks = ReplyChunk.split(payload, requestID: request.requestID)
        replies.store(chunks, requestID: request.requestID, uid: sender.uid, now: WallClock.now())
        if let first = chunks.first { sendChunk(first, to: sender) }
    }

    private func sendChunk(_ chunk: ReplyChunk, to sender: Sender) {
        guard let bytes = try? chunk.encoded() else { return }
        socket.send(bytes, to: sender.address)
    }

    private func keepalive(_ sessionID: String?, sender: Sender) -> ControlReply {
        let now = WallClock.now()
        let targets = sessions.values.filter { session in
            (sessionID == nil || session.id == sessionID) && (sender.isRoot || session.facts.uid == sender.uid)
        }
        guard !targets.isEmpty else {
            audit.record(AuditRecord("keepalive", [
                ("sender_uid", String(sender.uid)), ("session", sessionID), ("result", "refused"),
                ("reason", "no-such-session"),
            ]), priority: LOG_WARNING)
            return ControlReply(ok: false, message: sessionID.map { "no session \($0) that you may keep alive" }
                ?? "you have no sessions to keep alive")
        }
        var touched: [StatusEntry] = []
        var refused: [String] = []
        for var session in targets where session.ending == nil {
            guard session.limits.allowKeepalive else {
                refused.append(session.id)
                audit.record(AuditRecord("keepalive", sessionFields(session) + [
                    ("sender_uid", String(sender.uid)), ("result", "refused"), ("reason", "allow_keepalive-false"),
                ]), priority: LOG_WARNING)
                continue
            }
            session.touch(now: now)
            sessions[session.id] = session
            markStateChanged(session.id)
            reschedule(session.id, now: now)
            audit.record(AuditRecord("keepalive", sessionFields(session) + [("sender_uid", String(sender.uid))]))
            touched.append(StatusEntry(session: session, now: now, nextDeadline: schedule.moment(of: session.id)))
        }
        let message = "kept alive: \(touched.count) session(s)"
            + (refused.isEmpty ? "" : "; refused by policy (allow_keepalive = false): " + refused.joined(separator: ", "))
        return ControlReply(ok: refused.isEmpty, message: message, sessions: touched)
    }

    // MARK: Deadlines

    /// Applies the policy to every session now, as if each had come due: what is due is warned or ended.
    /// A dry run reports the verdicts and changes nothing (not even the recorded input).
    private func sweep(dryRun: Bool, sender: Sender) -> [String] {
        let now = WallClock.now()
        let processes = ProcessSnapshot()
        var lines: [String] = []
        for id in sessions.keys.sorted(by: { (Int($0) ?? 0) < (Int($1) ?? 0) }) {
            guard var session = sessions[id] else { continue }
            if terminations[id] != nil {
                lines.append("session \(id) (\(session.facts.user)): already ending")
                continue
            }
            if dryRun {
                discoverTerminals(&session, table: processes.table(of: session.leader), announce: false)
                session.observe(atimeSeconds: probe.latestActivity(
                    session.terminals, countOutput: session.limits.activity == .inputAndOutput))
                lines.append("session \(id) (\(session.facts.user)): would \(describe(session.verdict(now: now), now: now))")
            } else {
                evaluate(id, processes: processes, now: now)
                let outcome = sessions[id].map {
                    terminations[id] != nil ? "ending" : "next: " + describe($0.verdict(now: now), now: now)
                }
                lines.append("session \(id) (\(session.facts.user)): \(outcome ?? "closed")")
            }
        }
        audit.record(AuditRecord("sweep", [
            ("sender_uid", String(sender.uid)), ("dry_run", dryRun ? "yes" : "no"), ("sessions", String(lines.count)),
        ]))
        return lines
    }

    /// A verdict as what the daemon does about it, to follow "would" (dry run) or "next:".
    private func describe(_ verdict: Verdict, now: Instant) -> String {
        switch verdict {
        case .exempt: return "never end it (exempt)"
        case .unchecked: return "not idle-check it (no terminal)"
        case .sleep(let until): return "look again in \(ConfigDuration.format(until - now))"
        case .warn(let deadline, let reason):
            return "warn now (\(reason.rawValue)) and end it in \(ConfigDuration.format(deadline - now))"
        case .terminate(let reason): return "end it now (\(reason.rawValue))"
        }
    }

    private func handleDue(now: Instant) {
        let due = schedule.popDue(now: now)
        guard !due.isEmpty else { return }
        let processes = ProcessSnapshot()
        for id in due where sessions[id] != nil {
            if let termination = terminations[id] {
                advance(termination, id: id, now: now)
                continue
            }
            evaluate(id, processes: processes, now: now)
        }
    }

    /// Decides about one due session. Reading the atimes of its known terminals is cheap and usually
    /// shows input; only when it does not (a warning or an end is near) or while its terminals are still
    /// being looked for are the session's processes listed again.
    private func evaluate(_ id: String, processes: ProcessSnapshot, now: Instant) {
        guard var session = sessions[id] else { return }
        let warned = session.warning != nil
        let countOutput = session.limits.activity == .inputAndOutput
        var ownInput = session.observe(atimeSeconds: probe.latestActivity(session.terminals, countOutput: countOutput))
        if config.scope == .user { sharedInput(for: &session) }
        if session.terminalDiscovery != .settled || !(ownInput || session.verdict(now: now).isSleep) {
            let table = processes.table(of: session.leader)
            guard let leader = table.records[session.leader.pid], leader.startTime == session.leader.startTime else {
                end(id, reason: "leader-exit")
                return
            }
            discoverTerminals(&session, table: table)
            ownInput = session.observe(atimeSeconds: probe.latestActivity(session.terminals, countOutput: countOutput))
                || ownInput
        }
        let display = observeDisplay(&session, processes: processes, now: now, warned: warned)
        if warned && session.warning == nil {
            markStateChanged(id)
            audit.record(AuditRecord("activity", sessionFields(session) + [
                ("result", "warning-cancelled"),
                ("source", display == .input ? "display" : ownInput ? "terminal" : "other-session"),
            ]))
        }
        sessions[id] = session
        if holdsForUnknownDisplay(display, session: session, now: now) { return }
        act(on: session.verdict(now: now), id: id, now: now)
    }

    private func act(on verdict: Verdict, id: String, now: Instant) {
        guard var session = sessions[id] else { return }
        switch verdict {
        case .exempt, .unchecked:
            schedule.remove(id)
        case .sleep(let until):
            schedule.set(id, at: until)
        case .warn(let deadline, let reason):
            session.warning = Warning(issuedAt: now, deadline: deadline, reason: reason)
            sessions[id] = session
            markStateChanged(id)
            let text = Notice.warning(for: session, deadline: deadline, reason: reason, now: now)
            let results = session.terminals.map { TerminalWriter.write(text, to: $0) }
            let desktop = warnDesktop(session, text: text, deadline: deadline, now: now)
            absorbOwnOutput(&session)
            sessions[id] = session
            audit.record(AuditRecord("warn", sessionFields(session) + [
                ("reason", reason.rawValue), ("idle", String(session.idle(now: now).wholeSeconds)),
                ("deadline", String(deadline.seconds)), ("terminals", terminalField(session)),
                ("delivered", deliveryField(results)), ("display", session.facts.display), ("desktop", desktop),
            ]))
            schedule.set(id, at: deadline)
        case .terminate(let reason):
            let text = Notice.farewell(for: session, reason: reason, now: now)
            for terminal in session.terminals { _ = TerminalWriter.write(text, to: terminal) }
            session.ending = reason
            sessions[id] = session
            markStateChanged(id)
            // A fresh listing: a process started a moment ago must not escape the end.
            let table = ProcessTable.session(of: session.leader, auditSession: session.limits.end == .session)
            let members = session.limits.end == .leader
                ? table.loginGroup(of: session.leader, uid: session.facts.uid)
                : Self.union(
                    table.members(of: session.leader, includingLeader: !session.origin.leaderIsLoginProcess),
                    table.auditSessionMembers(of: session.leader))
            let termination = Termination(session: session, reason: reason, members: members, now: now)
            terminations[id] = termination
            logger.info("session \(id): ending (\(reason.rawValue)), \(termination.targets.count) process(es) to signal")
            advance(termination, id: id, now: now)
        }
    }

    private func advance(_ termination: Termination, id: String, now: Instant) {
        if termination.step(now: now) {
            if let session = sessions[id] { recordTermination(termination, session: session, now: now) }
            schedule.remove(id)
            if let reason = pendingCloses[id] { end(id, reason: reason) }
            return
        }
        schedule.set(id, at: min(termination.nextStepAt, now + .milliseconds(250)))
    }

    private var recordedTerminations: Set<String> = []
    /// Closes that arrived while the session's processes were still being ended, with their reason.
    private var pendingCloses: [String: String] = [:]

    private func recordTermination(_ termination: Termination, session: Session, now: Instant) {
        guard recordedTerminations.insert(session.id).inserted else { return }
        audit.record(AuditRecord("terminate", sessionFields(session) + [
            ("reason", termination.reason.rawValue), ("idle", String(session.idle(now: now).wholeSeconds)),
            ("idle_timeout", ConfigDuration.format(session.limits.idleTimeout)),
            ("rule", Policy.resolve(config, for: session.facts)
                .source(of: termination.reason == .idle ? .idleTimeout : .maxSession).description),
            ("end", session.limits.end.rawValue),
            ("processes", String(termination.targets.count)), ("ended_by", termination.summary),
            ("skipped", termination.skipped.isEmpty ? nil : termination.skipped.joined(separator: ",")),
        ]), priority: LOG_NOTICE)
    }

    func reschedule(_ id: String, now: Instant) {
        guard let session = sessions[id] else { return }
        switch session.verdict(now: now) {
        case .exempt, .unchecked: schedule.remove(id)
        case .sleep(let until): schedule.set(id, at: until)
        case .warn, .terminate: schedule.set(id, at: now)
        }
    }

    /// Looks for the session's terminals again; a change after open is audited, so the trail shows which
    /// terminals were watched (sshd's pty appears only after the session opened).
    func discoverTerminals(_ session: inout Session, table: ProcessTable, announce: Bool = true) {
        let found = probe.terminals(of: session, in: table)
        let before = session.terminalDiscovery
        let changed = found != session.terminals
        session.terminals = found
        guard announce else {
            // The search at open is not one of the retries: the pty of an ssh login does not exist yet.
            if !found.isEmpty { session.terminalDiscovery = .settled }
            return
        }
        session.terminalDiscovery = before.advanced(found: !found.isEmpty)
        if changed || (before != .settled && session.terminalDiscovery == .settled) {
            audit.record(AuditRecord("terminals", [
                ("session", session.id), ("terminals", terminalField(session)),
                ("idle_check", session.isIdleChecked ? "on" : "off"),
            ]))
        }
    }

    /// With `scope = "user"`, input in any of the user's sessions keeps this one alive: their terminals are
    /// read when this session comes due, so the cost stays with the due session.
    private func sharedInput(for session: inout Session) {
        for other in sessions.values where other.id != session.id && other.facts.uid == session.facts.uid {
            let activity = probe.latestActivity(
                other.terminals, countOutput: other.limits.activity == .inputAndOutput)
            guard let activity else { continue }
            let latest = TerminalInput.latestInput(atimeSeconds: activity)
            if latest > other.openedAt { session.observeElsewhere(latestInput: latest) }
        }
    }

    static func union(_ first: [ProcessRecord], _ second: [ProcessRecord]) -> [ProcessRecord] {
        let known = Set(first.map(\.pid))
        return first + second.filter { !known.contains($0.pid) }
    }

    /// Our own notice changes a terminal's mtime; where output counts as activity it must not look like use.
    private func absorbOwnOutput(_ session: inout Session) {
        guard session.limits.activity == .inputAndOutput else { return }
        session.acknowledge(atimeSeconds: probe.latestActivity(session.terminals, countOutput: true))
    }

    // MARK: Audit fields

    func sessionFields(_ session: Session) -> [(String, String?)] {
        [
            ("session", session.id), ("user", session.facts.user), ("uid", String(session.facts.uid)),
            ("service", session.facts.service), ("tty", session.facts.tty), ("rhost", session.facts.rhost),
        ]
    }

    func terminalField(_ session: Session) -> String {
        if !session.terminals.isEmpty { return session.terminals.joined(separator: ",") }
        return session.terminalDiscovery == .settled ? "none" : "pending"
    }

    private func deliveryField(_ results: [TerminalWriter.Outcome]) -> String {
        let written = results.filter { $0 == .written }.count
        return "\(written)/\(results.count)"
    }
}
