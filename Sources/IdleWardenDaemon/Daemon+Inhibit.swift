import IdleWardenClient
import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// `idlewarden inhibit`: a process inside a session, of that session's own user, holds the session against the
/// idle end for as long as it lives. Who and where come from the kernel only: the sender's pid and uid
/// (SCM_CREDENTIALS), its place among the session's processes (/proc), and a pidfd that names that one process
/// until it exits. Nothing the request carries decides which session is held or for how long.
extension Daemon {
    /// Inhibitors one session may have at once: each holds a descriptor in the daemon.
    static let inhibitorsPerSession = 8

    func inhibit(why: String?, sessionID: String?, sender: Sender) -> ControlReply {
        let now = clock.now()
        let why = why ?? ""
        func refuse(_ reason: String, _ session: Session?, _ message: String) -> ControlReply {
            audit.record(AuditRecord("inhibit", (session.map(sessionFields) ?? [("session", sessionID)]) + [
                ("sender_uid", String(sender.uid)), ("sender_pid", String(sender.pid)), ("result", "refused"),
                ("reason", reason), ("why", why),
            ]), priority: LOG_WARNING)
            return ControlReply(ok: false, message: message)
        }
        if let sessionID, let named = registry[sessionID]?.session, !sender.isRoot, named.facts.uid != sender.uid {
            return refuse("not-own-session", named, "no session \(sessionID) of yours")
        }
        // Only the sender's own sessions are listed, so a user's request costs at most their own sessions' processes.
        let candidates = registry.sessions(where: { session in
            (sessionID == nil || session.id == sessionID) && (sender.isRoot || session.facts.uid == sender.uid)
                && session.ending == nil
        })
        var found: (session: Session, process: ProcessRecord)?
        for session in candidates {
            let table = ProcessTable.session(of: session.leader, source: effects.processes)
            if let record = table.records[sender.pid], record.pid != session.leader.pid, record.realUID == sender.uid {
                found = (session, record)
                break
            }
        }
        guard let (session, process) = found else {
            if let sessionID, registry[sessionID] == nil {
                return refuse("no-such-session", nil, "no session \(sessionID) of yours")
            }
            return refuse("not-in-session", candidates.count == 1 ? candidates[0] : nil,
                          "this process is not in " + (sessionID.map { "session \($0)" } ?? "any of your sessions")
                            + "; run idlewarden inhibit inside the session it should hold")
        }
        guard session.limits.allowInhibit else {
            return refuse("allow_inhibit-false", session,
                          "session \(session.id) may not be held: its policy sets allow_inhibit = false")
        }
        guard session.inhibitors.count < Self.inhibitorsPerSession else {
            return refuse("too-many", session,
                          "session \(session.id) is held by \(Self.inhibitorsPerSession) processes already")
        }
        guard let handle = watch(process.identity) else {
            return refuse("process-gone", session, "the requesting process has exited")
        }
        guard registry.addInhibitorHandle(handle, process: process.identity, to: session.id) else {
            release(handle)
            return refuse("process-gone", session, "session \(session.id) has ended")
        }
        let warned = session.warning != nil
        registry.update(session.id) { $0.session.inhibit(Inhibitor(process: process.identity, why: why, since: now)) }
        markStateChanged(session.id)
        reschedule(session.id, now: now)
        audit.record(AuditRecord("inhibit", sessionFields(session) + [
            ("result", "started"), ("why", why), ("inhibitor_pid", String(process.pid)),
            ("idle", String(session.idle(now: now).wholeSeconds)),
            ("max_inhibit", session.limits.maxInhibit.map(ConfigDuration.format) ?? "none"),
            ("warning", warned ? "cancelled" : nil),
        ]))
        let bound = session.limits.maxInhibit.map {
            "; for at most \(ConfigDuration.format($0)) after your last input (max_inhibit)"
        } ?? ""
        return ControlReply(ok: true, message: "session \(session.id) is held while this command runs" + bound)
    }

    /// An inhibitor's process exited: the hold ends and the session's idle clock runs from now.
    func inhibitorExited(handle: Int32, now: Instant) {
        guard let (id, process) = registry.takeInhibitorHandle(handle) else { return }
        release(handle)
        releaseInhibitor(process, of: id, now: now, reason: "exited")
    }

    /// Takes the hold of `process` off session `id`, audited; the session is looked at again.
    func releaseInhibitor(_ process: ProcessIdentity, of id: String, now: Instant, reason: String) {
        guard let inhibitor = registry.update(id, { $0.session.release(process, now: now) }) ?? nil,
              let entry = registry[id]
        else { return }
        markStateChanged(id)
        audit.record(AuditRecord("inhibit", sessionFields(entry.session) + [
            ("result", "ended"), ("reason", reason), ("why", inhibitor.why), ("inhibitor_pid", String(process.pid)),
            ("held", String(max(0, (now - inhibitor.since).wholeSeconds))),
            ("idle", String(entry.session.idle(now: now).wholeSeconds)),
        ]))
        if entry.phase.isWatched { reschedule(id, now: now) }
    }

    /// After a restart: the saved inhibitors still running are watched again; a hold whose process ended while
    /// the daemon was down ends now.
    func rewatchInhibitors(of id: String, now: Instant) {
        guard let inhibitors = registry[id]?.session.inhibitors else { return }
        for inhibitor in inhibitors {
            if let handle = watch(inhibitor.process) {
                if registry.addInhibitorHandle(handle, process: inhibitor.process, to: id) { continue }
                release(handle)
            }
            releaseInhibitor(inhibitor.process, of: id, now: now, reason: "gone-at-restart")
        }
    }
}
