/// A validated idlewarden.conf: top-level defaults, exclusions and ordered rules. Only `ConfigParser` makes one
/// from text, after every bound has been checked, so the daemon can apply any `Config` it holds without checking
/// again; a missing file gives `Config.builtIn`.
public struct Config: Equatable, Sendable {
    public static let defaultPath = "/etc/idlewarden/idlewarden.conf"

    /// idlewarden's own values for every per-session key (max_session: none), taken from `Limits()` so that
    /// there is a single source for them.
    public static let builtInDefaults: PolicySettings = {
        let limits = Limits()
        return PolicySettings(
            idleTimeout: limits.idleTimeout, warnBefore: limits.warnBefore, grace: limits.grace,
            maxSession: limits.maxSession, exempt: false, checkNoTTY: limits.checkNoTTY,
            allowKeepalive: limits.allowKeepalive, activity: limits.activity, end: limits.end,
            graphical: limits.graphical)
    }()

    /// The file it was read from; for built-in defaults, the path that was looked for.
    public var path: String
    /// False when there was no file and these are the built-in defaults.
    public var fromFile: Bool
    /// The top-level keys; `exempt` is never set here (the top level exempts through the exclusion lists).
    public var defaults: PolicySettings
    public var allowShortTimeouts: Bool
    public var excludeUsers: [String]
    public var excludeGroups: [String]
    public var scope: IdleScope
    /// Which unregistered live logins the daemon adopts at start-up.
    public var adopt: AdoptMode
    public var rules: [Rule]

    public init(
        path: String = Config.defaultPath, fromFile: Bool = true, defaults: PolicySettings = .init(),
        allowShortTimeouts: Bool = false, excludeUsers: [String] = [], excludeGroups: [String] = [],
        scope: IdleScope = .session, adopt: AdoptMode = .module, rules: [Rule] = []
    ) {
        self.path = path
        self.fromFile = fromFile
        self.defaults = defaults
        self.allowShortTimeouts = allowShortTimeouts
        self.excludeUsers = excludeUsers
        self.excludeGroups = excludeGroups
        self.scope = scope
        self.adopt = adopt
        self.rules = rules
    }

    /// What applies when the config file does not exist: 15 min idle, 1 min warning, 10 s grace, no exclusions.
    public static func builtIn(path: String = Config.defaultPath) -> Config {
        Config(path: path, fromFile: false)
    }

    /// A human summary for `check-config`: every default with where it comes from, the exclusions, each rule.
    public var summary: String {
        var lines = ["config \(path)" + (fromFile ? "" : " (no such file: built-in defaults)")]
        lines.append("defaults:")
        for key in PolicyKey.allCases where key != .exempt {
            let value = defaults.text(of: key) ?? Self.builtInDefaults.text(of: key) ?? "none"
            let source: LimitSource = defaults.text(of: key) == nil ? .builtInDefault : .topLevel
            lines.append("  \(key.rawValue) = \(value)  (\(source))")
        }
        lines.append("  scope = \(scope.rawValue)")
        lines.append("  adopt = \(adopt.rawValue)")
        lines.append("  allow_short_timeouts = \(allowShortTimeouts)")
        lines.append("exclusions (never warned or ended):")
        lines.append("  exclude_users = [\(excludeUsers.joined(separator: ", "))]")
        lines.append("  exclude_groups = [\(excludeGroups.joined(separator: ", "))]")
        if rules.isEmpty {
            lines.append("rules: none")
        } else {
            lines.append("rules (in order; for each key the first matching rule that sets it decides):")
            for rule in rules {
                let sets = rule.settings.entries.map { "\($0.key.rawValue) = \($0.value)" }
                lines.append(
                    "  \(rule.source): when \(rule.matchDescription): "
                        + (sets.isEmpty ? "sets nothing" : sets.joined(separator: ", ")))
            }
        }
        return lines.joined(separator: "\n")
    }
}
