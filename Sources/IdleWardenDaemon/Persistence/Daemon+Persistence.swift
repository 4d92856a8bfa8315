import CIdleWarden
import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// Saving state: what a restart could not rebuild from the system is written to the state directory, paced so
/// that a burst of changes costs a few writes.
extension Daemon {
    /// Marks a change to one session that a restart could not rebuild: opened or closed, a warning given or
    /// taken back, an end begun, a keepalive. Input seen on a terminal is not one: its atime is still there after
    /// a restart.
    func markStateChanged(_ id: String) {
        stateChanges.insert(id)
    }

    /// Marks a change to every session (a clock jump, a reload, start-up): the next save is a snapshot.
    func markAllStateChanged() {
        stateChanges.insertAll()
    }

    /// Saves changed state, paced by what a save costs (at least 100 ms apart, and at most a sixth of the time
    /// spent saving) so that a burst of logins costs a few writes, not one each, while a small state is on disk
    /// a fraction of a second after a login;
    /// a failed write (full disk, read-only fs) is audited once and retried every few seconds, while
    /// enforcement goes on from memory. `force` (at stop) writes whatever the pacing says.
    /// A save appends the changed sessions to the journal (see `StateStore`); a snapshot, the sessions streamed
    /// from the table in id order without a copy of it, when every session changed or the journal is due
    /// for compaction.
    func saveStateIfNeeded(now: Instant, force: Bool = false) {
        guard stateIsDirty else { return }
        if !force, let notBefore = stateSaveNotBefore, now < notBefore { return }
        let started = clock.sample().boot
        let snapshot = stateChanges.all || store.needsSnapshot
        do {
            if snapshot {
                try store.save(savedAt: clock.sample(), bootID: bootID, nextSessionNumber: nextSessionNumber,
                               sessions: registry.orderedIDs.lazy.compactMap { self.registry[$0]?.session })
            } else {
                let ids = stateChanges.ids.sorted(by: SessionRegistry.numberedBefore)
                try store.append(savedAt: clock.sample(), bootID: bootID, nextSessionNumber: nextSessionNumber,
                                 put: ids.compactMap { registry[$0]?.session },
                                 remove: ids.filter { registry[$0] == nil })
            }
            let took = Duration.milliseconds(clock.sample().boot - started)
            if stateSaveFailing {
                audit.record(AuditRecord("state-saved", [("file", store.path), ("result", "recovered")]))
            }
            stateChanges = StateChanges()
            stateSaveFailing = false
            stateSaveNotBefore = now + max(.milliseconds(100), took * 5)
        } catch {
            if !stateSaveFailing {
                audit.record(AuditRecord("state-error", [("file", snapshot ? store.path : store.journalPath),
                                                         ("error", "\(error)"), ("result", "retrying")]),
                             priority: LOG_ERR)
            }
            stateSaveFailing = true
            stateSaveNotBefore = now + .seconds(5)
        }
        // A save follows each burst of changes (logins, ends with their /proc listings): the moment to give the
        // burst's freed memory back, which glibc would otherwise keep as RSS (≈ 0.3 ms with a 12 MB heap).
        malloc_trim(0)
    }
}
