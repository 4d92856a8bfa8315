/// One registered login session and everything the policy needs to decide about it. Pure data: the daemon
/// fills in observations (terminal atimes, discovered terminals), Core turns them into a `Verdict`.
public struct Session: Equatable, Sendable, Codable {
    /// Short daemon-assigned id, unique for the daemon's lifetime; shown by `status`, taken by `keepalive`.
    public let id: String
    public var facts: SessionFacts
    /// The process that called the PAM module (sshd's `[priv]` monitor, login, su).
    public var leader: ProcessIdentity
    public var sid: Int32
    public var xdgSessionID: String?
    public var openedAt: Instant
    public var limits: Limits
    /// Latest moment the last input can have happened (see `TerminalInput`); starts at `openedAt`.
    public var lastInput: Instant
    /// Highest terminal atime seen so far, in seconds; input is an atime above it.
    public var lastAtimeSeconds: Int64?
    /// Terminal device paths watched for input; several when one login multiplexes shells.
    public var terminals: [String]
    public var terminalDiscovery: TerminalDiscovery
    public var warning: Warning?
    /// Set once termination has begun; the session stays registered until its leader exits.
    public var ending: EndReason?
    /// How the daemon learned of the session.
    public var origin: SessionOrigin
    /// Stored as an optional so that state files written before inhibitors existed still load.
    private var inhibitorList: [Inhibitor]?
    /// The processes that hold the session now (`idlewarden inhibit`), oldest first.
    public var inhibitors: [Inhibitor] { inhibitorList ?? [] }
    /// When the last inhibitor ended, if one ever did: the idle clock runs from there (see `idleClockStart`).
    public private(set) var heldUntil: Instant?
    /// The last input as it was when the desktop was locked: it is locked once per idle spell, again only after
    /// new input.
    public var lockedFor: Instant?

    public init(
        id: String, facts: SessionFacts, leader: ProcessIdentity, sid: Int32, xdgSessionID: String? = nil,
        openedAt: Instant, limits: Limits, terminals: [String] = [], origin: SessionOrigin = .pam
    ) {
        self.id = id
        self.facts = facts
        self.leader = leader
        self.sid = sid
        self.xdgSessionID = xdgSessionID
        self.openedAt = openedAt
        self.limits = limits
        self.lastInput = openedAt
        self.terminals = terminals
        self.terminalDiscovery = .pending(attempt: 0)
        self.warning = nil
        self.ending = nil
        self.origin = origin
        self.inhibitorList = nil
        self.heldUntil = nil
    }

    /// A process begins to hold the session; like input, it takes back an idle warning.
    public mutating func inhibit(_ inhibitor: Inhibitor) {
        inhibitorList = inhibitors + [inhibitor]
        if warning?.reason == .idle { warning = nil }
    }

    /// The inhibitor `process` has ended at `now`: the idle clock runs from then on (within `max_inhibit`, see
    /// `idleClockStart`). Returns it, or nil when it held nothing.
    @discardableResult
    public mutating func release(_ process: ProcessIdentity, now: Instant) -> Inhibitor? {
        guard let index = inhibitors.firstIndex(where: { $0.process == process }) else { return nil }
        let inhibitor = inhibitors[index]
        var list = inhibitors
        list.remove(at: index)
        inhibitorList = list.isEmpty ? nil : list
        heldUntil = max(heldUntil ?? now, now)
        return inhibitor
    }

    /// Whether an inhibitor holds the session at `now`: allowed by policy and within max_inhibit of the last input.
    public func isInhibited(now: Instant) -> Bool {
        guard limits.allowInhibit, !inhibitors.isEmpty else { return false }
        guard let maxInhibit = limits.maxInhibit else { return true }
        return now < lastInput + maxInhibit
    }

    /// Where the idle clock starts: the last input, or the moment inhibitors stopped holding the session. A hold
    /// reaches at most `max_inhibit` past the last input, however many inhibitors come and go, so a user cannot
    /// keep the session longer than `max_inhibit + idle_timeout` without input. Nil while a hold has no bound.
    public var idleClockStart: Instant? {
        guard limits.allowInhibit else { return lastInput }
        var held = heldUntil
        if !inhibitors.isEmpty {
            guard let maxInhibit = limits.maxInhibit else { return nil }
            held = lastInput + maxInhibit
        }
        guard var held else { return lastInput }
        if let maxInhibit = limits.maxInhibit { held = min(held, lastInput + maxInhibit) }
        return max(lastInput, held)
    }

    /// Records the newest atime among the session's terminals. Returns true when it shows input since the
    /// last observation; input cancels an idle warning (a max-session warning stands).
    @discardableResult
    public mutating func observe(atimeSeconds: Int64?) -> Bool {
        guard let atimeSeconds else { return false }
        guard atimeSeconds > (lastAtimeSeconds ?? Int64.min) else { return false }
        let isFirstObservation = lastAtimeSeconds == nil
        lastAtimeSeconds = atimeSeconds
        let latest = TerminalInput.latestInput(atimeSeconds: atimeSeconds)
        // A terminal seen for the first time carries its creation or earlier-use time: that is not input
        // in this session unless it is newer than the session itself.
        if isFirstObservation && latest <= openedAt { return false }
        guard latest > lastInput else { return false }
        lastInput = latest
        if warning?.reason == .idle { warning = nil }
        return true
    }

