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

    /// Decides about one due session. Reading the atimes of its known terminals is cheap and usually
    /// shows input; only when it does not (a warning or an end is near) or while its terminals are still
    /// being looked for are the session's processes listed again.
    func evaluate(_ id: String, processes: ProcessSnapshot, now: Instant) {
        guard var entry = registry[id] else { return }
        let warned = entry.session.warning != nil
        let countOutput = entry.session.limits.activity == .inputAndOutput
        var ownInput = entry.session.observe(
            atimeSeconds: probe.latestActivity(entry.session.terminals, countOutput: countOutput))
        if config.scope == .user { sharedInput(for: &entry.session) }
        if entry.session.terminalDiscovery != .settled || !(ownInput || entry.session.verdict(now: now).isSleep) {
            let table = processes.table(of: entry.leader)
            guard table.records[entry.leader.pid]?.startTime == entry.leader.startTime else {
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
            discoverTerminals(&entry.session, table: table)
            ownInput = entry.session.observe(
                atimeSeconds: probe.latestActivity(entry.session.terminals, countOutput: countOutput)) || ownInput
        }
        let display = observeDisplay(&entry, processes: processes, now: now, warned: warned)
        if warned && entry.session.warning == nil {
            markStateChanged(id)
            audit.record(AuditRecord("activity", sessionFields(entry.session) + [
                ("result", "warning-cancelled"),
                ("source", display == .input ? "display" : ownInput ? "terminal" : "other-session"),
            ]))
        }
        registry.update(id) { $0 = entry }
        if holdsForUnknownDisplay(display, session: entry.session, now: now) { return }
        act(on: entry.session.verdict(now: now), id: id, now: now)
    }

    private func act(on verdict: Verdict, id: String, now: Instant) {
        guard var entry = registry[id] else { return }
        switch verdict {
        case .exempt, .unchecked:
            registry.unschedule(id)
        case .sleep(let until):
            registry.schedule(id, at: until)
        case .warn(let deadline, let reason):
            entry.session.warning = Warning(issuedAt: now, deadline: deadline, reason: reason)
            markStateChanged(id)
            let text = Notice.warning(for: entry.session, deadline: deadline, reason: reason, now: now)
            let results = entry.session.terminals.map { effects.terminals.write(text, to: $0) }
            let desktop = warnDesktop(&entry, text: text, deadline: deadline, now: now)
            absorbOwnOutput(&entry.session)
            registry.update(id) { $0 = entry }
            audit.record(AuditRecord("warn", sessionFields(entry.session) + [
                ("reason", reason.rawValue), ("idle", String(entry.session.idle(now: now).wholeSeconds)),
                ("deadline", String(deadline.seconds)), ("terminals", terminalField(entry.session)),
                ("delivered", deliveryField(results)), ("display", entry.session.facts.display), ("desktop", desktop),
            ]))
            registry.schedule(id, at: deadline)
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
        case .warn, .terminate: registry.schedule(id, at: now)
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
        for other in registry.sessions where other.id != session.id && other.facts.uid == session.facts.uid {
            let activity = probe.latestActivity(
                other.terminals, countOutput: other.limits.activity == .inputAndOutput)
            guard let activity else { continue }
            let latest = TerminalInput.latestInput(atimeSeconds: activity)
            if latest > other.openedAt { session.observeElsewhere(latestInput: latest) }
        }
    }

    /// Our own notice changes a terminal's mtime; where output counts as activity it must not look like use.
    private func absorbOwnOutput(_ session: inout Session) {
        guard session.limits.activity == .inputAndOutput else { return }
        session.acknowledge(atimeSeconds: probe.latestActivity(session.terminals, countOutput: true))
    }
}
