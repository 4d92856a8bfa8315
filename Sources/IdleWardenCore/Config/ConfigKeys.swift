/// The keys idlewarden.conf accepts at the top level and in a [[rule]], and the error for any other key.
///
/// TOML has a trap that admins fall into: a key written after a `[[rule]]` header belongs to that rule, not to the
/// top level. So a top-level key found inside a rule (and a rule key found at the top level) gets its own advice
/// instead of a bare "unknown key".
enum ConfigKeys {
    /// Per-session keys valid both at the top level and in a rule.
    static let shared = ["idle_timeout", "warn_before", "signal_interval", "max_session", "check_no_tty",
                         "allow_keepalive", "activity", "end", "graphical", "allow_inhibit", "max_inhibit",
                         "warn_message", "warn_again", "lock_after"]
    static let topLevelOnly = ["allow_short_timeouts", "exclude_users", "exclude_groups", "scope", "adopt", "audit_format",
                               "metrics_file", "lock_command"]
    static let ruleOnly = ["name", "groups", "users", "services", "ttys", "types", "remote", "exempt"]

    static let topLevel = shared + topLevelOnly + ["rule"]
    static let rule = ruleOnly + shared

    /// Old names that are still read, with the key each now stands for. `grace` read like an activity grace
    /// period; it is the time between the signals that end a session. Not offered as suggestions.
    static let aliases = ["grace": "signal_interval"]

    /// True when `key` may be written in a table whose valid keys are `valid` (directly or as an old name).
    static func isAccepted(_ key: String, among valid: [String]) -> Bool {
        valid.contains(key) || aliases[key].map(valid.contains) == true
    }

    /// The error for `key`, which is not valid where it was found: at the top level, or in rule number `rule`.
    static func error(for key: String, at location: SourceLocation, inRule rule: Int?) -> ConfigError {
        if let rule, topLevelOnly.contains(key) {
            return .misplacedKey(
                location, key: key,
                advice: "\(key) is a top-level setting, but it comes after the [[rule]] header of rule \(rule), "
                    + "so TOML puts it inside that rule; move it above the first [[rule]]")
        }
        if rule == nil, ruleOnly.contains(key) {
            let alternative: String
            switch key {
            case "groups": alternative = "; to exempt whole groups use exclude_groups"
            case "users": alternative = "; to exempt users use exclude_users"
            case "exempt": alternative = "; at the top level use exclude_users or exclude_groups"
            default: alternative = ""
            }
            return .misplacedKey(location, key: key, advice: "\(key) is only valid inside a [[rule]] table" + alternative)
        }
        let valid = rule == nil ? topLevel : self.rule
        return .unknownKey(location, key: key, suggestion: suggestion(for: key, among: valid), validKeys: valid)
    }

    /// The valid key closest to `key`: same key in another case or with "-" for "_", a small edit distance, or a
    /// key that contains it ("timeout" → "idle_timeout"). Nil when nothing is close enough to be a likely typo.
    static func suggestion(for key: String, among valid: [String]) -> String? {
        let normalized = String(key.lowercased().map { $0 == "-" ? "_" : $0 })
        let limit = normalized.count <= 4 ? 1 : normalized.count <= 8 ? 2 : 3
        let scored = valid.map { ($0, editDistance(normalized, $0)) }
        if let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= limit { return best.0 }
        if normalized.count >= 4, let containing = valid.first(where: { $0.contains(normalized) }) {
            return containing
        }
        return nil
    }
}
