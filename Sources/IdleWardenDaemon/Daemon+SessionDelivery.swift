import IdleWardenCore
import IdleWardenWire

#if canImport(Glibc)
import Glibc
#endif

/// How the PAM module's records arrive: through the session socket from live logins (`SessionListener`), and
/// through the spool for those it could not deliver (`SessionSpool`). Both end in `handle`, `open` and `close`.
extension Daemon {
    /// Reads what the session listener has; each record goes where a datagram would, with the same checks (a
    /// session event only from a sender the kernel attests as uid 0, its pid the one in the record).
    func acceptSessions(from listener: SessionListener) {
        var silent: [Sender] = []
        defer {
            // One line per wake-up, however many: only root can connect.
            if let last = silent.last {
                reject("no-record", sender: last, detail: "connections=\(silent.count)")
            }
        }
        for received in listener.receive() {
            switch received {
            case .record(let bytes, let sender):
                handle(bytes, from: sender)
            case .oversized(let size, let sender):
                reject(WireError.oversized(size: size, limit: Datagram.requestLimit).reason, sender: sender,
                       detail: "size=\(size)")
            case .noCredentials:
                audit.record(AuditRecord("reject", [("reason", "no-credentials")]), priority: LOG_WARNING)
            case .silent(let peer):
                silent.append(peer)
            }
        }
    }

    /// At most this many spooled records are read per wake-up; the loop comes back at once for the rest.
    static let spoolBatch = 512

    /// Reads the spool, a batch at a time (see `applySpooled`). The state is saved before the files are removed,
    /// so a crash in between replays them rather than losing them.
    func replaySpool(now: Instant) {
        guard let spool = io?.spool else { return }
        spool.drainNotifications()
        let (entries, more) = spool.pending(limit: Self.spoolBatch, now: now)
        spoolBacklog = more
        guard !entries.isEmpty else { return }
        applySpooled(entries, pidNamespace: spool.pidNamespace)
        saveStateIfNeeded(now: now, force: true)
        for entry in entries { spool.remove(entry.name) }
    }

    /// Applies one batch of spooled records, oldest first, as if they had come through the session socket. A
    /// close whose open is in the same batch cancels it (the login began and ended while the daemon could not hear
    /// it): neither is applied, one line records the login. What is not a record is audited. A record written in
    /// another PID namespace than `pidNamespace` (the daemon's) is refused, as a datagram from one is.
    func applySpooled(_ entries: [SessionSpool.Entry], pidNamespace: UInt64) {
        var records: [(record: SessionSpool.Record, event: SessionEvent, leader: ProcessIdentity)] = []
        for entry in entries {
            switch entry {
            case .refused(let name, let reason):
                audit.record(AuditRecord("spool-reject", [("file", name), ("reason", reason)]),
                             priority: LOG_WARNING)
            case .record(let record):
                switch Self.spooledEvent(record.bytes) {
                case .success(let event) where event.pidNamespace != pidNamespace:
                    reject("foreign-pid-namespace", sender: Sender(pid: event.pid, uid: 0, gid: 0, address: []),
                           detail: "file=\(record.name) claimed-user=\(event.user)")
                case .success(let event):
                    records.append((record, event, ProcessIdentity(pid: event.pid, startTime: event.startTime ?? 0)))
                case .failure(let error):
                    audit.record(AuditRecord("spool-reject", [("file", record.name), ("reason", error.reason)]),
                                 priority: LOG_WARNING)
                }
            }
        }
        var cancelled = Set<Int>()
        var openAt: [ProcessIdentity: Int] = [:]
        for (index, item) in records.enumerated() {
            if item.event.phase == .open {
                openAt[item.leader] = index
            } else if let open = openAt.removeValue(forKey: item.leader) {
                cancelled.formUnion([open, index])
                let event = records[open].event
                audit.record(AuditRecord("spool-cancel", [
                    ("user", event.user), ("service", event.service), ("tty", event.tty), ("rhost", event.rhost),
                    ("pid", String(event.pid)), ("opened", String(records[open].record.writtenAt.seconds)),
                    ("closed", String(item.record.writtenAt.seconds)), ("reason", "closed-before-read"),
                ]))
            }
        }
        for (index, item) in records.enumerated() where !cancelled.contains(index) {
            // Only root can write to the spool: its records stand for what the kernel attests on the socket.
            let sender = Sender(pid: item.event.pid, uid: 0, gid: 0, address: [])
            switch item.event.phase {
            case .open: open(item.event, sender: sender, spooledAt: item.record.writtenAt)
            case .close: close(item.event)
            }
        }
    }

    /// The session event of a spooled record; it must name its process by start time, since the pid may have
    /// been reused by the time it is read, and by PID namespace, in which alone the pid means that process.
    static func spooledEvent(_ bytes: [UInt8]) -> Result<SessionEvent, SpoolRecordError> {
        let message: Message
        do {
            message = try Message.decode(bytes)
        } catch {
            return .failure(SpoolRecordError(reason: error.reason))
        }
        guard case .session(let event) = message else { return .failure(SpoolRecordError(reason: "not-a-session")) }
        guard event.startTime != nil else { return .failure(SpoolRecordError(reason: "no-start-time")) }
        guard event.pidNamespace != nil else { return .failure(SpoolRecordError(reason: "no-pid-namespace")) }
        return .success(event)
    }
}

/// Why a spooled file is not a record to apply (audited as `reason=`).
struct SpoolRecordError: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
