/// The checks that need more than one key: each duration against its bounds (which depend on the top-level
/// allow_short_timeouts), and warn_before against the idle_timeout it warns about, for the top level and for each
/// rule's effective values (its own keys, falling back to the top level's). A rule that sets only idle_timeout
/// can still break the warning it inherits, and the admin must hear about it at the rule, not at open time.
struct ConfigValidation {
    let defaults: PolicySettings
    let allowShortTimeouts: Bool
    /// Where a key of the top level (rule nil) or of the rule with that number was written, and the name it was
    /// written under (an old name, possibly).
    let locate: (_ rule: Int?, _ key: String) -> (at: SourceLocation, name: String)

    func errors(rules: [Rule]) -> [ConfigError] {
        var errors = check(defaults, rule: nil, inherited: nil)
        let top = effective(defaults, inherited: nil)
        for rule in rules {
            errors += check(rule.settings, rule: rule.index, inherited: top)
        }
        return errors
    }

    /// The idle_timeout and warn_before that apply where `settings` are written; idle is nil when invalid
    /// (already reported, and not to be reported again through the comparison).
    private func effective(_ settings: PolicySettings, inherited: (idle: Duration?, warn: Duration)?)
        -> (idle: Duration?, warn: Duration)
    {
        let builtIn = Limits()
        let idle: Duration?
        if let own = settings.idleTimeout {
            idle = LimitBounds.timeoutProblem(own, allowShort: allowShortTimeouts) == nil ? own : nil
        } else if let inherited {
            idle = inherited.idle
        } else {
            idle = builtIn.idleTimeout
        }
        return (idle, settings.warnBefore ?? inherited?.warn ?? builtIn.warnBefore)
    }

    private func check(
        _ settings: PolicySettings, rule: Int?, inherited: (idle: Duration?, warn: Duration)?
    ) -> [ConfigError] {
        var errors: [ConfigError] = []
        func report(_ key: String, _ message: String) {
            let (at, name) = locate(rule, key)
            errors.append(.outOfRange(at, key: name, message: message))
        }
        if let idle = settings.idleTimeout, let problem = LimitBounds.timeoutProblem(idle, allowShort: allowShortTimeouts) {
            report("idle_timeout", problem)
        }
        if let max = settings.maxSession, let problem = LimitBounds.timeoutProblem(max, allowShort: allowShortTimeouts) {
            report("max_session", problem)
        }
        if let max = settings.maxInhibit, let problem = LimitBounds.timeoutProblem(max, allowShort: allowShortTimeouts) {
            report("max_inhibit", problem)
        }
        if let lock = settings.lockAfter, lock != .zero, let idle = effective(settings, inherited: inherited).idle,
           let problem = LimitBounds.lockAfterProblem(lock, idleTimeout: idle)
        {
            report("lock_after", problem)
        }
        if let again = settings.warnAgain, again != .zero,
           let problem = LimitBounds.warnAgainProblem(again, warnBefore: effective(settings, inherited: inherited).warn)
        {
            report("warn_again", problem)
        }
        if let interval = settings.signalInterval, let problem = LimitBounds.signalIntervalProblem(interval) {
            report("signal_interval", problem)
        }
        guard settings.idleTimeout != nil || settings.warnBefore != nil || inherited == nil else { return errors }
        let (idle, warn) = effective(settings, inherited: inherited)
        guard let idle, LimitBounds.warnBeforeProblem(warn, idleTimeout: idle) != nil else { return errors }
        let origin = inherited == nil ? "the built-in default" : "inherited from the top level"
        if settings.warnBefore != nil {
            // Both at the top level, but in different files (a drop-in): say where the other one is.
            let (idleAt, warnAt) = (locate(rule, "idle_timeout").at, locate(rule, "warn_before").at)
            let elsewhere = idleAt.file != warnAt.file ? ", \(idleAt.file):\(idleAt.line)" : ""
            let idleOrigin = settings.idleTimeout == nil ? ", \(origin)" : elsewhere
            report("warn_before", "\(ConfigDuration.format(warn)) is not shorter than idle_timeout "
                + "(\(ConfigDuration.format(idle))\(idleOrigin)); shorten it, or use \"0s\" for no warning")
        } else {
            report("idle_timeout", "\(ConfigDuration.format(idle)) is not longer than warn_before "
                + "(\(ConfigDuration.format(warn)), \(origin)); set a shorter warn_before here, or \"0s\" for no warning")
        }
        return errors
    }
}
