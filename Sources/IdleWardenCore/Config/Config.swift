/// A validated configuration: the main file (idlewarden.conf) and its drop-ins (conf.d/*.conf) merged into
/// top-level defaults, exclusions and ordered rules. Only `ConfigParser` makes one from text, after every bound
/// has been checked, so the daemon can apply any `Config` it holds without checking again; no file at all gives
/// `Config.builtIn`.
public struct Config: Equatable, Sendable {
    public static let defaultPath = "/etc/idlewarden/idlewarden.conf"

    /// idlewarden's own values for every per-session key (max_session: none), taken from `Limits()` so that
    /// there is a single source for them.
    public static let builtInDefaults: PolicySettings = {
        let limits = Limits()
        return PolicySettings(
            idleTimeout: limits.idleTimeout, warnBefore: limits.warnBefore, signalInterval: limits.grace,
            maxSession: limits.maxSession, exempt: false, checkNoTTY: limits.checkNoTTY,
            allowKeepalive: limits.allowKeepalive, activity: limits.activity, end: limits.end,
            graphical: limits.graphical, allowInhibit: limits.allowInhibit, maxInhibit: limits.maxInhibit)
    }()

    /// The main file; when it does not exist, the path that was looked for.
    public var path: String
    /// False when the main file does not exist (its drop-ins, if any, apply on top of the built-in defaults).
    public var fromFile: Bool
    /// The drop-in files read after the main file, in the order they were merged.
    public var dropIns: [String]
    /// The top-level keys; `exempt` is never set here (the top level exempts through the exclusion lists).
    public var defaults: PolicySettings
    public var allowShortTimeouts: Bool
    public var excludeUsers: [String]
    public var excludeGroups: [String]
    public var scope: IdleScope
    /// Which unregistered live logins the daemon adopts at start-up.
    public var adopt: AdoptMode
    public var auditFormat: AuditFormat
    /// Where the daemon writes its metrics for node_exporter's textfile collector; nil: nowhere.
    public var metricsFile: String?
    /// `lock_command`: the program (and its arguments) that locks a desktop where logind does not, run as the
    /// session's user in its display; nil for `xdg-screensaver lock`.
    public var lockCommand: [String]?
    public var rules: [Rule]
    public var locations: ConfigLocations

    public init(
        path: String = Config.defaultPath, fromFile: Bool = true, dropIns: [String] = [],
        defaults: PolicySettings = .init(), allowShortTimeouts: Bool = false, excludeUsers: [String] = [],
        excludeGroups: [String] = [], scope: IdleScope = .session, adopt: AdoptMode = .module,
        auditFormat: AuditFormat = .kv, metricsFile: String? = nil, lockCommand: [String]? = nil, rules: [Rule] = [],
        locations: ConfigLocations = .init()
    ) {
        self.path = path
        self.fromFile = fromFile
        self.dropIns = dropIns
        self.defaults = defaults
        self.allowShortTimeouts = allowShortTimeouts
        self.excludeUsers = excludeUsers
        self.excludeGroups = excludeGroups
        self.scope = scope
        self.adopt = adopt
        self.auditFormat = auditFormat
        self.metricsFile = metricsFile
        self.lockCommand = lockCommand
        self.rules = rules
        self.locations = locations
    }

    /// What applies when there is no config file at all: 15 min idle, 1 min warning, 10 s between the signals of
    /// an end, no exclusions, no rules.
    public static func builtIn(path: String = Config.defaultPath) -> Config {
        Config(path: path, fromFile: false)
    }

    /// The files read, main file first.
    public var files: [String] { (fromFile ? [path] : []) + dropIns }

    /// A human summary for `check-config`: the files, every default with where it comes from, the exclusions,
    /// each rule.
    public var summary: String {
        var lines = ["config \(path)" + (fromFile ? "" : " (no such file: built-in defaults)")]
        lines += dropIns.map { "drop-in \($0)" }
        lines.append("defaults:")
        for key in PolicyKey.allCases where key != .exempt {
            let value = defaults.text(of: key) ?? Self.builtInDefaults.text(of: key) ?? "none"
            let source: LimitSource = defaults.text(of: key) == nil
                ? .builtInDefault : .topLevel(at: locations.keys[key.rawValue])
            lines.append("  \(key.rawValue) = \(value)  (\(source))")
        }
        lines.append("  scope = \(scope.rawValue)")
        lines.append("  adopt = \(adopt.rawValue)")
        lines.append("  lock_command = " + (lockCommand.map { "[" + $0.map(PolicySettings.quoted).joined(separator: ", ") + "]" }
            ?? "none (loginctl lock-session, else xdg-screensaver lock)"))
        lines.append("  allow_short_timeouts = \(allowShortTimeouts)")
        lines.append("  audit_format = \(auditFormat.rawValue)")
        lines.append("  metrics_file = \(metricsFile ?? "none")")
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
