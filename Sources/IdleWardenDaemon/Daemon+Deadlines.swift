import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// Deadlines: a session that comes due is looked at (its terminals, its desktop), then warned, ended, or put off
/// until its next deadline; an ending session takes its next step.
extension Daemon {
    func handleDue(now: Instant) {
        let due = registry.popDue(now: now)
        guard !due.isEmpty else { return }
        let processes = ProcessSnapshot(source: effects.processes)
        for id in due {
            switch registry[id]?.phase {
            case .watched?: evaluate(id, processes: processes, now: now)
            case .ending?: advanceEnding(id, now: now)
            case .ended?, nil: continue
            }
        }
    }

    /// Decides about one due session. Reading its known terminals is cheap and usually shows input; only when it
    /// does not (a warning or an end is near), while its terminals are still being looked for, when it has none,
    /// or when one of them is gone or changed (a pty closed and made again for another login at the same path)
    /// are the session's processes listed again and its terminals searched: a terminal opened since counts from
    /// then on, one that is no longer the session's stops counting.
    func evaluate(_ id: String, processes: ProcessSnapshot, now: Instant) {
        guard var entry = registry[id] else { return }
        let warned = entry.session.warning != nil
        let look = lookAtTerminals(&entry, now: now)
        if config.scope == .user { sharedInput(for: &entry.session, now: now) }
        let session = entry.session
        if session.terminalDiscovery != .settled || !look.unsettled.isEmpty
            || (session.terminals.isEmpty && !session.facts.isGraphical)
            || !(look.input || session.verdict(now: now).isSleep) {
            let table = processes.table(of: entry.leader)
            guard table.records[entry.leader.pid]?.startTime == entry.leader.startTime else {
                registry.update(id) { $0 = entry }
                // An empty listing is a gone leader only if /proc says so: out of descriptors, it says nothing, and
                // the session is neither closed nor ended blind; it is looked at again a moment later.
                guard effects.processes.liveness(of: entry.leader) == .gone else {
                    logger.warning("session \(id): cannot read /proc for its leader \(entry.leader.pid); retrying")
                    registry.schedule(id, at: now + .seconds(1))
                    return
                }
                end(id, reason: "leader-exit", now: now)
                return
            }
            discoverTerminals(&entry.session, table: table, now: now)
        }
        let display = observeDisplay(&entry, processes: processes, now: now, warned: warned)
        if warned && entry.session.warning == nil {
            markStateChanged(id)
            audit.record(AuditRecord("activity", sessionFields(entry.session) + [
                ("result", "warning-cancelled"),
                ("source", display == .input ? "display" : look.input ? "terminal" : "other-session"),
            ]))
        }
        registry.update(id) { $0 = entry }
        if holdsForUnknownDisplay(display, id: id, now: now) { return }
        act(on: entry.session.verdict(now: now), id: id, now: now)
    }

    /// Looks at the session's known terminals (see `Session.look`): input counts; a forged time is audited, once
    /// per session, with what was seen.
    @discardableResult
    func lookAtTerminals(_ entry: inout SessionRegistry.Entry, now: Instant) -> TerminalLook {
        let look = entry.session.look(at: probe.stamps(of: entry.session.terminals), now: now)
        if let forgery = look.forgeries.first, !entry.forgedInputReported {
            entry.forgedInputReported = true
            audit.record(AuditRecord("forged-input", sessionFields(entry.session) + [
                ("terminal", forgery.terminal), ("reason", forgery.reason.rawValue),
                ("atime", forgery.seen.access.description), ("mtime", forgery.seen.modification.description),
                ("ctime", forgery.seen.change.description), ("owner", String(forgery.seen.owner)),
                ("counted", "no"),
            ]), priority: LOG_WARNING)
        }
        return look
    }

