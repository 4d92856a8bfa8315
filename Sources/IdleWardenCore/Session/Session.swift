/// One registered login session and everything the policy needs to decide about it. Pure data: the daemon
/// fills in observations (what its terminals show, the terminals found), Core turns them into a `Verdict`.
public struct Session: Equatable, Sendable, Codable {
    /// Short daemon-assigned id, unique for the daemon's lifetime; shown by `status`, taken by `keepalive`.
    public let id: String
    public var facts: SessionFacts
    /// The process that called the PAM module (sshd's `[priv]` monitor, login, su).
    public var leader: ProcessIdentity
    public var sid: Int32
    /// XDG_SESSION_ID as the module reported it (pam_systemd sets it in the PAM environment).
    public var xdgSessionID: String?
    /// The login's own systemd-logind session: the scope its leader is in (/proc/PID/cgroup, which the user cannot
    /// change), taken only when it is the session XDG_SESSION_ID names, or the one logind listed when the daemon
    /// adopted the login. Its `sessionID` is the logind session id. Nil without logind, and for a login that got
    /// no session of its own (`su -l` in a shell: pam_systemd keeps the caller's session).
    public var logindScope: LogindScope?
    public var openedAt: Instant
    public var limits: Limits
    /// Latest moment the last input can have happened (see `TerminalInput`); starts at `openedAt`.
    public var lastInput: Instant
    /// Terminal device paths watched for input; several when one login multiplexes shells.
    public var terminals: [String]
    /// What each of `terminals` showed at the last look, the baseline of the next (see `look`); optional so that
    /// state files written before it existed still load.
    public var watched: [WatchedTerminal]?
    /// The owner of the terminal PAM_TTY named when the session opened (see `TerminalOwnership`).
    public var pamTerminalOwner: UInt32?
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
        logindScope: LogindScope? = nil, openedAt: Instant, limits: Limits, terminals: [String] = [],
        origin: SessionOrigin = .pam
    ) {
        self.id = id
        self.facts = facts
        self.leader = leader
        self.sid = sid
        self.xdgSessionID = xdgSessionID
        self.logindScope = logindScope
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

    /// The terminals' baselines (see `watched`).
    public var watchedTerminals: [WatchedTerminal] {
        get { watched ?? [] }
        set { watched = newValue }
    }

    /// Moves every recorded wall-clock instant by `jump` after the wall clock was set, so that idle time keeps
    /// counting as the boot clock saw it. The terminals' stamps stay as the kernel wrote them: a look compares
    /// them with what the kernel shows then, in the kernel's frame, so an unchanged time is never input.
    public mutating func shift(by jump: Duration) {
        openedAt = openedAt + jump
        lastInput = lastInput + jump
        if let held = heldUntil { heldUntil = held + jump }
        if let locked = lockedFor { lockedFor = locked + jump }
        inhibitorList = inhibitorList?.map { Inhibitor(process: $0.process, why: $0.why, since: $0.since + jump) }
        for index in watchedTerminals.indices {
            watchedTerminals[index].lastInput = watchedTerminals[index].lastInput.map { $0 + jump }
        }
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
        let due = self.due
        let discovery = terminalDiscovery.nextAttempt(openedAt: openedAt) ?? nextTerminalSearch(after: now)
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

    /// When a terminal session that has none is searched for one again (see `TerminalDiscovery.nextSearch`); nil
    /// while the first searches are not done, or when it has a terminal or is a desktop.
    func nextTerminalSearch(after now: Instant) -> Instant? {
        guard !facts.isGraphical, terminals.isEmpty, terminalDiscovery == .settled else { return nil }
        return TerminalDiscovery.nextSearch(
            lastInput: lastInput, every: limits.idleTimeout - limits.warnBefore, after: now)
    }

    /// Seconds since the last input, for `status` and the audit `idle=` field.
    public func idle(now: Instant) -> Duration {
        let span = now - lastInput
        return span < .zero ? .zero : span
    }
}
