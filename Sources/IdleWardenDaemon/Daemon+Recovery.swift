import CIdleWarden
import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// Start-up recovery: whatever happened while the daemon was down (a crash, `kill -9`,
/// an upgrade), every live login ends up tracked again, with the idle time it already had.
extension Daemon {
    func recover(now: Instant) {
        let table = ProcessTable.snapshot(source: effects.processes)
        let logind = readLogindListing()
        let dropped = restoreSavedSessions(table: table, now: clock.sample(), logindSessions: logind.sessionIDs)
        // Logins made while the daemon was down, as the module recorded them; then whatever no record covers.
        replaySpool(now: now)
        let adopting = options.adoptsLogins && config.adopt == .module
        switch logind {
        case .listed(let sessions):
            reconcileWithLogind(sessions, dropped: dropped, adopting: adopting, table: table, now: now)
        case .absent, .failed:
            // Without logind's list, the logins utmp and the process tree show.
            if adopting { adoptUnregisteredLogins(table: table, now: now) }
        }
        markAllStateChanged()
    }

    /// Restores the saved sessions whose leader still runs. Where logind's list was read (`logindSessions`), a
    /// session of a logind session that is no longer listed is dropped first: logind removes a session only once
    /// its scope is empty, so its login is over. Returns how many were dropped for that.
    @discardableResult
    private func restoreSavedSessions(table: ProcessTable, now sample: ClockSample, logindSessions: Set<String>?) -> Int {
        var droppedByLogind = 0
        let now = sample.wall
        let restored: StateStore.Restored
        do {
            restored = try store.restore()
        } catch {
            let movedTo = store.quarantine(now: now)
            audit.record(AuditRecord("state-corrupt", [
                ("file", store.path), ("reason", error.description), ("moved_to", movedTo),
            ]), priority: LOG_ERR)
            return 0
        }
        auditJournal(restored.journal, now: now)
        guard let saved = restored.state else { return 0 }
        nextSessionNumber = max(nextSessionNumber, saved.nextSessionNumber)
        // Downtime counts as idle time; a wall-clock jump during it (same boot) does not.
        let jump = saved.bootID != nil && saved.bootID == bootID ? sample.jump(since: saved.savedAt) : nil
        for var session in saved.sessions {
            if let jump { session.shift(by: jump) }
            if let logindSessions, let logindID = session.logindScope?.sessionID, !logindSessions.contains(logindID) {
                audit.record(AuditRecord("drop", sessionFields(session) + [
                    ("logind_session", logindID), ("reason", "logind-gone"),
                ]))
                droppedByLogind += 1
                continue
            }
            guard let leader = table.records[session.leader.pid], leader.startTime == session.leader.startTime else {
                audit.record(AuditRecord("drop", sessionFields(session) + [("reason", "leader-gone")]))
                continue
            }
            // Only a damaged or hand-edited state holds one session or one leader twice: the first one stands.
            guard registry[session.id] == nil, registry.id(ofLeader: session.leader) == nil else {
                audit.record(AuditRecord("drop", sessionFields(session) + [("reason", "duplicate")]))
                continue
            }
            // The config may have changed while the daemon was down; the recorded last input stands.
            session.limits = Policy.resolve(config, for: session.facts).limits
            session.ending = nil
            discoverTerminals(&session, table: table, now: now, announce: false)
            track(session, now: now)
            rewatchInhibitors(of: session.id, now: now)
            audit.record(AuditRecord("restore", sessionFields(session) + [
                ("idle", String(session.idle(now: now).wholeSeconds)),
                ("downtime", String(max(0, (now - saved.savedAt.wall).wholeSeconds))),
            ]))
        }
        // Decoding a large state allocates many times the file's size for a moment; give it back.
        malloc_trim(0)
        return droppedByLogind
    }

    /// A journal that could not be replayed whole: a torn last batch (a crash while it was appended) is
    /// noted; a stale one (a crash between a snapshot and the journal's reset) was ignored; a damaged one is
    /// moved aside for inspection. The first save after start-up is a snapshot, which replaces the journal.
    private func auditJournal(_ replay: StateStore.JournalReplay, now: Instant) {
        switch replay {
        case .none, .replayed:
            return
        case .tornTail(let kept):
            audit.record(AuditRecord("state-journal", [
                ("file", store.journalPath), ("result", "torn-tail-dropped"), ("batches", String(kept)),
            ]), priority: LOG_WARNING)
        case .stale(let generation, let snapshot):
            audit.record(AuditRecord("state-journal", [
                ("file", store.journalPath), ("result", "stale-ignored"), ("generation", String(generation)),
                ("snapshot_generation", String(snapshot)),
            ]), priority: LOG_WARNING)
        case .damaged(let kept, let reason):
            let movedTo = store.quarantineJournal(now: now)
            audit.record(AuditRecord("state-corrupt", [
                ("file", store.journalPath), ("reason", reason), ("batches_kept", String(kept)), ("moved_to", movedTo),
            ]), priority: LOG_ERR)
        }
    }

