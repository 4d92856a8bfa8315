/// What the daemon must do for one session at a given moment. Computed by `Session.verdict(now:)`, acted on by
/// the daemon; the verdict never depends on anything but the session's recorded facts and `now`.
public enum Verdict: Equatable, Sendable {
    /// Never warned or ended.
    case exempt
    /// No terminal to watch and no lifetime limit: nothing will ever be due.
    case unchecked
    /// Nothing to do before this moment.
    case sleep(until: Instant)
    /// Write the warning now; the session ends at `deadline` unless input arrives first.
    case warn(deadline: Instant, reason: EndReason)
    /// Write the warning a second time now (`warn_again`); the end stays at `deadline`.
    case warnAgain(deadline: Instant, reason: EndReason)
    /// Lock the session's desktop now (`lock_after`); it is ended later, on its usual schedule.
    case lock
    /// End the session now.
    case terminate(reason: EndReason)
}

extension Verdict {
    /// True when nothing is to be done now.
    public var isSleep: Bool {
        switch self {
        case .sleep, .exempt, .unchecked: return true
        case .warn, .warnAgain, .lock, .terminate: return false
        }
    }
}
