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
        if var warning {
            warning.issuedAt = warning.issuedAt + jump
            warning.deadline = warning.deadline + jump
            self.warning = warning
        }
    }

    /// Whether the idle timeout applies: there is a terminal to watch, or the config asks to check
    /// sessions without one (which then count as idle from their last keepalive or from open).
    public var isIdleChecked: Bool {
        if facts.isGraphical { return limits.graphical }
        return !terminals.isEmpty || limits.checkNoTTY || terminalDiscovery != .settled
    }

    public func verdict(now: Instant) -> Verdict {
        if limits.exemption != nil { return .exempt }
        let due = self.due
        let discovery = terminalDiscovery.nextAttempt(openedAt: openedAt)
        guard let due else {
            if let discovery { return .sleep(until: discovery) }
            return .unchecked
        }
        if let warning {
            let end = max(due.moment, warning.issuedAt + limits.warnBefore)
            return now >= end ? .terminate(reason: due.reason) : .sleep(until: min(end, discovery ?? end))
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