    /// Logins the daemon never heard of: utmp records whose process is a live root login process (sshd's
    /// monitor, login; see `leadsALogin`), and terminal sessions directly below sshd or login without a utmp
    /// record. Their last input is taken from their terminals.
    private func adoptUnregisteredLogins(table: ProcessTable, now: Instant) {
        var coveredTerminals = Set(registry.sessions.flatMap(\.terminals))
        var adoptedLeaders: Set<Int32> = []
        for record in effects.logins() {
            guard let process = table.records[record.pid], process.realUID == 0, !adoptedLeaders.contains(record.pid),
                  leadsALogin(process), registry.id(ofLeader: process.identity) == nil,
                  let device = effects.terminals.device(forPAMTTY: record.line), !coveredTerminals.contains(device)
            else { continue }
            guard let account = effects.accounts.account(named: record.user) else {
                audit.record(AuditRecord("adopt", [
                    ("user", record.user), ("pid", String(record.pid)), ("tty", record.line),
                    ("result", "skipped"), ("reason", "unknown-user"),
                ]), priority: LOG_WARNING)
                continue
            }
            adoptedLeaders.insert(record.pid)
            let session = adopt(process, account: account, tty: record.line, rhost: record.host, origin: .utmp,
                                table: table, now: now)
            coveredTerminals.formUnion(session.terminals + [device])
        }
        for process in table.records.values where process.pid == process.sid && process.realUID != 0 {
            guard !adoptedLeaders.contains(process.pid), registry.id(ofLeader: process.identity) == nil,
                  let parent = table.records[process.ppid], Self.loginProcessNames.contains(parent.name),
                  let device = effects.terminals.device(forTTYNumber: process.ttyNumber),
                  !coveredTerminals.contains(device),
                  let name = effects.accounts.userName(uid: process.realUID),
                  let account = effects.accounts.account(named: name)
            else { continue }
            adoptedLeaders.insert(process.pid)
            let session = adopt(process, account: account, tty: String(device.dropFirst(5)), rhost: nil,
                                origin: .terminal, table: table, now: now)
            coveredTerminals.formUnion(session.terminals + [device])
        }
    }

    /// Whether a root process that utmp names is a login's own process rather than a program that writes utmp for
    /// the terminals it opens (a multiplexer's server, a terminal emulator) run by root: those are not logins, and
    /// adopting one would end every pane with it. Told by what the kernel records: a login's process is the first
    /// of its audit session (pam_loginuid gave it a new one; a program started inside a login shares the login's),
    /// and it keeps its parent (the login program's) or holds its terminal (`login` started by getty); a daemon
    /// reparented to init without a terminal (tmux's server) is not a login's.
    private func leadsALogin(_ process: ProcessRecord) -> Bool {
        if process.ppid == 1 && process.ttyNumber == 0 { return false }
        guard let own = effects.processes.auditSessionID(process.pid), own != SessionMembers.unsetAuditSession else {
            return true
        }
        return effects.processes.auditSessionID(process.ppid) != own
    }

    /// Command names of the processes a login shell runs below (OpenSSH 9.8 and later: sshd-session).
    static let loginProcessNames: Set<String> = ["sshd", "sshd-session", "login"]

    @discardableResult
    private func adopt(
        _ process: ProcessRecord, account: AccountDirectory.Account, tty: String, rhost: String?,
        origin: SessionOrigin, table: ProcessTable, now: Instant
    ) -> Session {
        let facts = SessionFacts(
            user: account.name, uid: account.uid, groups: effects.accounts.groupNames(of: account), service: "adopted",
            tty: tty, rhost: rhost)
        let id = String(nextSessionNumber)
        nextSessionNumber += 1
        var session = Session(
            id: id, facts: facts, leader: process.identity, sid: process.sid, openedAt: now,
            limits: Policy.resolve(config, for: facts).limits, origin: origin)
        takeTerminalsAtAdoption(&session, table: table, now: now)
        track(session, now: now)
        audit.record(AuditRecord("adopt", sessionFields(session) + [
            ("pid", String(process.pid)), ("source", origin.rawValue), ("terminals", terminalField(session)),
            ("idle", String(session.idle(now: now).wholeSeconds)),
        ]))
        if let exemption = session.limits.exemption {
            audit.record(AuditRecord("exempt", sessionFields(session) + [("reason", exemption.description)]))
        }
        return session
    }

    /// An adopted session's terminals, found at once, and its idle time as they show it: input before the daemon
    /// started counts (and no more use than now, whatever a forged time says).
    func takeTerminalsAtAdoption(_ session: inout Session, table: ProcessTable, now: Instant) {
        session.pamTerminalOwner = effects.terminals.device(forPAMTTY: session.facts.tty)
            .flatMap(effects.terminals.stamp)?.owner
        session.terminalDiscovery = .settled
        discoverTerminals(&session, table: table, now: now, announce: false)
        let stamps = probe.stamps(of: session.terminals).values
        if let last = stamps.compactMap({ TerminalInput.lastInputAtAdoption($0, now: now) }).max() {
            session.lastInput = last
        }
    }
}
