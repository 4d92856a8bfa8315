import IdleWardenCore

/// When to give up on the control receiver and when to start a new one. Pure: the daemon tells it what the
/// receiver said and what time it is, and does what it answers (see Daemon+Receiver).
///
/// A receiver forwards a datagram, then dequeues it and says so. Dequeuing takes microseconds, unless the
/// datagram carries a descriptor whose last close sleeps (a TCP socket with SO_LINGER and unsent data): then
/// the receiver is killed after `patience`, and a new one starts once the old one has exited (or after
/// `exitWait`, should it not die). A receiver that is runnable at that moment is not stuck but waiting for a CPU
/// (a loaded machine, users' processes at a higher priority): it gets more time, up to `longestPatience`. What a
/// killed receiver wrote before it died is still read, so a kill loses no request. A receiver that dies on its
/// own is started again at once, or with a growing delay when it keeps dying young.
struct ReceiverWatchdog {
    /// How long a receiver may take to dequeue a datagram it forwarded. A stalled one costs the control socket
    /// this long per datagram; enforcement never waits for it.
    static let patience: Duration = .milliseconds(250)
    /// How long a receiver that is runnable (not asleep in the kernel) may take before it is killed anyway.
    static let longestPatience: Duration = .seconds(5)
    /// How long a killed receiver may take to exit before a new one starts beside it.
    static let exitWait: Duration = .seconds(1)
    /// A receiver that lived less than this before it died was dying young: the next start is delayed.
    static let youngAge: Duration = .seconds(10)
    static let longestDelay: Duration = .seconds(10)

    /// A datagram the receiver forwarded and has not said it dequeued.
    struct Pending: Equatable {
        var since: Instant
        var sender: Sender?
        var payload: [UInt8]?
        var carriesDescriptors: Bool
        /// When the receiver is looked at next.
        var checkAt: Instant

        init(since: Instant, sender: Sender?, payload: [UInt8]?, carriesDescriptors: Bool) {
            self.since = since
            self.sender = sender
            self.payload = payload
            self.carriesDescriptors = carriesDescriptors
            checkAt = since + ReceiverWatchdog.patience
        }
    }

    enum Phase: Equatable {
        case running(dequeuing: Pending?)
        /// Killed; waiting for it to exit. What it wrote meanwhile is still read, and `dequeuing` follows it.
        case killed(at: Instant, dequeuing: Pending?)
        /// Exited on its own; a new one starts at `restartAt`.
        case down(restartAt: Instant)
    }

    enum Action: Equatable {
        /// Kill the receiver: it has been dequeuing `pending` for `waited`.
        case kill(pending: Pending, waited: Duration)
        /// Start a new receiver.
        case start
    }

    private(set) var phase: Phase = .running(dequeuing: nil)
    private var startedAt: Instant
    private var delay: Duration = .zero
    /// The datagram a killed receiver was dequeuing when it died: if it had not dequeued it yet, the next
    /// receiver forwards it again, and that copy is not acted on twice.
    private var interrupted: Pending?

    init(startedAt: Instant) {
        self.startedAt = startedAt
    }

    /// The next moment `due` has something to do.
    var deadline: Instant? {
        switch phase {
        case .running(let pending): return pending?.checkAt
        case .killed(let at, _): return at + Self.exitWait
        case .down(let restartAt): return restartAt
        }
    }

    /// The receiver forwarded a datagram. True when it is the copy of the one a killed receiver was dequeuing:
    /// then it is watched, but not acted on again.
    mutating func forwarded(_ pending: Pending) -> Bool {
        switch phase {
        case .running:
            phase = .running(dequeuing: pending)
        case .killed(let at, _):
            phase = .killed(at: at, dequeuing: pending)
            return false
        case .down:
            return false
        }
        defer { interrupted = nil }
        guard let interrupted else { return false }
        return interrupted.sender == pending.sender && interrupted.payload == pending.payload
            && interrupted.carriesDescriptors == pending.carriesDescriptors
    }

    /// The receiver dequeued what it forwarded last.
    mutating func consumed() {
        switch phase {
        case .running: phase = .running(dequeuing: nil)
        case .killed(let at, _): phase = .killed(at: at, dequeuing: nil)
        case .down: break
        }
    }

    /// What is due at `now`, if anything; `receiverIsRunnable`: the receiver is running or waiting for a CPU, not
    /// asleep in the kernel. After `.kill`, the daemon kills the receiver; after `.start`, it starts one and calls
    /// `started`.
    mutating func due(now: Instant, receiverIsRunnable: Bool) -> Action? {
        switch phase {
        case .running(var pending?) where now >= pending.checkAt:
            if receiverIsRunnable && now - pending.since < Self.longestPatience {
                pending.checkAt = now + Self.patience
                phase = .running(dequeuing: pending)
                return nil
            }
            phase = .killed(at: now, dequeuing: pending)
            return .kill(pending: pending, waited: now - pending.since)
        case .killed(let at, let pending) where now >= at + Self.exitWait:
            interrupted = pending
            return .start
        case .down(let restartAt) where now >= restartAt:
            return .start
        default:
            return nil
        }
    }

    /// The receiver process exited (and what it wrote has been read). Returns `.start` when a new one is to start
    /// now.
    mutating func exited(now: Instant) -> Action? {
        if case .killed(_, let pending) = phase {
            interrupted = pending
            return .start
        }
        interrupted = nil
        if now - startedAt < Self.youngAge {
            delay = delay == .zero ? .milliseconds(100) : min(delay * 2, Self.longestDelay)
        } else {
            delay = .zero
        }
        phase = .down(restartAt: now + delay)
        return delay == .zero ? .start : nil
    }

    /// A new receiver runs.
    mutating func started(now: Instant) {
        startedAt = now
        phase = .running(dequeuing: nil)
    }

    /// The wall clock was set by `jump`: the recorded moments move with it (see `Daemon.followClock`).
    mutating func shift(by jump: Duration) {
        startedAt = startedAt + jump
        switch phase {
        case .running(let pending): phase = .running(dequeuing: pending?.shifted(by: jump))
        case .killed(let at, let pending): phase = .killed(at: at + jump, dequeuing: pending?.shifted(by: jump))
        case .down(let restartAt): phase = .down(restartAt: restartAt + jump)
        }
    }
}

extension ReceiverWatchdog.Pending {
    func shifted(by jump: Duration) -> Self {
        var moved = self
        moved.since = since + jump
        moved.checkAt = checkAt + jump
        return moved
    }
}
