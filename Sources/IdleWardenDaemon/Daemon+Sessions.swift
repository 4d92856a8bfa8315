import IdleWardenCore

/// How a session enters the registry (`track`) and leaves it (`end`, `forget`), with the watch of its leader.
extension Daemon {
    /// Registers a session that is known to be alive, with a watch on its leader, and sets its first deadline.
    func track(_ session: Session, now: Instant) {
        registry.insert(SessionRegistry.Entry(session: session, leaderHandle: watch(session.leader)))
        markStateChanged(session.id)
        reschedule(session.id, now: now)
    }

    /// The login closed the session (`pam-close`) or its leader exited (`leader-exit`): audited and removed. While
    /// its processes are still being ended, the close waits for them (see `SessionPhase.ending`).
    func end(_ id: String, reason: String, now: Instant) {
        guard let entry = registry[id] else { return }
        guard case .ending(let termination, _) = entry.phase else {
            finish(id, reason: reason, now: now)
            return
        }
        registry.update(id) { $0.phase = .ending(termination, close: reason) }
        // An exited leader's handle stays readable: it must leave the event loop now.
        unwatchLeader(id)
        advanceEnding(id, now: now)
    }

    /// Audits the close and removes the session.
    func finish(_ id: String, reason: String, now: Instant) {
        guard let session = registry[id]?.session else { return }
        audit.record(AuditRecord("close", sessionFields(session) + [
            ("idle", String(session.idle(now: now).wholeSeconds)), ("reason", reason),
        ]))
        forget(id)
    }

    /// Removes a session from every index of the registry and lets go of what it held: the watch of its leader
    /// and of its inhibitors, and its desktop notice (an end in progress closes its handles with it).
    func forget(_ id: String) {
        guard var entry = registry.remove(id) else { return }
        markStateChanged(id)
        if let handle = entry.leaderHandle { release(handle) }
        for handle in entry.inhibitorHandles.keys { release(handle) }
        displays.cancelNotice(&entry.display)
        if let locker = entry.display.locker { effects.locker.release(locker) }
    }

    /// A process handle reported readable: a leader's or an inhibitor's. The report may come late, for a
    /// descriptor number that was closed and reused since: only a handle whose process has exited now counts.
    func processExited(handle: Int32) {
        guard effects.handles.hasExited(handle) else { return }
        if let id = registry.id(ofHandle: handle) {
            end(id, reason: "leader-exit", now: clock.now())
        } else if registry.inhibitor(ofHandle: handle) != nil {
            inhibitorExited(handle: handle, now: clock.now())
        }
    }

    /// A handle on `process` in the event loop, readable once it exits; nil when it is gone or its pid names
    /// another process now.
    func watch(_ process: ProcessIdentity) -> Int32? {
        guard case .success(let handle) = effects.handles.open(process.pid) else { return nil }
        // The handle was opened after the start time was read; read it again so that both name one process.
        guard effects.processes.stat(process.pid)?.startTime == process.startTime else {
            effects.handles.close(handle)
            return nil
        }
        if let io {
            do {
                try io.loop.watchProcess(handle)
            } catch {
                effects.handles.close(handle)
                return nil
            }
        }
        return handle
    }

    private func unwatchLeader(_ id: String) {
        if let handle = registry.takeLeaderHandle(id) { release(handle) }
    }

    func release(_ handle: Int32) {
        io?.loop.unwatchProcess(handle)
        effects.handles.close(handle)
    }
}
