import IdleWardenCore
import IdleWardenWire

#if canImport(Glibc)
import Glibc
#endif

/// Datagrams: what the PAM module reports (a session opened or closed) and requests from the control socket.
extension Daemon {
    /// One datagram as a socket received it. Non-root senders spend a per-uid budget; what they send beyond it
    /// is dropped unread and summed up in one audit line, so a flood costs neither the daemon nor syslog much.
    /// Returns the reply to send and where to, if there is one.
    func accept(_ received: ControlSocket.Received) -> (bytes: [UInt8], address: [UInt8])? {
        switch received {
        case .datagram(let bytes, let sender):
            guard sender.isRoot || budget.spend(uid: sender.uid, now: clock.now()) else { return nil }
            guard let reply = handle(bytes, from: sender), let encoded = try? reply.encoded() else { return nil }
            guard case .abstract(let address) = ReplyAddress(sender.address) else { return nil }
            return (encoded, address)
        case .oversized(let size, let sender):
            guard sender.isRoot || budget.spend(uid: sender.uid, now: clock.now()) else { return nil }
            reject(WireError.oversized(size: size, limit: Datagram.requestLimit).reason, sender: sender,
                   detail: "size=\(size)")
        case .noCredentials:
            audit.record(AuditRecord("reject", [("reason", "no-credentials")]), priority: LOG_WARNING)
        case .empty(let sender):
            guard sender.isRoot || budget.spend(uid: sender.uid, now: clock.now()) else { return nil }
            reject("empty", sender: sender)
        }
        return nil
    }

