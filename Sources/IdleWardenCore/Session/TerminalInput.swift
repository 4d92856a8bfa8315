/// How a terminal's atime bounds the moment of its last input.
///
/// The kernel rewrites a tty's atime only when the current time leaves the 8-second bucket of the stored
/// value (`tty_update_time`: `(stored ^ now) & ~7`), so input can have happened until the end of that bucket
/// without changing the atime. Treating the end of the bucket as the last input means a session is never
/// ended before its timeout, and at most 8 s after it.
public enum TerminalInput {
    public static let atimeStep: Int64 = 8

    /// The latest moment at which the last input can have happened, for a stored atime in whole seconds.
    public static func latestInput(atimeSeconds: Int64) -> Instant {
        let bucket = atimeSeconds >= 0
            ? atimeSeconds / atimeStep
            : (atimeSeconds - atimeStep + 1) / atimeStep
        return Instant(seconds: (bucket + 1) * atimeStep)
    }
}
