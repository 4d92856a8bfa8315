import IdleWardenWire

/// Policy overrides written on a pam.d line (`session optional pam_idlewarden.so idle_timeout=30m exempt`), as the
/// daemon received them in `SessionFacts.moduleArguments`.
///
/// A bad argument is ignored and reported, never fatal: it is read at every login, and a typo in pam.d must not
/// lock anyone out or stop the daemon. Each one is checked against the same bounds as the config; whether
/// warn_before is shorter than idle_timeout is decided later, against the idle_timeout actually resolved.
struct ModuleOverrides {
    private(set) var settings = PolicySettings()
    /// The argument that set each key, as written, for `LimitSource.moduleArgument`.
    private var arguments: [PolicyKey: String] = [:]
    private(set) var ignored: [IgnoredValue] = []

    init(arguments: [String], allowShortTimeouts: Bool) {
        for argument in arguments {
            let parts = argument.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            let value = parts.count == 2 ? String(parts[1]) : nil
            switch ModuleArgument(name: name.utf8) {
            case .debug, .requireDaemon, .socket:
                continue // the module's own, not policy
            case .exempt:
                guard value == nil else {
                    ignore(argument, name, "exempt takes no value; write just exempt")
                    continue
                }
                set(.exempt, argument) { $0.exempt = true }
            case .idleTimeout:
                guard let duration = duration(argument, name, value) else { continue }
                if let problem = LimitBounds.timeoutProblem(duration, allowShort: allowShortTimeouts) {
                    ignore(argument, name, problem)
                } else {
                    set(.idleTimeout, argument) { $0.idleTimeout = duration }
                }
            case .maxSession:
                guard let duration = duration(argument, name, value) else { continue }
                if let problem = LimitBounds.timeoutProblem(duration, allowShort: allowShortTimeouts) {
                    ignore(argument, name, problem)
                } else {
                    set(.maxSession, argument) { $0.maxSession = duration }
                }
            case .signalInterval, .grace:
                guard let duration = duration(argument, name, value) else { continue }
                if let problem = LimitBounds.signalIntervalProblem(duration) {
                    ignore(argument, name, problem)
                } else {
                    set(.signalInterval, argument) { $0.signalInterval = duration }
                }
            case .warnBefore:
                guard let duration = duration(argument, name, value) else { continue }
                set(.warnBefore, argument) { $0.warnBefore = duration }
            case nil:
                ignore(argument, name, "not a pam.d policy argument; use \(Self.policyArguments) "
                    + "(other keys belong in idlewarden.conf)")
            }
        }
    }

    /// "idle_timeout=, warn_before=, max_session=, signal_interval= or exempt", from the list the module forwards
    /// (old names left out).
    static let policyArguments: String = {
        let names = ModuleArgument.allCases.filter { $0.isPolicyOverride && $0 != .grace }.map {
            "\($0.name)" + ($0.takesValue ? "=" : "")
        }
        return names.dropLast().joined(separator: ", ") + " or " + (names.last ?? "")
    }()

    func source(of key: PolicyKey) -> LimitSource { .moduleArgument(arguments[key] ?? key.rawValue) }

    private mutating func duration(_ argument: String, _ name: String, _ value: String?) -> Duration? {
        guard let value else {
            ignore(argument, name, "needs a value, e.g. \(name)=30m")
            return nil
        }
        do {
            return try ConfigDuration.parse(value)
        } catch {
            ignore(argument, name, error.description)
            return nil
        }
    }

    /// Sets a key; a later argument for the same key wins, as with other PAM modules, and the earlier is reported.
    private mutating func set(_ key: PolicyKey, _ argument: String, _ apply: (inout PolicySettings) -> Void) {
        if let earlier = arguments[key] {
            ignore(earlier, key.rawValue, "overridden by the later \(argument) on the same line")
        }
        apply(&settings)
        arguments[key] = argument
    }

    private mutating func ignore(_ argument: String, _ key: String, _ reason: String) {
        ignored.append(IgnoredValue(source: .moduleArgument(argument), key: key, reason: reason))
    }
}