    func reportRefusals() {
        let now = clock.now()
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

    /// Acts on one datagram from `sender` (as the kernel attests it); returns the reply chunk to send back, if
    /// the datagram was a request.
    @discardableResult
    func handle(_ bytes: [UInt8], from sender: Sender) -> ReplyChunk? {
        let message: Message
        do {
            message = try Message.decode(bytes)
        } catch {
            reject(error.reason, sender: sender, detail: "\(error)")
            return nil
        }
        switch message {
        case .session(let event):
            guard sender.isRoot else {
                reject("not-root", sender: sender, detail: "claimed-user=\(event.user)")
                return nil
            }
            // A login program of a container that sees this socket (a bind mount) is another machine's.
            if case .nested = effects.processes.pidNamespace(sender.pid) {
                reject("foreign-pid-namespace", sender: sender, detail: "claimed-user=\(event.user)")
                return nil
            }
            switch event.phase {
            case .open: open(event, sender: sender)
            case .close: close(event)
            }
            return nil
        case .request(let request):
            // A reply goes only to the sender's own abstract address (see `ReplyAddress`): a request from a
            // socket bound to a path is refused before it is acted on.
            if case .path(let path) = ReplyAddress(sender.address) {
                reject("reply-address", sender: sender, detail: "path=\(path)")
                return nil
            }
            return answer(request, from: sender)
        case .reply:
            reject("unexpected-reply", sender: sender)
            return nil
        }
    }

    /// Registers a login. A record read from the spool (`spooledAt`: when the module wrote it) names its process by
    /// start time too, counts its idle time from then, and takes input its terminals show since.
    func open(_ event: SessionEvent, sender: Sender, spooledAt: Instant? = nil) {
        let now = clock.now()
        guard sender.pid == event.pid else {
            reject("pid-mismatch", sender: sender, detail: "claimed-pid=\(event.pid)")
            return
        }
        // The sender is the login process and is blocked in its PAM stack right now, so its /proc entry is its
        // own; the start time read here names it from now on.
        guard let process = effects.processes.stat(event.pid),
              event.startTime.map({ $0 == process.startTime }) ?? true
        else {
            reject("leader-gone", sender: sender, detail: "pid=\(event.pid)")
            return
        }
        let leader = process.identity
        guard let account = effects.accounts.account(named: event.user), event.uid.map({ $0 == account.uid }) ?? true
        else {
            reject("unknown-user", sender: sender,
                   detail: "user=\(event.user)" + (event.uid.map { " uid=\($0)" } ?? ""))
            return
        }
        if let existing = registry.id(ofLeader: leader) {
            forget(existing)
        }
        // Rules and audit use the account's own name, not the login name as typed (see `AccountLookup`).
        let facts = SessionFacts(
            user: account.name, uid: account.uid, groups: effects.accounts.groupNames(of: account),
            service: event.service, tty: event.tty, rhost: event.rhost, xdisplay: event.xdisplay,
            xdgSessionType: event.xdgSessionType, moduleArguments: event.overrides)
        let resolution = Policy.resolve(config, for: facts)
        let id = String(nextSessionNumber)
        nextSessionNumber += 1
        var session = Session(
            id: id, facts: facts, leader: leader, sid: process.sid, xdgSessionID: event.xdgSessionID,
            logindScope: ownLogindScope(of: leader, claimedID: event.xdgSessionID, uid: account.uid),
            openedAt: min(now, spooledAt ?? now), limits: resolution.limits)
        // No process listing at open: the login's processes below it do not exist yet. The terminal PAM_TTY names
        // is listed now, with its owner at open (see `TerminalOwnership`); what it shows is first taken at the
        // search 1 s after open, once login has made it the user's.
        if let device = effects.terminals.device(forPAMTTY: event.tty),
           let stamp = effects.terminals.stamp(of: device) {
            session.pamTerminalOwner = stamp.owner
            session.terminals = [device]
        }
        if spooledAt != nil {
            // A spooled login has run since the module wrote it: its terminals exist, and input they show since
            // counts, as for an adopted one (never later than now, whatever a forged time says).
            discoverTerminals(&session, table: ProcessTable.session(of: leader, source: effects.processes), now: now,
                              announce: false)
            let stamps = probe.stamps(of: session.terminals).values
            if let last = stamps.compactMap({ TerminalInput.lastInputAtAdoption($0, now: now) }).max(),
               last > session.lastInput {
                session.lastInput = last
            }
        }
        track(session, now: now)

        audit.record(AuditRecord("open", sessionFields(session) + [
            ("pam_user", event.user == account.name ? nil : event.user), ("pid", String(event.pid)),
            ("sid", String(process.sid)), ("xdg_session", event.xdgSessionID), ("source", spooledAt == nil ? nil : "spool"),
            ("logind_session", session.logindScope?.sessionID), ("scope", session.logindScope?.unit),
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

    /// The logind scope the login process is in, when it is the session the module reported (XDG_SESSION_ID,
    /// which pam_systemd sets before the module runs) and the user's: only then is it this login's own. The leader
    /// is blocked in its PAM stack, so the cgroup read is its own.
    private func ownLogindScope(of leader: ProcessIdentity, claimedID: String?, uid: UInt32) -> LogindScope? {
        guard let claimedID, let scope = effects.logind.scope(of: leader.pid), scope.sessionID == claimedID,
              scope.uid == uid
        else { return nil }
        return scope
    }

    func close(_ event: SessionEvent) {
        let id: String?
        if let startTime = event.startTime ?? effects.processes.stat(event.pid)?.startTime {
            id = registry.id(ofLeader: ProcessIdentity(pid: event.pid, startTime: startTime))
        } else {
            // The login process sent its close and exited before the daemon read it (the record waited in its
            // connection): with no process of that pid left, the pid names the one tracked session it led.
            let led = registry.sessions(where: { $0.leader.pid == event.pid })
            id = led.count == 1 ? led[0].id : nil
        }
        guard let id else {
            audit.record(AuditRecord("close", [
                ("user", event.user), ("service", event.service), ("pid", String(event.pid)),
                ("reason", "unknown-session"),
            ]))
            return
        }
        end(id, reason: "pam-close", now: clock.now())
    }
}
