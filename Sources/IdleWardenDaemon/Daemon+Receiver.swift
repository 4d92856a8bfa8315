import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// The control socket, through its receiver process (see `ControlReceiver`): what it forwards is handled like any
/// datagram; a receiver that stalls is killed and replaced, one that dies is replaced, and each is audited
/// (`event=receiver`).
extension Daemon {
    /// Handles what the receiver forwarded, a bounded number per wake-up, and sends the replies.
    func drainReceiver(_ io: DaemonIO) {
        var handled = 0
        while handled < 512, let frame = io.receiver.nextFrame() {
            handled += 1
            if let reply = receive(frame) { io.control.send(reply.bytes, to: reply.address) }
        }
        reportRefusals()
    }

    /// One frame of the receiver. A datagram that carried descriptors (possible only where the kernel lacks
    /// SO_PASSRIGHTS) is refused whatever it says; the copy of a datagram that a killed receiver had not dequeued
    /// is not acted on twice.
    @discardableResult
    func receive(_ frame: ReceiverFrame) -> (bytes: [UInt8], address: [UInt8])? {
        switch frame {
        case .consumed:
            receiverWatch.consumed()
            return nil
        case .datagram(let received, let carriesDescriptors):
            let (sender, payload) = received.parts
            let pending = ReceiverWatchdog.Pending(
                since: clock.now(), sender: sender, payload: payload, carriesDescriptors: carriesDescriptors)
            if receiverWatch.forwarded(pending) { return nil }
            guard carriesDescriptors, let sender else { return accept(received) }
            guard sender.isRoot || budget.spend(uid: sender.uid, now: clock.now()) else { return nil }
            reject("passed-descriptors", sender: sender)
            return nil
        }
    }

    /// The receiver exited: what it wrote is read, it is reaped, and a new one starts (at once after a kill; after
    /// one that died on its own, at once or after a delay that grows while it keeps dying young).
    func receiverExited(_ io: DaemonIO) {
        let killed: Bool
        if case .killed = receiverWatch.phase { killed = true } else { killed = false }
        drainReceiver(io)
        let pid = io.receiver.pid
        guard let status = io.receiver.reap() else { return }
        io.retireReceiver()
        let now = clock.now()
        if !killed {
            audit.record(AuditRecord("receiver", [
                ("result", "exited"), ("pid", String(pid)), ("status", Self.describeWaitStatus(status)),
            ]), priority: LOG_ERR)
        }
        if receiverWatch.exited(now: now) == .start { startReceiver(io, now: now) }
    }

    /// Acts on the watchdog once its moment has come: kills a stalled receiver, starts a new one.
    func superviseReceiver(_ io: DaemonIO) {
        guard let deadline = receiverWatch.deadline, clock.now() >= deadline else { return }
        // What the receiver wrote while the loop was busy elsewhere counts before it is judged.
        drainReceiver(io)
        let now = clock.now()
        switch receiverWatch.due(now: now, receiverIsRunnable: io.receiver.isRunnable) {
        case .kill(let pending, let waited):
            // Its channel stays open: what it wrote before it died is read when it has exited.
            io.receiver.kill()
            audit.record(AuditRecord("receiver", [
                ("result", "killed"), ("reason", "stalled"), ("pid", String(io.receiver.pid)),
                ("waited_ms", String(waited.milliseconds)),
                ("sender_uid", pending.sender.map { String($0.uid) }),
                ("sender_pid", pending.sender.map { String($0.pid) }),
                ("descriptors", pending.carriesDescriptors ? "passed" : "none"),
            ]), priority: LOG_WARNING)
        case .start:
            // Killed and not gone within the wait (what it writes from now on is lost), or down after dying
            // young: a new one runs.
            io.retireReceiver()
            startReceiver(io, now: now)
        case nil:
            break
        }
    }

    private func startReceiver(_ io: DaemonIO, now: Instant) {
        do {
            try io.startReceiver()
            receiverWatch.started(now: now)
            audit.record(AuditRecord("receiver", [("result", "started"), ("pid", String(io.receiver.pid))]))
        } catch {
            _ = receiverWatch.exited(now: now)
            audit.record(AuditRecord("receiver", [("result", "start-failed"), ("error", "\(error)")]),
                         priority: LOG_ERR)
        }
    }

    /// A wait status as `exit-N` or `signal-N`.
    static func describeWaitStatus(_ status: Int32) -> String {
        let signal = status & 0x7f
        return signal == 0 ? "exit-\((status >> 8) & 0xff)" : "signal-\(signal)"
    }
}

extension ControlSocket.Received {
    /// The sender and the bytes, where the datagram has them.
    var parts: (Sender?, [UInt8]?) {
        switch self {
        case .datagram(let bytes, let sender): return (sender, bytes)
        case .oversized(_, let sender), .empty(let sender): return (sender, nil)
        case .noCredentials: return (nil, nil)
        }
    }
}
