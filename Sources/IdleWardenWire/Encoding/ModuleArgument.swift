/// The words a pam.d line may pass to pam_idlewarden.so. The module reads its own options and sends the policy
/// overrides to the daemon verbatim (`policyOverride` fields); the daemon validates and applies them. Both read
/// this one list, so a key the module forwards is always one the daemon knows.
public enum ModuleArgument: CaseIterable, Sendable {
    case debug
    case requireDaemon
    case socket
    case idleTimeout
    case warnBefore
    case maxSession
    case signalInterval
    /// The old name of `signalInterval`, still accepted.
    case grace
    case exempt

    /// As written in pam.d: `name` alone, or `name=VALUE` when it `takesValue`.
    public var name: StaticString {
        switch self {
        case .debug: return "debug"
        case .requireDaemon: return "require_daemon"
        case .socket: return "socket"
        case .idleTimeout: return "idle_timeout"
        case .warnBefore: return "warn_before"
        case .maxSession: return "max_session"
        case .signalInterval: return "signal_interval"
        case .grace: return "grace"
        case .exempt: return "exempt"
        }
    }

    public var takesValue: Bool {
        switch self {
        case .debug, .requireDaemon, .exempt: return false
        case .socket, .idleTimeout, .warnBefore, .maxSession, .signalInterval, .grace: return true
        }
    }

    /// Sent on to the daemon rather than read by the module.
    public var isPolicyOverride: Bool {
        switch self {
        case .debug, .requireDaemon, .socket: return false
        case .idleTimeout, .warnBefore, .maxSession, .signalInterval, .grace, .exempt: return true
        }
    }

    /// The argument called `name` (the part before any `=`), compared byte for byte.
    public init?<Name: Collection<UInt8>>(name: Name) {
        for argument in Self.allCases {
            let known = argument.name
            if name.elementsEqual(UnsafeBufferPointer(start: known.utf8Start, count: known.utf8CodeUnitCount)) {
                self = argument
                return
            }
        }
        return nil
    }
}
