/// Something in a valid config that is probably not what the admin meant. Warnings never stop a config from being
/// used: an unknown group may be created later by LDAP, a short timeout is legitimate in a demo. Same
/// `FILE:LINE:COLUMN: KEY: MESSAGE` shape as `ConfigError`, so that tools and people read both alike.
public enum ConfigWarning: Equatable, Sendable, CustomStringConvertible {
    case shortTimeoutsAllowed(SourceLocation)
    /// A [[rule]] that sets no limit: matching it changes nothing.
    case ruleSetsNothing(SourceLocation, rule: Int)
    case unknownUser(SourceLocation, key: String, name: String)
    case unknownGroup(SourceLocation, key: String, name: String)
    /// systemd-logind's own idle logout is on (in logind.conf, not in idlewarden's file).
    case logindIdleStop(LogindIdleStop)
    /// metrics_file does not end in ".prom", the only files node_exporter's textfile collector reads.
    case metricsFileName(SourceLocation)

    public var location: SourceLocation {
        switch self {
        case .shortTimeoutsAllowed(let at), .ruleSetsNothing(let at, _), .unknownUser(let at, _, _),
            .unknownGroup(let at, _, _), .metricsFileName(let at):
            return at
        case .logindIdleStop(let setting): return setting.location
        }
    }

    public var key: String {
        switch self {
        case .shortTimeoutsAllowed: return "allow_short_timeouts"
        case .ruleSetsNothing: return "rule"
        case .unknownUser(_, let key, _), .unknownGroup(_, let key, _): return key
        case .logindIdleStop: return "StopIdleSessionSec"
        case .metricsFileName: return "metrics_file"
        }
    }

    public var message: String {
        switch self {
        case .shortTimeoutsAllowed:
            return "timeouts below 60s are allowed; meant for tests and demos, not production"
        case .ruleSetsNothing(_, let rule):
            return "rule \(rule) sets no limit, so matching it changes nothing"
        case .unknownUser(_, _, let name):
            return "no user \"\(name)\" on this system; check the spelling"
        case .unknownGroup(_, _, let name):
            return "no group \"\(name)\" on this system; check the spelling"
        case .logindIdleStop(let setting):
            return "systemd-logind ends idle sessions itself (StopIdleSessionSec=\(setting.value)), so two enforcers "
                + "act on the same sessions, and logind's end comes without a warning, ignores idlewarden's "
                + "exemptions and rules, and can come a few seconds before its limit; set StopIdleSessionSec=infinity "
                + "(or remove it) and leave idle logout to idlewarden, or stop idlewarden (see idlewarden(8))"
        case .metricsFileName:
            return "node_exporter's textfile collector reads only files whose name ends in .prom"
        }
    }

    public var description: String { "\(location): \(key): \(message)" }
}
