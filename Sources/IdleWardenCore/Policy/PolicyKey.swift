/// The per-session settings that `explain` reports, named as in the config file.
public enum PolicyKey: String, CaseIterable, Equatable, Hashable, Sendable {
    case exempt
    case idleTimeout = "idle_timeout"
    case lockAfter = "lock_after"
    case warnBefore = "warn_before"
    case warnAgain = "warn_again"
    case warnMessage = "warn_message"
    /// Time between SIGHUP, SIGTERM and SIGKILL (old name: grace).
    case signalInterval = "signal_interval"
    case maxSession = "max_session"
    case checkNoTTY = "check_no_tty"
    case allowKeepalive = "allow_keepalive"
    case activity
    case end
    case graphical
    case allowInhibit = "allow_inhibit"
    case maxInhibit = "max_inhibit"
}
