import IdleWardenCore

/// Counts what the audit trail records, on its way to the real sink: the counters of `idlewarden metrics`. Every
/// line counts under its event name, so an event added later is counted without a change here; a few events are
/// also counted by the field that says why or how (`CountedField`).
final class AuditCounter: AuditSink {
    private let sink: any AuditSink
    /// Lines written since the daemon started, by event.
    private(set) var events: [String: UInt64] = [:]
    /// For each of `CountedField.all` (by metric name): the count by label value.
    private(set) var fields: [String: [String: UInt64]] = [:]
    /// Set by every line (every change the daemon makes is audited); cleared once the metrics file has it.
    var changed = true

    init(sink: any AuditSink) {
        self.sink = sink
    }

    var format: AuditFormat {
        get { sink.format }
        set { sink.format = newValue }
    }

    func record(_ record: AuditRecord, priority: Int32) {
        sink.record(record, priority: priority)
        events[record.event, default: 0] += 1
        for field in CountedField.all {
            guard let (label, count) = field.count(record) else { continue }
            fields[field.metric, default: [:]][label, default: 0] += count
        }
        changed = true
    }
}

/// An audit event counted by one of its fields, as its own metric family.
struct CountedField: Sendable {
    let metric: String
    let help: String
    let label: String
    /// Label values shown at 0 before any line has them, so that a dashboard has a series from the start.
    let known: [String]
    /// The label value and the amount a line adds, nil for a line not counted here.
    let count: @Sendable (AuditRecord) -> (String, UInt64)?

    static let all: [CountedField] = [
        CountedField(
            metric: "idlewarden_session_ends_total", help: "Sessions idlewarden ended (event=terminate), by reason.",
            label: "reason", known: [EndReason.idle.rawValue, EndReason.maxSession.rawValue],
            count: { $0.event == "terminate" ? ($0["reason"] ?? "unknown", 1) : nil }),
        CountedField(
            metric: "idlewarden_session_closes_total",
            help: "Sessions that left the daemon (event=close), by reason: pam-close (logout), leader-exit, ...",
            label: "reason", known: ["pam-close", "leader-exit"],
            count: { $0.event == "close" ? ($0["reason"] ?? "unknown", 1) : nil }),
        CountedField(
            metric: "idlewarden_sessions_opened_total",
            help: "Sessions the daemon began to track: reported by the PAM module (pam), read from the module's "
                + "spool after the daemon could not take them at once (spool), or found at start without any "
                + "record (adopted).",
            label: "source", known: ["pam", "spool", "adopted"],
            count: { record in
                switch record.event {
                case "open": return (record["source"] ?? "pam", 1)
                case "adopt": return ("adopted", 1)
                default: return nil
                }
            }),
        CountedField(
            metric: "idlewarden_rejects_total",
            help: "Datagrams and requests the daemon refused (event=reject), by reason; over the rate limit, "
                + "each dropped request counts.",
            label: "reason", known: ["not-root", "rate-limited"],
            count: { record in
                guard record.event == "reject" else { return nil }
                let reason = record["reason"] ?? "unknown"
                if reason == "rate-limited", let dropped = record["dropped"].flatMap(UInt64.init) {
                    return (reason, dropped)
                }
                return (reason, 1)
            }),
    ]
}

extension AuditRecord {
    /// The value of the field `key` (the last one, as a reader of the line would take it).
    subscript(key: String) -> String? { fields.last { $0.key == key }?.value }
}
