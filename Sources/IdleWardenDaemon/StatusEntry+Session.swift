import IdleWardenClient
import IdleWardenCore

extension StatusEntry {
    /// How `idlewarden status` shows `session` at `now`: the daemon's side of the client's type.
    init(session: Session, now: Instant, nextDeadline: Instant?) {
        let display = session.facts.display
        self.init(
            id: session.id, user: session.facts.user, uid: session.facts.uid, service: session.facts.service,
            tty: session.facts.tty, rhost: session.facts.rhost, pid: session.leader.pid,
            openedAt: session.openedAt.seconds, state: Self.state(of: session, now: now),
            exemptReason: session.limits.exemption?.description,
            terminals: (display.map { [$0] } ?? []) + session.terminals,
            idleSeconds: session.idle(now: now).wholeSeconds,
            idleTimeoutSeconds: session.limits.idleTimeout.wholeSeconds, nextDeadline: nextDeadline?.seconds,
            display: display, logindSession: session.logindScope?.sessionID, scope: session.logindScope?.path,
            inhibitors: session.inhibitors.map {
                StatusInhibitor(pid: $0.process.pid, why: $0.why, since: $0.since.seconds,
                                holding: session.isInhibited(now: now))
            })
        let outlook = session.outlook(now: now)
        warnAt = outlook?.warnAt?.seconds
        endAt = outlook?.endAt.seconds
        endReason = outlook?.reason.rawValue
        warnBeforeSeconds = session.limits.warnBefore.wholeSeconds
        maxSessionSeconds = session.limits.maxSession?.wholeSeconds
        keepaliveAllowed = session.limits.allowKeepalive
    }

    /// The state `status` shows and the `idlewarden_sessions` gauge counts by.
    static let states = ["active", "warned", "exempt", "pending", "no-tty", "unchecked", "terminating", "inhibited"]

    static func state(of session: Session, now: Instant) -> String {
        if session.ending != nil { return "terminating" }
        if session.limits.exemption != nil { return "exempt" }
        if session.warning != nil { return "warned" }
        if session.isInhibited(now: now) { return "inhibited" }
        if session.facts.isGraphical { return session.isDisplayChecked ? "active" : "unchecked" }
        if session.terminals.isEmpty && session.terminalDiscovery != .settled { return "pending" }
        if session.terminals.isEmpty && !session.limits.checkNoTTY { return "no-tty" }
        return "active"
    }
}