    private func act(on verdict: Verdict, id: String, now: Instant) {
        guard var entry = registry[id] else { return }
        switch verdict {
        case .exempt, .unchecked:
            registry.unschedule(id)
        case .sleep(let until):
            registry.schedule(id, at: until)
        case .warn(let deadline, let reason), .warnAgain(let deadline, let reason):
            let again: Bool
            if case .warnAgain = verdict { again = true } else { again = false }
            if again {
                entry.session.warning?.repeatedAt = now
            } else {
                entry.session.warning = Warning(issuedAt: now, deadline: deadline, reason: reason)
            }
            markStateChanged(id)
            let text = Notice.warning(for: entry.session, deadline: deadline, reason: reason, now: now)
            let results = entry.session.terminals.map { effects.terminals.write(text, to: $0) }
            let desktop = warnDesktop(&entry, text: text, deadline: deadline, now: now)
            entry.session.absorbOwnOutput(probe.stamps(of: entry.session.terminals))
            registry.update(id) { $0 = entry }
            audit.record(AuditRecord("warn", sessionFields(entry.session) + [
                ("reason", reason.rawValue), ("idle", String(entry.session.idle(now: now).wholeSeconds)),
                ("deadline", String(deadline.seconds)), ("terminals", terminalField(entry.session)),
                ("delivered", deliveryField(results)), ("display", entry.session.facts.display), ("desktop", desktop),
                ("again", again ? "yes" : nil),
            ]))
            reschedule(id, now: now)
        case .lock:
            let session = entry.session
            let endpoint = displays.endpoint(
                of: session, state: &entry.display,
                table: { ProcessTable.session(of: session.leader, source: effects.processes) }, refresh: false)
            let outcome = effects.locker.lock(session, endpoint: endpoint, command: config.lockCommand)
            entry.session.lockedFor = session.lastInput
            if let previous = entry.display.locker { effects.locker.release(previous) }
            entry.display.locker = outcome.process
            markStateChanged(id)
            registry.update(id) { $0 = entry }
            audit.record(AuditRecord("lock", sessionFields(session) + [
                ("method", outcome.method), ("result", outcome.result),
                ("idle", String(session.idle(now: now).wholeSeconds)),
                ("lock_after", session.limits.lockAfter.map(ConfigDuration.format)), ("display", session.facts.display),
            ]), priority: outcome.result == "ok" || outcome.result == "started" ? LOG_INFO : LOG_WARNING)
            reschedule(id, now: now)
        case .terminate(let reason):
            let session = entry.session
            let text = Notice.farewell(for: session, reason: reason, now: now)
            for terminal in session.terminals { _ = effects.terminals.write(text, to: terminal) }
            markStateChanged(id)
            // Listed now and again before each step: a process started a moment ago must not escape the end.
            let termination = Termination(
                session: session, reason: reason, now: now, processes: effects.processes, handles: effects.handles,
                cgroups: effects.cgroups)
            registry.update(id) {
                $0.session.ending = reason
                $0.phase = .ending(termination, close: nil)
            }
            logger.info("session \(id): ending (\(reason.rawValue)), \(termination.targets.count) process(es) to signal")
            advanceEnding(id, now: now)
        }
    }

    /// Takes an ending session's next step when it is due. Once its processes are gone the end is audited,
    /// once (the phase moves on to `ended`), and a close that waited for it is done.
    func advanceEnding(_ id: String, now: Instant) {
        guard let entry = registry[id], case .ending(let termination, let close) = entry.phase else { return }
        guard termination.step(now: now) else {
            registry.schedule(id, at: min(termination.nextStepAt, now + .milliseconds(250)))
            return
        }
        registry.update(id) { $0.phase = .ended }
        registry.unschedule(id)
        audit.record(AuditRecord("terminate", sessionFields(entry.session) + [
            ("reason", termination.reason.rawValue), ("idle", String(entry.session.idle(now: now).wholeSeconds)),
            ("idle_timeout", ConfigDuration.format(entry.session.limits.idleTimeout)),
            ("rule", Policy.resolve(config, for: entry.session.facts)
                .source(of: termination.reason == .idle ? .idleTimeout : .maxSession).description),
            ("end", entry.session.limits.end.rawValue),
            ("processes", String(termination.targets.count)), ("ended_by", termination.summary),
            ("found_later", String(termination.foundLater)), ("members", termination.memberSource),
            ("scope", termination.scopePath), ("frozen", termination.usedFreezer ? "scope" : nil),
            ("skipped", termination.skipped.isEmpty ? nil : termination.skipped.joined(separator: ",")),
        ]), priority: LOG_NOTICE)
        if let close { finish(id, reason: close, now: now) }
    }

    func reschedule(_ id: String, now: Instant) {
        guard let session = registry[id]?.session else { return }
        switch session.verdict(now: now) {
        case .exempt, .unchecked: registry.unschedule(id)
        case .sleep(let until): registry.schedule(id, at: until)
        case .warn, .warnAgain, .lock, .terminate: registry.schedule(id, at: now)
        }
    }

    /// Looks for the session's terminals again (see `ActivityProbe.terminals`); a change after open is audited, so
    /// the trail shows which terminals were watched (sshd's pty appears only after the session opened).
    func discoverTerminals(_ session: inout Session, table: ProcessTable, now: Instant, announce: Bool = true) {
        let found = probe.terminals(of: session, in: table)
        let before = session.terminalDiscovery
        let changed = session.setTerminals(found, now: now)
        guard announce else {
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
    /// read when this session comes due, so the cost stays with the due session. What counts there is what would
    /// count for that session itself.
    private func sharedInput(for session: inout Session, now: Instant) {
        for other in registry.sessions where other.id != session.id && other.facts.uid == session.facts.uid {
            guard let latest = other.terminalInput(at: probe.stamps(of: other.terminals), now: now) else { continue }
            session.observeElsewhere(latestInput: latest)
        }
    }
}
