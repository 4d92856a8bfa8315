/// The bounds every duration must meet wherever it is written (top level, a [[rule]], a pam.d argument), so that
/// the config parser and the module-argument parser can never disagree. Each check returns the problem as a
/// message an admin can act on, or nil when the value is fine.
enum LimitBounds {
    /// Like the web modules' 60 s floor: anything shorter logs people out while they read a page of output.
    static let minimumTimeout: Duration = .seconds(60)
    /// The floor that even `allow_short_timeouts = true` keeps: a zero timeout would end sessions at open.
    static let absoluteMinimum: Duration = .seconds(1)
    /// signal_interval is the wait between SIGHUP, SIGTERM and SIGKILL: at least a moment to save, at most long
    /// enough that an ended session really ends.
    static let signalInterval: ClosedRange<Duration> = .seconds(1) ... .seconds(5 * 60)

    static func signalIntervalProblem(_ value: Duration) -> String? {
        guard !signalInterval.contains(value) else { return nil }
        return "\(ConfigDuration.format(value)) is outside the allowed range "
            + "\(ConfigDuration.format(signalInterval.lowerBound)) to \(ConfigDuration.format(signalInterval.upperBound))"
    }

    /// The warning must come before the deadline it warns about; zero means no warning and is always fine.
    static func warnBeforeProblem(_ warn: Duration, idleTimeout: Duration) -> String? {
        guard warn != .zero, warn >= idleTimeout else { return nil }
        return "\(ConfigDuration.format(warn)) is not shorter than idle_timeout "
            + "(\(ConfigDuration.format(idleTimeout))); shorten it, or use \"0s\" for no warning"
    }

    /// The lock comes before the end.
    static func lockAfterProblem(_ lock: Duration, idleTimeout: Duration) -> String? {
        guard lock >= idleTimeout else { return nil }
        return "\(ConfigDuration.format(lock)) is not shorter than idle_timeout (\(ConfigDuration.format(idleTimeout))): "
            + "the lock must come before the logout; shorten it, or use \"0s\" for no lock"
    }

    /// A second warning comes after the first: shorter than warn_before (which must be set).
    static func warnAgainProblem(_ again: Duration, warnBefore: Duration) -> String? {
        guard again >= warnBefore else { return nil }
        return "\(ConfigDuration.format(again)) is not shorter than warn_before (\(ConfigDuration.format(warnBefore))): "
            + "the second warning must come after the first; shorten it, or use \"0s\" for none"
    }

    /// For idle_timeout and max_session alike.
    static func timeoutProblem(_ value: Duration, allowShort: Bool) -> String? {
        if value < absoluteMinimum {
            return "\(ConfigDuration.format(value)) is below the \(ConfigDuration.format(absoluteMinimum)) minimum"
        }
        if value < minimumTimeout, !allowShort {
            return "\(ConfigDuration.format(value)) is below the \(minimumTimeout.wholeSeconds)s minimum; "
                + "set allow_short_timeouts = true for tests"
        }
        return nil
    }
}
