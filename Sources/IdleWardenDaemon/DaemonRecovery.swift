import CIdleWarden
import IdleWardenCore
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Start-up recovery and persistence: whatever happened while the daemon was down (a crash, `kill -9`,
/// an upgrade), every live login ends up tracked again, with the idle time it already had.
extension Daemon {
    func recover(now: Instant) {
        let table = ProcessTable.snapshot()
        restoreSavedSessions(table: table, now: WallClock.sample())
        // Logins made while the daemon was down, as the module recorded them; then whatever no record covers.
        replaySpool(now: now)
        if options.adoptsLogins { adoptUnregisteredLogins(table: table, now: now) }
        markAllStateChanged()
    }

    private func restoreSavedSessions(table: ProcessTable, now sample: ClockSample) {
        let now = sample.wall
        let restored: StateStore.Restored
        do {
            restored = try store.restore()
        } catch {
            let movedTo = store.quarantine(now: now)
            audit.record(AuditRecord("state-corrupt", [
                ("file", store.path), ("reason", error.description), ("moved_to", movedTo),
            ]), priority: LOG_ERR)
            return
        }
        auditJournal(restored.journal, now: now)
        guard let saved = restored.state else { return }
        nextSessionNumber = max(nextSessionNumber, saved.nextSessionNumber)
        // Downtime counts as idle time; a wall-clock jump during it (same boot) does not.
        let jump = saved.bootID != nil && saved.bootID == bootID ? sample.jump(since: saved.savedAt) : nil
        for var session in saved.sessions {
            if let jump { session.shift(by: jump) }
            guard let leader = table.records[session.leader.pid], leader.startTime == session.leader.startTime else {
                audit.record(AuditRecord("drop", sessionFields(session) + [("reason", "leader-gone")]))
                continue
            }
            // The config may have changed while the daemon was down; the recorded last input stands.
            session.limits = Policy.resolve(config, for: session.facts).limits
            session.ending = nil
            discoverTerminals(&session, table: table, announce: false)
            track(session, now: now)
            audit.record(AuditRecord("restore", sessionFields(session) + [
                ("idle", String(session.idle(now: now).wholeSeconds)),
                ("downtime", String(max(0, (now - saved.savedAt.wall).wholeSeconds))),
            ]))
        }
        // Decoding a large state allocates many times the file's size for a moment; give it back.
        malloc_trim(0)
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
    /// monitor, login; entries that terminal emulators and multiplexers write for the user's own processes are
    /// not logins), and terminal sessions directly below sshd or login without a utmp record. Their last input
    /// is taken from their terminals.
    private func adoptUnregisteredLogins(table: ProcessTable, now: Instant) {
        var coveredTerminals = Set(sessions.values.flatMap(\.terminals))
        var adoptedLeaders: Set<Int32> = []
        for record in LoginRecord.current() {
            guard let process = table.records[record.pid], process.realUID == 0, !adoptedLeaders.contains(record.pid),
                  let device = TerminalDevice.path(forPAMTTY: record.line), !coveredTerminals.contains(device)
            else { continue }
            guard let account = accounts.account(named: record.user) else {
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
            guard !adoptedLeaders.contains(process.pid),
                  let parent = table.records[process.ppid], Self.loginProcessNames.contains(parent.name),
                  let device = TerminalDevice.path(forTTYNumber: process.ttyNumber), !coveredTerminals.contains(device),
                  let name = accounts.userName(uid: process.realUID), let account = accounts.account(named: name)
            else { continue }
            adoptedLeaders.insert(process.pid)
            let session = adopt(process, account: account, tty: String(device.dropFirst(5)), rhost: nil,
                                origin: .terminal, table: table, now: now)
            coveredTerminals.formUnion(session.terminals + [device])
        }
    }

    /// Command names of the processes a login shell runs below (OpenSSH 9.8 and later: sshd-session).
    static let loginProcessNames: Set<String> = ["sshd", "sshd-session", "login"]

    @discardableResult
    private func adopt(
        _ process: ProcessRecord, account: AccountDirectory.Account, tty: String, rhost: String?,
        origin: SessionOrigin, table: ProcessTable, now: Instant
    ) -> Session {
        let facts = SessionFacts(
            user: account.name, uid: account.uid, groups: accounts.groupNames(of: account), service: "adopted",
            tty: tty, rhost: rhost)
        let id = String(nextSessionNumber)
        nextSessionNumber += 1
        var session = Session(
            id: id, facts: facts, leader: process.identity, sid: process.sid, openedAt: now,
            limits: Policy.resolve(config, for: facts).limits, origin: origin)
        discoverTerminals(&session, table: table, announce: false)
        session.terminalDiscovery = .settled
        // Input before the daemon started counts: an adopted session is as idle as its terminals say.
        if let atime = probe.latestActivity(session.terminals) {
            session.lastAtimeSeconds = atime
            session.lastInput = min(now, TerminalInput.latestInput(atimeSeconds: atime))
        }
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

    /// Registers a session that is already known to be alive.
    func track(_ session: Session, now: Instant) {
        sessions[session.id] = session
        sessionsByLeader[session.leader] = session.id
        markStateChanged(session.id)
        watchLeader(session.id, pid: session.leader.pid, startTime: session.leader.startTime)
        reschedule(session.id, now: now)
    }

    /// Marks a change to one session that a restart could not rebuild: opened or closed, a warning given or
    /// taken back, an end begun, a keepalive. Input seen on a terminal is not one: its atime is still there after
    /// a restart.
    func markStateChanged(_ id: String) {
        stateChanges.insert(id)
    }

    /// Marks a change to every session (a clock jump, a reload, start-up): the next save is a snapshot.
    func markAllStateChanged() {
        stateChanges.insertAll()
    }

    /// Saves changed state, paced by what a save costs (at least 100 ms apart, and at most a sixth of the time
    /// spent saving) so that a burst of logins costs a few writes, not one each, while a small state is on disk
    /// a fraction of a second after a login;
    /// a failed write (full disk, read-only fs) is audited once and retried every few seconds, while
    /// enforcement goes on from memory. `force` (at stop) writes whatever the pacing says.
    /// A save appends the changed sessions to the journal (see `StateStore`); a snapshot, the sessions streamed
    /// from the table in id order without a copy of it, when every session changed or the journal is due
    /// for compaction.
    func saveStateIfNeeded(now: Instant, force: Bool = false) {
        guard stateIsDirty else { return }
        if !force, let notBefore = stateSaveNotBefore, now < notBefore { return }
        let started = WallClock.sample().boot
        let snapshot = stateChanges.all || store.needsSnapshot
        do {
            if snapshot {
                let order = sessions.keys.map { (number: Int($0) ?? 0, id: $0) }.sorted { $0.number < $1.number }
                try store.save(savedAt: WallClock.sample(), bootID: bootID, nextSessionNumber: nextSessionNumber,
                               sessions: order.lazy.compactMap { self.sessions[$0.id] })
            } else {
                let ids = stateChanges.ids.sorted { (Int($0) ?? 0, $0) < (Int($1) ?? 0, $1) }
                try store.append(savedAt: WallClock.sample(), bootID: bootID, nextSessionNumber: nextSessionNumber,
                                 put: ids.compactMap { sessions[$0] }, remove: ids.filter { sessions[$0] == nil })
            }
            let took = Duration.milliseconds(WallClock.sample().boot - started)
            if stateSaveFailing {
                audit.record(AuditRecord("state-saved", [("file", store.path), ("result", "recovered")]))
            }
            stateChanges = StateChanges()
            stateSaveFailing = false
            stateSaveNotBefore = now + max(.milliseconds(100), took * 5)
        } catch {
            if !stateSaveFailing {
                audit.record(AuditRecord("state-error", [("file", snapshot ? store.path : store.journalPath),
                                                         ("error", "\(error)"), ("result", "retrying")]),
                             priority: LOG_ERR)
            }
            stateSaveFailing = true
            stateSaveNotBefore = now + .seconds(5)
        }
        // A save follows each burst of changes (logins, ends with their /proc listings): the moment to give the
        // burst's freed memory back, which glibc would otherwise keep as RSS (≈ 0.3 ms with a 12 MB heap).
        malloc_trim(0)
    }
}
