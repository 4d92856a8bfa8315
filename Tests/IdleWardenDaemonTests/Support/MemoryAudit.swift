import Foundation
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

    func record(_ record: AuditRecord, priority: Int32) {
        lines.append(Line(record: record, priority: priority))
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
