/// Resolves the limits of one session from a config and the session's facts. Pure: the same config and facts
/// always give the same result, which is what makes `explain` trustworthy and reloads predictable.
///
/// Per key, the first source that sets it wins, in this order:
/// 1. exclude_users, then exclude_groups (exempt only; they win over everything, so no rule can un-exempt an
///    excluded user by mistake);
/// 2. the first matching [[rule]] that sets the key;
/// 3. the pam.d module arguments (idle_timeout=, warn_before=, max_session=, signal_interval=, exempt);
/// 4. the top level of the config (the last file that sets the key);
/// 5. the built-in default.
/// warn_before must be shorter than the idle_timeout resolved this way; a candidate that is not (possible when two
/// rules or a module argument combine) is passed over, reported, and the next source is tried; if none fits,
/// the session gets no warning rather than a warning after its end.
public enum Policy {
    public static func resolve(_ config: Config, for facts: SessionFacts) -> Resolution {
        let matching = config.rules.filter { $0.matches(facts) }
        let overrides = ModuleOverrides(arguments: facts.moduleArguments, allowShortTimeouts: config.allowShortTimeouts)
        var ignored = overrides.ignored
        var sources: [PolicyKey: LimitSource] = [:]

        /// Every value for `key` in precedence order, with its source.
        func candidates<Value>(_ key: PolicyKey, _ field: KeyPath<PolicySettings, Value?>) -> [(Value, LimitSource)] {
            var list = matching.compactMap { rule in rule.settings[keyPath: field].map { ($0, rule.source) } }
            if let value = overrides.settings[keyPath: field] { list.append((value, overrides.source(of: key))) }
            if let value = config.defaults[keyPath: field] {
                list.append((value, .topLevel(at: config.locations.keys[key.rawValue])))
            }
            if let value = Config.builtInDefaults[keyPath: field] { list.append((value, .builtInDefault)) }
            return list
        }
        func first<Value>(_ key: PolicyKey, _ field: KeyPath<PolicySettings, Value?>, else fallback: Value) -> Value {
            guard let (value, source) = candidates(key, field).first else { return fallback }
            sources[key] = source
            return value
        }

        var limits = Limits()
        limits.idleTimeout = first(.idleTimeout, \.idleTimeout, else: limits.idleTimeout)
        limits.warnBefore = .zero
        for (warn, source) in candidates(.warnBefore, \.warnBefore) {
            if let problem = LimitBounds.warnBeforeProblem(warn, idleTimeout: limits.idleTimeout) {
                ignored.append(IgnoredValue(source: source, key: PolicyKey.warnBefore.rawValue, reason: problem))
                continue
            }
            limits.warnBefore = warn
            sources[.warnBefore] = source
            break
        }
        // The lock comes before the end: lock_after shorter than idle_timeout; zero means none.
        for (lock, source) in candidates(.lockAfter, \.lockAfter) {
            if lock != .zero, let problem = LimitBounds.lockAfterProblem(lock, idleTimeout: limits.idleTimeout) {
                ignored.append(IgnoredValue(source: source, key: PolicyKey.lockAfter.rawValue, reason: problem))
                continue
            }
            limits.lockAfter = lock == .zero ? nil : lock
            sources[.lockAfter] = source
            break
        }
        // warn_again must come after the first warning, i.e. be shorter than warn_before; zero means none.
        for (again, source) in candidates(.warnAgain, \.warnAgain) {
            if again != .zero, let problem = LimitBounds.warnAgainProblem(again, warnBefore: limits.warnBefore) {
                ignored.append(IgnoredValue(source: source, key: PolicyKey.warnAgain.rawValue, reason: problem))
                continue
            }
            limits.warnAgain = again == .zero ? nil : again
            sources[.warnAgain] = source
            break
        }
        limits.warnMessage = candidates(.warnMessage, \.warnMessage).first.map { value, source in
            sources[.warnMessage] = source
            return value
        }
        limits.grace = first(.signalInterval, \.signalInterval, else: limits.grace)
        limits.maxSession = candidates(.maxSession, \.maxSession).first.map { value, source in
            sources[.maxSession] = source
            return value
        }
        limits.checkNoTTY = first(.checkNoTTY, \.checkNoTTY, else: limits.checkNoTTY)
        limits.allowKeepalive = first(.allowKeepalive, \.allowKeepalive, else: limits.allowKeepalive)
        limits.activity = first(.activity, \.activity, else: limits.activity)
        limits.end = first(.end, \.end, else: limits.end)
        limits.graphical = first(.graphical, \.graphical, else: limits.graphical)
        limits.allowInhibit = first(.allowInhibit, \.allowInhibit, else: limits.allowInhibit)
        limits.maxInhibit = candidates(.maxInhibit, \.maxInhibit).first.map { value, source in
            sources[.maxInhibit] = source
            return value
        }

        if config.excludeUsers.contains(facts.user) {
            limits.exemption = .user(facts.user)
            sources[.exempt] = .excludeUsers(user: facts.user, at: config.locations.excludedUsers[facts.user])
        } else if let group = config.excludeGroups.first(where: facts.groups.contains) {
            limits.exemption = .group(group)
            sources[.exempt] = .excludeGroups(group: group, at: config.locations.excludedGroups[group])
        } else if let rule = matching.first(where: { $0.settings.exempt != nil }), let exempt = rule.settings.exempt {
            sources[.exempt] = rule.source
            limits.exemption = exempt ? .rule(rule.label) : nil
        } else if overrides.settings.exempt == true {
            sources[.exempt] = overrides.source(of: .exempt)
            limits.exemption = .moduleArgument
        }
        return Resolution(limits: limits, sources: sources, matchedRules: matching.map(\.index), ignored: ignored)
    }

}
