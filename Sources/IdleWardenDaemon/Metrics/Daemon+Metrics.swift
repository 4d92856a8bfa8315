import IdleWardenClient
import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's metrics: what `idlewarden metrics` prints and what the daemon writes to `metrics_file`. Gauges
/// are counted from the registry when asked; counters come from the audit trail (`AuditCounter`), since every
/// decision is audited.
extension Daemon {
    /// The metrics file is written at most this often, and only after something changed.
    static let metricsInterval: Duration = .seconds(15)

    /// Bookkeeping of the metrics file.
    struct MetricsExport {
        var writtenAt: Instant?
        var failing = false
    }

    /// Events shown at 0 before the first line of each, so that an alert on them has a series to watch.
    static let eventsShownFromStart = ["open", "close", "warn", "terminate", "reject", "adopt", "forged-input",
                                       "config-error", "state-error"]

    func metricsText() -> String {
        var byState = Dictionary(uniqueKeysWithValues: StatusEntry.states.map { ($0, 0) })
        let now = clock.now()
        for session in registry.sessions { byState[StatusEntry.state(of: session, now: now), default: 0] += 1 }
        var families = [
            MetricFamily(
                name: "idlewarden_sessions",
                help: "Sessions the daemon tracks now, by state as idlewarden status shows it (exempt sessions are "
                    + "tracked, never ended).",
                kind: .gauge,
                samples: byState.sorted { $0.key < $1.key }.map { ([("state", $0.key)], Double($0.value)) }),
        ]
        for field in CountedField.all {
            var counts = Dictionary(uniqueKeysWithValues: field.known.map { ($0, UInt64(0)) })
            counts.merge(counter.fields[field.metric] ?? [:]) { _, counted in counted }
            families.append(MetricFamily(
                name: field.metric, help: field.help, kind: .counter,
                samples: counts.sorted { $0.key < $1.key }.map { ([(field.label, $0.key)], Double($0.value)) }))
        }
        var events = Dictionary(uniqueKeysWithValues: Self.eventsShownFromStart.map { ($0, UInt64(0)) })
        events.merge(counter.events) { _, counted in counted }
        families.append(MetricFamily(
            name: "idlewarden_audit_events_total",
            help: "Audit lines written since the daemon started, by event (see the AUDIT LOG section of idlewarden(8)).",
            kind: .counter, samples: events.sorted { $0.key < $1.key }.map { ([("event", $0.key)], Double($0.value)) }))
        families.append(MetricFamily(
            name: "idlewarden_start_time_seconds", help: "When the daemon started, in seconds since the epoch.",
            kind: .gauge, samples: [([], Double(startedAt.milliseconds) / 1000)]))
        return MetricFamily.exposition(families)
    }

    /// When the metrics file is to be written next: nil when there is none or nothing changed.
    func metricsWriteDue() -> Instant? {
        guard config.metricsFile != nil, counter.changed else { return nil }
        return metricsExport.writtenAt.map { $0 + Self.metricsInterval } ?? startedAt
    }

    /// Writes the metrics file when it is due. A failure (no such directory, read-only) is audited once and tried
    /// again an interval later.
    func writeMetricsIfNeeded(now: Instant) {
        guard let path = config.metricsFile, let due = metricsWriteDue(), now >= due else { return }
        counter.changed = false
        metricsExport.writtenAt = now
        do {
            try MetricsFile.write(metricsText(), to: path)
            if metricsExport.failing {
                metricsExport.failing = false
                audit.record(AuditRecord("metrics-file", [("file", path), ("result", "written-again")]))
            }
        } catch {
            counter.changed = true
            guard !metricsExport.failing else { return }
            metricsExport.failing = true
            audit.record(AuditRecord("metrics-file", [("file", path), ("error", "\(error)"), ("result", "retrying")]),
                         priority: LOG_ERR)
        }
    }

    /// At stop: the numbers describe a daemon that is gone, so the file goes too (a scrape then shows no
    /// idlewarden metrics rather than stale ones).
    func removeMetricsFile() {
        if let path = config.metricsFile { MetricsFile.remove(path) }
    }
}
