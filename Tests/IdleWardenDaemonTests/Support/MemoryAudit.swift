import Foundation
import IdleWardenCore
@testable import IdleWardenDaemon

/// An audit sink that keeps every line, for the tests to read.
final class MemoryAudit: AuditSink {
    struct Line {
        var record: AuditRecord
        var priority: Int32

        var event: String { record.event }
        subscript(key: String) -> String? { record.fields.last { $0.key == key }?.value }
    }

    private(set) var lines: [Line] = []
    /// As the daemon set it (audit_format); the lines are kept as records, `rendered` gives them in it.
    var format: AuditFormat = .kv

    /// Every line as the daemon's sink would write it, in the format in force when it was recorded.
    private(set) var rendered: [String] = []

    func record(_ record: AuditRecord, priority: Int32) {
        lines.append(Line(record: record, priority: priority))
        rendered.append(record.rendered(format))
    }

    /// The lines of `event`, optionally only those whose fields include `fields`.
    func lines(_ event: String, _ fields: [String: String] = [:]) -> [Line] {
        lines.filter { line in line.event == event && fields.allSatisfy { line[$0.key] == $0.value } }
    }

    func count(_ event: String, _ fields: [String: String] = [:]) -> Int { lines(event, fields).count }

    /// The events about one session, in order ("open", "warn", ...).
    func trail(of session: String) -> [String] {
        lines.filter { $0["session"] == session }.map(\.event)
    }

    /// Everything logged so far, one line each, for failure messages.
    var text: String { lines.map(\.record.description).joined(separator: "\n") }
}
