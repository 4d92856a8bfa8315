import CIdleWarden
import IdleWardenCore
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Writes every decision to syslog (facility authpriv, ident `idlewarden`), where admins audit logins
/// (auth.log, `journalctl -t idlewarden`), and mirrors it to the daemon's own log (stderr) unless that is the
/// journal already: under systemd each line reaches the journal once, through syslog.
public final class AuditLog: @unchecked Sendable {
    private let logger: Logger
    private let useSyslog: Bool
    private let mirror: Bool
    /// `audit_format`: key=value until the config says otherwise (start-up failures are written before any
    /// config is read).
    public var format: AuditFormat = .kv
    /// openlog keeps the pointer it is given, so the ident must outlive every syslog call.
    nonisolated(unsafe) private static let ident = strdup("idlewarden")

    /// - Parameter mirror: also write each line to `logger` (the daemon's stderr: /var/log/idlewarden.log
    ///   under the init script, the terminal when run by hand).
    public init(logger: Logger, useSyslog: Bool = true, mirror: Bool = true) {
        self.logger = logger
        self.useSyslog = useSyslog
        self.mirror = mirror
        if useSyslog { openlog(Self.ident, LOG_PID | LOG_NDELAY, LOG_AUTHPRIV) }
    }

    public func record(_ record: AuditRecord, priority: Int32 = LOG_INFO) {
        let line = record.rendered(format)
        if useSyslog { iw_syslog(priority | LOG_AUTHPRIV, line) }
        guard mirror else { return }
        switch priority {
        case LOG_ERR, LOG_CRIT, LOG_ALERT, LOG_EMERG: logger.error("\(line)")
        case LOG_WARNING: logger.warning("\(line)")
        default: logger.info("\(line)")
        }
    }
}
