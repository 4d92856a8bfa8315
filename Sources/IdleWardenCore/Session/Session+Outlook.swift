/// When a session ends if nobody touches it from now on: what `status` tells its user ("how long do I have?").
public struct Outlook: Equatable, Sendable {
    /// When the warning comes (or came); nil when the session gets none (warn_before 0).
    public var warnAt: Instant?
    public var endAt: Instant
    public var reason: EndReason

    public init(warnAt: Instant?, endAt: Instant, reason: EndReason) {
        self.warnAt = warnAt
        self.endAt = endAt
        self.reason = reason
    }
}

extension Session {
    /// The first limit the session reaches without further input: its absolute lifetime, or its idle deadline
    /// when it is idle-checked (a desktop through its display, unless `graphical = false`, which turns its
    /// terminals off too; a terminal session through its terminals), counted from `idleClockStart`, so a hold by
    /// an inhibitor without bound leaves no idle deadline. Nil when neither applies.
    var due: (moment: Instant, reason: EndReason)? {
        var due: (moment: Instant, reason: EndReason)?
        if let maxSession = limits.maxSession {
            due = (openedAt + maxSession, .maxSession)
        }
        if facts.isGraphical ? limits.graphical : (!terminals.isEmpty || limits.checkNoTTY), let start = idleClockStart {
            let idleDeadline = start + limits.idleTimeout
            if due == nil || idleDeadline < due!.moment { due = (idleDeadline, .idle) }
        }
        return due
    }

    /// The warning and the end this session gets if it has no input from `now` on, as `verdict` would decide
    /// them; nil for a session that is never ended (exempt, nothing checked) or is ending already. While an
    /// inhibitor holds it, no idle end is claimed (the hold may end at any time): only max_session, if set.
    public func outlook(now: Instant) -> Outlook? {
        guard limits.exemption == nil, ending == nil, var due else { return nil }
        if due.reason == .idle, isInhibited(now: now) {
            guard let maxSession = limits.maxSession else { return nil }
            due = (openedAt + maxSession, .maxSession)
        }
        if let warning {
            return Outlook(warnAt: warning.issuedAt, endAt: max(due.moment, warning.issuedAt + limits.warnBefore),
                           reason: due.reason)
        }
        guard limits.warnBefore > .zero else { return Outlook(warnAt: nil, endAt: max(due.moment, now), reason: due.reason) }
        let warnAt = max(due.moment - limits.warnBefore, now)
        return Outlook(warnAt: warnAt, endAt: max(due.moment, warnAt + limits.warnBefore), reason: due.reason)
    }
}
