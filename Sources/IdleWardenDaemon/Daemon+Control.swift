import FoundationEssentials
import IdleWardenClient
import IdleWardenCore
import IdleWardenWire

#if canImport(Glibc)
import Glibc
#endif

/// Requests on the control socket: `status`, `keepalive`, `inhibit` (Daemon+Inhibit), `reload`, `sweep` and
/// `metrics`. Any user may ask; each sees and touches only their own sessions, root all of them.
extension Daemon {
    /// The reply to a request: its first chunk, or the chunk asked for of an answer given before (to the same
    /// uid only). Nil when there is nothing to send (a chunk that is not there).
    func answer(_ request: ControlRequest, from sender: Sender) -> ReplyChunk? {
        if request.chunk > 0 {
            return replies.chunk(requestID: request.requestID, uid: sender.uid, index: request.chunk)
        }
        let reply: ControlReply
        switch request.action {
        case .status:
            let now = clock.now()
            let visible = registry.sessions(where: { sender.isRoot || $0.facts.uid == sender.uid })
            reply = ControlReply(ok: true, sessions: visible.map {
                StatusEntry(session: withInputNow($0, now: now), now: now, nextDeadline: registry.deadline(of: $0.id))
            })
        case .keepalive(let sessionID):
            reply = keepalive(sessionID, sender: sender)
        case .inhibit(let why, let sessionID):
            reply = inhibit(why: why, sessionID: sessionID, sender: sender)
        case .reload, .sweep, .metrics:
            guard sender.isRoot else {
                reject("not-root", sender: sender, detail: "request=\(request.action)")
                reply = ControlReply(ok: false, message: "only root may reload, sweep or read the metrics")
                break
            }
            if case .metrics = request.action {
                reply = ControlReply(ok: true, message: metricsText())
            } else if case .sweep(let dryRun) = request.action {
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
        replies.store(chunks, requestID: request.requestID, uid: sender.uid, now: clock.now())
        return chunks.first
    }

    /// `session` with the input its terminals show now, for `status`: the daemon reads them only when a session
    /// comes due, and a user who has just typed must not see the idle time of the last check. One stat per
    /// terminal of each session shown; nothing is kept (the session's own check decides, and audits, as always).
    /// A time after now (the wall clock was set back since) is not input that `status` can vouch for.
    private func withInputNow(_ session: Session, now: Instant) -> Session {
        guard session.ending == nil, !session.terminals.isEmpty,
              let latest = session.terminalInput(at: probe.stamps(of: session.terminals), now: now),
              latest > session.lastInput, latest <= now
        else { return session }
        var current = session
        current.lastInput = latest
        return current
    }

    private func keepalive(_ sessionID: String?, sender: Sender) -> ControlReply {
        let now = clock.now()
        let targets = registry.sessions(where: { session in
            (sessionID == nil || session.id == sessionID) && (sender.isRoot || session.facts.uid == sender.uid)
        })
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
            registry.update(session.id) { $0.session = session }
            markStateChanged(session.id)
            reschedule(session.id, now: now)
            audit.record(AuditRecord("keepalive", sessionFields(session) + [("sender_uid", String(sender.uid))]))
            touched.append(StatusEntry(session: session, now: now, nextDeadline: registry.deadline(of: session.id)))
        }
        let message = "kept alive: \(touched.count) session(s)"
            + (refused.isEmpty ? "" : "; refused by policy (allow_keepalive = false): " + refused.joined(separator: ", "))
        return ControlReply(ok: refused.isEmpty, message: message, sessions: touched)
    }

    /// Applies the policy to every session now, as if each had come due: what is due is warned or ended.
    /// A dry run reports the verdicts and changes nothing (not even the recorded input).
    private func sweep(dryRun: Bool, sender: Sender) -> [String] {
        let now = clock.now()
        let processes = ProcessSnapshot(source: effects.processes)
        var lines: [String] = []
        for id in registry.orderedIDs {
            guard let entry = registry[id] else { continue }
            var session = entry.session
            if !entry.phase.isWatched {
                lines.append("session \(id) (\(session.facts.user)): already ending")
                continue
            }
            if dryRun {
                session.look(at: probe.stamps(of: session.terminals), now: now)
                discoverTerminals(&session, table: processes.table(of: session.leader), now: now, announce: false)
                lines.append("session \(id) (\(session.facts.user)): would \(describe(session.verdict(now: now), now: now))")
            } else {
                evaluate(id, processes: processes, now: now)
                let outcome = registry[id].map {
                    $0.phase.isWatched ? "next: " + describe($0.session.verdict(now: now), now: now) : "ending"
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
        case .unchecked: return "not idle-check it (graphical = false)"
        case .sleep(let until): return "look again in \(ConfigDuration.format(until - now))"
        case .warn(let deadline, let reason):
            return "warn now (\(reason.rawValue)) and end it in \(ConfigDuration.format(deadline - now))"
        case .warnAgain(let deadline, let reason):
            return "warn again now (\(reason.rawValue)) and end it in \(ConfigDuration.format(deadline - now))"
        case .lock: return "lock its desktop now"
        case .terminate(let reason): return "end it now (\(reason.rawValue))"
        }
    }
}
