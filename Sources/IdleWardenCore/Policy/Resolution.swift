/// The limits for one session and the reasons for them: what the daemon enforces, what `explain` prints, and
/// what the daemon logs about pam.d arguments that had no effect.
public struct Resolution: Equatable, Sendable, CustomStringConvertible {
    public var limits: Limits
    /// What set each key; a key without an entry came from the built-in default.
    public var sources: [PolicyKey: LimitSource]
    /// The 1-based numbers of the rules that matched the session, in order.
    public var matchedRules: [Int]
    /// Module arguments and rule values that were passed over, with why.
    public var ignored: [IgnoredValue]

    public init(limits: Limits, sources: [PolicyKey: LimitSource], matchedRules: [Int], ignored: [IgnoredValue]) {
        self.limits = limits
        self.sources = sources
        self.matchedRules = matchedRules
        self.ignored = ignored
    }

    public func source(of key: PolicyKey) -> LimitSource { sources[key] ?? .builtInDefault }

    /// Every key with its value and source, in a fixed order: the data of `explain`.
    public var settings: [ResolvedSetting] {
        PolicyKey.allCases.map { ResolvedSetting(key: $0, value: value(of: $0), source: source(of: $0)) }
    }

    /// The value of `key` as config text ("10m", "none", "input+output").
    public func value(of key: PolicyKey) -> String {
        switch key {
        case .exempt: return limits.exemption.map { "true (\($0))" } ?? "false"
        case .idleTimeout: return ConfigDuration.format(limits.idleTimeout)
        case .warnBefore: return ConfigDuration.format(limits.warnBefore)
        case .signalInterval: return ConfigDuration.format(limits.grace)
        case .maxSession: return limits.maxSession.map(ConfigDuration.format) ?? "none"
        case .checkNoTTY: return String(limits.checkNoTTY)
        case .allowKeepalive: return String(limits.allowKeepalive)
        case .activity: return limits.activity.rawValue
        case .end: return limits.end.rawValue
        case .graphical: return String(limits.graphical)
        case .allowInhibit: return String(limits.allowInhibit)
        case .maxInhibit: return limits.maxInhibit.map(ConfigDuration.format) ?? "none"
        case .warnMessage: return limits.warnMessage.map { PolicySettings.quoted($0.text) } ?? "built-in"
        case .lockAfter: return limits.lockAfter.map(ConfigDuration.format) ?? "none"
        case .warnAgain: return limits.warnAgain.map(ConfigDuration.format) ?? "none"
        }
    }

    /// `explain`'s text: one line per key, then the matched rules and anything ignored.
    public var description: String {
        var lines = settings.map(\.description)
        lines.append("matched rules: " + (matchedRules.isEmpty ? "none" : matchedRules.map(String.init).joined(separator: ", ")))
        lines += ignored.map { "ignored: \($0)" }
        return lines.joined(separator: "\n")
    }
}
