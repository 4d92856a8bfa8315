import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// Where systemd-logind runs, its session list reconciles the registry at start-up: a saved session whose logind
/// session is gone is dropped (see `restoreSavedSessions`), and a logind session the daemon never heard of (opened
/// while the daemon was down, or whose report was lost) is adopted when the PAM service it was opened through runs
/// the module. logind's word is checked against the kernel's: a session is adopted only when its leader is in its
/// scope.
extension Daemon {
    /// What logind said at start-up.
    enum LogindListing {
        /// logind does not run here: the utmp adoption applies.
        case absent
        /// It runs, but the list could not be read (audited): nothing is adopted from it or dropped by it.
        case failed
        case listed([LogindSession])

        var sessionIDs: Set<String>? {
            if case .listed(let sessions) = self { return Set(sessions.map(\.id)) }
            return nil
        }
    }

    /// One busctl call for the whole list; more time and room than a desktop's idle hint gets, as it runs once.
    static let logindListTimeoutMilliseconds: Int32 = 3000
    static let logindListOutputLimit = 8 << 20
    static let logindDetailsTimeoutMilliseconds: Int32 = 1000
    static let moduleFileName = "pam_idlewarden.so"

    func readLogindListing() -> LogindListing {
        guard effects.logind.isPresent else { return .absent }
        let reply = effects.logind.busctl(
            ["call", "org.freedesktop.login1", "/org/freedesktop/login1", "org.freedesktop.login1.Manager",
             "ListSessions"],
            outputLimit: Self.logindListOutputLimit, timeoutMilliseconds: Self.logindListTimeoutMilliseconds)
        switch LogindReply.sessionList(status: reply.status, output: reply.output) {
        case .success(let sessions):
            return .listed(sessions)
        case .failure(let error):
            audit.record(AuditRecord("reconcile", [
                ("source", "logind"), ("result", "failed"), ("reason", error.description),
            ]), priority: LOG_WARNING)
            return .failed
        }
    }

    /// With `adopting`, adopts the sessions of `listed` that the registry does not hold when their service runs
    /// the module (one `event=adopt` line for each session adopted or skipped); then one `event=reconcile` line
    /// with the counts (`dropped`: the saved sessions logind no longer lists).
    func reconcileWithLogind(
        _ listed: [LogindSession], dropped: Int, adopting: Bool, table: ProcessTable, now: Instant
    ) {
        var known = Set(registry.sessions.compactMap { $0.logindScope?.sessionID })
        var adopted = 0
        var skipped = 0
        for candidate in listed where adopting && !known.contains(candidate.id) {
            switch adoptLogindSession(candidate, table: table, now: now) {
            case .adopted: adopted += 1
            case .known: break
            case .skipped: skipped += 1
            }
            known.insert(candidate.id)
        }
        audit.record(AuditRecord("reconcile", [
            ("source", "logind"), ("result", "ok"), ("sessions", String(listed.count)),
            ("adopt", adopting ? AdoptMode.module.rawValue : AdoptMode.none.rawValue), ("adopted", String(adopted)),
            ("skipped", String(skipped)), ("dropped", String(dropped)),
        ]))
    }

    private enum Adoption {
        case adopted
        /// The registry holds it under its leader (registered without its logind id): the id is added.
        case known
        case skipped
    }

    private func adoptLogindSession(_ listed: LogindSession, table: ProcessTable, now: Instant) -> Adoption {
        let base: [(String, String?)] = [
            ("user", listed.user), ("uid", String(listed.uid)), ("logind_session", listed.id), ("source", "logind"),
        ]
        func skip(_ reason: String, _ more: [(String, String?)] = []) -> Adoption {
            audit.record(AuditRecord("adopt", base + more + [("result", "skipped"), ("reason", reason)]))
            return .skipped
        }
        let reply = effects.logind.busctl(
            ["get-property", "org.freedesktop.login1", listed.path, "org.freedesktop.login1.Session"]
                + LogindReply.detailProperties,
            outputLimit: 8192, timeoutMilliseconds: Self.logindDetailsTimeoutMilliseconds)
        let details: LogindSessionDetails
        switch LogindReply.sessionDetails(status: reply.status, output: reply.output) {
        case .success(let read): details = read
        case .failure(let error): return skip("logind-error", [("error", error.description)])
        }
        let more: [(String, String?)] = [("service", details.service), ("pid", String(details.leader))]
        // Closing: the login ended and only processes it left behind remain. Greeters, lock screens and
        // background sessions are not logins of a user at a terminal or desktop.
        guard details.state != "closing" else { return skip("closing", more) }
        guard details.sessionClass == "user" else { return skip("class-\(details.sessionClass)", more) }
        guard details.leader > 0, details.leader <= UInt32(Int32.max),
              let leader = table.records[Int32(details.leader)]
        else { return skip("leader-gone", more) }
        if let id = registry.id(ofLeader: leader.identity) {
            if let scope = effects.logind.scope(of: leader.pid), scope.sessionID == listed.id {
                registry.update(id) { $0.session.logindScope = scope }
                markStateChanged(id)
            }
            return .known
        }
        guard let scope = effects.logind.scope(of: leader.pid), scope.sessionID == listed.id, scope.uid == listed.uid
        else { return skip("leader-not-in-scope", more) }
        guard let found = PAMServiceStack.findSessionModule(
            Self.moduleFileName, service: details.service, read: effects.pamFile)
        else { return skip("no-module", more) }
        // A module line that reports to another daemon's socket is that daemon's.
        if let socket = found.arguments.first(where: { $0.hasPrefix("socket=") })?.dropFirst("socket=".count),
           socket != options.sessionSocketPath, socket != options.socketPath {
            return skip("other-socket", more + [("socket", String(socket))])
        }
        guard let account = effects.accounts.account(named: listed.user), account.uid == listed.uid else {
            return skip("unknown-user", more)
        }
        let facts = SessionFacts(
            user: account.name, uid: account.uid, groups: effects.accounts.groupNames(of: account),
            service: details.service, tty: details.tty.isEmpty ? nil : details.tty,
            rhost: details.remoteHost.isEmpty ? nil : details.remoteHost,
            xdisplay: details.display.isEmpty ? nil : details.display, xdgSessionType: details.type,
            moduleArguments: found.arguments)
        let resolution = Policy.resolve(config, for: facts)
        let id = String(nextSessionNumber)
        nextSessionNumber += 1
        var session = Session(
            id: id, facts: facts, leader: leader.identity, sid: leader.sid, xdgSessionID: listed.id,
            logindScope: scope, openedAt: now, limits: resolution.limits, origin: .logind)
        takeTerminalsAtAdoption(&session, table: table, now: now)
        track(session, now: now)
        audit.record(AuditRecord("adopt", sessionFields(session) + [
            ("pid", String(leader.pid)), ("source", SessionOrigin.logind.rawValue), ("logind_session", listed.id),
            ("scope", scope.unit), ("pam", "\(found.file):\(found.line)"), ("type", facts.sessionType.rawValue),
            ("terminals", terminalField(session)), ("idle", String(session.idle(now: now).wholeSeconds)),
        ]))
        for ignored in resolution.ignored {
            audit.record(AuditRecord("config-error", [("session", id), ("error", ignored.description)]),
                         priority: LOG_WARNING)
        }
        if let exemption = session.limits.exemption {
            audit.record(AuditRecord("exempt", sessionFields(session) + [("reason", exemption.description)]))
        }
        return .adopted
    }
}
