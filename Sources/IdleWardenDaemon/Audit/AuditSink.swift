import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// Where audit lines go: syslog (`AuditLog`) in the daemon, memory in the unit tests.
protocol AuditSink: AnyObject {
    /// How lines are written (`audit_format`); the daemon sets it from the config at start and on reload.
    var format: AuditFormat { get set }
    func record(_ record: AuditRecord, priority: Int32)
}

extension AuditSink {
    func record(_ record: AuditRecord) {
        self.record(record, priority: LOG_INFO)
    }
}

extension AuditLog: AuditSink {}
