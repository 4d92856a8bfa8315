/// What counts as input on a terminal, and when it happened: pure rules on the times the kernel records (see
/// `TerminalStamp`).
///
/// Only the owner of a terminal can set its times (utimensat), and doing so moves its change time, which nobody
/// can set. So a time that moved between two looks counts only when the change time did not move: then a read
/// (or a write) wrote it. When the change time moved, the look learns nothing about input; a moved time that only
/// utimensat can write (in the future, or with a fraction of a second) is a forgery.
///
/// The kernel rewrites a tty's access time only when the current time leaves the 8-second bucket of the stored
/// value (`tty_update_time`: `(stored ^ now) & ~7`), so input can have happened until the end of that bucket
/// without changing it. Treating the end of the bucket as the last input means a session is never ended before its
/// timeout, and at most 8 s after it.
public enum TerminalInput {
    public static let atimeStep: Int64 = 8

    /// How far a time may lie ahead of the daemon's `now` and still be the kernel's: `now` is read before the
    /// terminals are, and a second may begin in between.
    public static let futureTolerance: Int64 = 1

    /// The latest moment at which the last input can have happened, for a stored atime in whole seconds.
    public static func latestInput(atimeSeconds: Int64) -> Instant {
        let bucket = atimeSeconds >= 0
            ? atimeSeconds / atimeStep
            : (atimeSeconds - atimeStep + 1) / atimeStep
        return Instant(seconds: (bucket + 1) * atimeStep)
    }

    /// The latest moment of the last input for a read (or write) time written by the kernel, with a time in the
    /// future (the wall clock was set back since) clamped to `now` first.
    public static func latestInput(at time: FileTime, now: Instant) -> Instant {
        latestInput(atimeSeconds: min(time.seconds, now.seconds))
    }

    /// What `current` shows against `baseline`, the same terminal at the previous look (nil: never seen). With
    /// `countOutput`, a write (modification time) counts as a read does. Times are compared for a change, not for
    /// being later, so a wall clock set back changes nothing until the terminal is used again, and then counts.
    public static func judge(
        _ current: TerminalStamp, since baseline: TerminalStamp?, now: Instant, countOutput: Bool
    ) -> TerminalEvidence {
        guard let baseline else { return .firstSight }
        var moved = current.access != baseline.access ? [current.access] : []
        if countOutput && current.modification != baseline.modification { moved.append(current.modification) }
        guard current.change == baseline.change && current.owner == baseline.owner else {
            if moved.contains(where: { $0.seconds > now.seconds + futureTolerance }) { return .forged(.futureTime) }
            if !current.isFresh && moved.contains(where: \.hasFraction) { return .forged(.fractionalTime) }
            return .inodeChanged
        }
        guard let latest = moved.map({ latestInput(at: $0, now: now) }).max() else { return .unchanged }
        return .input(latest: latest)
    }

    /// For a session adopted at start-up, whose terminal is seen for the first time: the last input its access
    /// time shows, when the kernel can have written it (a read's whole second, or the terminal's creation time,
    /// and not in the future); nil otherwise. A forged time gains nothing here: without one, the session counts
    /// as used at adoption.
    public static func lastInputAtAdoption(_ stamp: TerminalStamp, now: Instant) -> Instant? {
        guard !stamp.access.hasFraction || stamp.isFresh, stamp.access.seconds <= now.seconds + futureTolerance
        else { return nil }
        return min(now, latestInput(at: stamp.access, now: now))
    }
}
