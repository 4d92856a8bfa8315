/// A desktop whose input cannot be read: its X server gone or not answering, no valid X authority (or one that
/// hangs whoever reads it), no logind hint. The rule: while it has been unreadable for less than its
/// `idle_timeout`, an idle warning or end is put off and the display is asked again soon (a server restarting is
/// not idleness); once every read for `idle_timeout` has failed, the desktop is treated as idle since its last
/// input seen, warned (with the full `warn_before`) and ended like any idle session, unless a read succeeds or a
/// terminal of the session shows input first. So a desktop that cannot be watched ends at the latest about
/// twice its `idle_timeout` after its last input seen, and is never kept forever for being unreadable.
public enum UnobservableDisplay {
    /// How soon a display unreadable for `unreadableFor` is asked again: as long again as it has been unreadable,
    /// at least 1 s, at most a quarter of `idle_timeout` (itself at least 5 s and at most 30 s). A read that missed
    /// its deadline once on a busy host costs a second; a server that is gone is asked a few times, then rarely.
    public static func retryDelay(unreadableFor: Duration, idleTimeout: Duration) -> Duration {
        let cap = min(.seconds(30), max(.seconds(5), idleTimeout / 4))
        return min(cap, max(.seconds(1), unreadableFor))
    }

    /// Whether a display unreadable since `since` (its first failed read in a row) is treated as idle at `now`.
    public static func isTreatedAsIdle(unreadableSince since: Instant, now: Instant, idleTimeout: Duration) -> Bool {
        now - since >= idleTimeout
    }
}