    /// Takes a newer activity time as the baseline without counting it as input: used after idlewarden's
    /// own notice changed a terminal's mtime.
    public mutating func acknowledge(atimeSeconds: Int64?) {
        guard let atimeSeconds, atimeSeconds > (lastAtimeSeconds ?? Int64.min) else { return }
        lastAtimeSeconds = atimeSeconds
    }

    /// Input seen in another session of the same user, for `scope = "user"`: it keeps this session alive
    /// too. Returns true when it moved the idle clock.
    @discardableResult
    public mutating func observeElsewhere(latestInput: Instant) -> Bool {
        guard latestInput > lastInput else { return false }
        lastInput = latestInput
        if warning?.reason == .idle { warning = nil }
        return true
    }

    /// Resets the idle clock as if input had happened at `now` (keepalive).
    public mutating func touch(now: Instant) {
        if now > lastInput { lastInput = now }
        if warning?.reason == .idle { warning = nil }
    }

    /// Moves every recorded wall-clock instant by `jump` after the wall clock was set, so that idle time
    /// keeps counting as the boot clock saw it and new atimes compare with old ones in the same frame.
    public mutating func shift(by jump: Duration) {
        openedAt = openedAt + jump
        lastInput = lastInput + jump
        if let atime = lastAtimeSeconds { lastAtimeSeconds = atime + jump.wholeSeconds }
        if let held = heldUntil { heldUntil = held + jump }
        if let locked = lockedFor { lockedFor = locked + jump }
        inhibitorList = inhibitorList?.map { Inhibitor(process: $0.process, why: $0.why, since: $0.since + jump) }
        if var warning {
            warning.issuedAt = warning.issuedAt + jump
            warning.deadline = warning.deadline + jump
            warning.repeatedAt = warning.repeatedAt.map { $0 + jump }
            self.warning = warning
        }
    }

    /// Whether the idle timeout applies: there is a terminal to watch, or the config asks to check
    /// sessions without one (which then count as idle from their last keepalive or from open).
    public var isIdleChecked: Bool {
        if facts.isGraphical { return limits.graphical }
        return !terminals.isEmpty || limits.checkNoTTY || terminalDiscovery != .settled
    }

    /// When the desktop is to be locked (`lock_after` after the last input: a hold by `idlewarden inhibit`
    /// does not stop a lock); nil when it is not, or is locked already for this idle spell. Only desktops are
    /// locked: a terminal has no locker the daemon could start for the user.
    public var lockMoment: Instant? {
        guard let lockAfter = limits.lockAfter, isDisplayChecked, lockedFor != lastInput else { return nil }
        return lastInput + lockAfter
    }

    public func verdict(now: Instant) -> Verdict {
        let idle = idleVerdict(now: now)
        guard let lockAt = lockMoment else { return idle }
        switch idle {
        case .exempt, .terminate: return idle
        default: if now >= lockAt { return .lock }
        }
        switch idle {
        case .sleep(let until): return .sleep(until: min(until, lockAt))
        case .unchecked: return .sleep(until: lockAt)
        default: return idle
        }
    }

    /// The verdict on warnings and the end, without the lock.
    private func idleVerdict(now: Instant) -> Verdict {
        if limits.exemption != nil { return .exempt }
        var due: (moment: Instant, reason: EndReason)?
        if let maxSession = limits.maxSession {
            due = (openedAt + maxSession, .maxSession)
        }
        // A graphical session is idle-checked through its desktop (and `graphical = false` turns that off,
        // terminals included); a terminal session through its terminals.
        // While an inhibitor holds it without bound, the session has no idle deadline.
        if facts.isGraphical ? limits.graphical : (!terminals.isEmpty || limits.checkNoTTY),
           let start = idleClockStart
        {
            let idleDeadline = start + limits.idleTimeout
            if due == nil || idleDeadline < due!.moment { due = (idleDeadline, .idle) }
        }
        let discovery = terminalDiscovery.nextAttempt(openedAt: openedAt)
        guard let due else {
            if let discovery { return .sleep(until: discovery) }
            return .unchecked
        }
        if let warning {
            let end = max(due.moment, warning.issuedAt + limits.warnBefore)
            if now >= end { return .terminate(reason: due.reason) }
            var wake = end
            if let again = limits.warnAgain, warning.repeatedAt == nil, end - again > warning.issuedAt {
                if now >= end - again { return .warnAgain(deadline: end, reason: due.reason) }
                wake = end - again
            }
            return .sleep(until: min(wake, discovery ?? wake))
        }
        let warnAt = due.moment - limits.warnBefore
        if limits.warnBefore > .zero && now >= warnAt {
            return .warn(deadline: max(due.moment, now + limits.warnBefore), reason: due.reason)
        }
        if limits.warnBefore == .zero && now >= due.moment {
            return .terminate(reason: due.reason)
        }
        return .sleep(until: min(warnAt, discovery ?? warnAt))
    }

    /// Seconds since the last input, for `status` and the audit `idle=` field.
    public func idle(now: Instant) -> Duration {
        let span = now - lastInput
        return span < .zero ? .zero : span
    }
}
