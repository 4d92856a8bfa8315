import CIdleWarden
import IdleWardenCore
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Writes every decision to syslog (facility authpriv, ident `idlewarden`), where admins audit logins
/// (auth.log, `journalctl -t idlewarden`), and mirrors it to the daemon's own log.
public final class AuditLog: @unchecked Sendable {
    private let logger: Logger
    private let useSyslog: Bool
    /// `audit_format`: key=value until the config says otherwise (start-up failures are written before any
    /// config is read).
    public var format: AuditFormat = .kv
    /// openlog keeps the pointer it is given, so the ident must outlive every syslog call.
    nonisolated(unsafe) private static let ident = strdup("idlewarden")

    public init(logger: Logger, useSyslog: Bool = true) {
        self.logger = logger
        self.useSyslog = useSyslog
        if useSyslog { openlog(Self.ident, LOG_PID | LOG_NDELAY, LOG_AUTHPRIV) }
    }

    public func record(_ record: AuditRecord, priority: Int32 = LOG_INFO) {
        let line = record.rendered(format)
        if useSyslog { iw_syslog(priority | LOG_AUTHPRIV, line) }
        switch priority {
        case LOG_ERR, LOG_CRIT, LOG_ALERT, LOG_EMERG: logger.error("\(line)")
        case LOG_WARNING: logger.warning("\(line)")
        default: logger.info("\(line)")
        }
    }
}
