/// What one terminal showed at a look, compared with what it showed at the look before (see
/// `TerminalInput.judge`).
public enum TerminalEvidence: Equatable, Sendable {
    /// Seen for the first time: its times were written before anyone looked, by whoever. They are the baseline
    /// for the next look and never input themselves.
    case firstSight
    /// Nothing moved.
    case unchanged
    /// Read (or, where output counts, written) since the last look while nothing else touched the inode: the
    /// kernel wrote that time. `latest` is the latest moment the last input can have happened.
    case input(latest: Instant)
    /// The inode changed since the last look (chmod, chown, `mesg`, utimensat, a new pty at the same path): a time
    /// that moved with it may have been written by anyone, so it is not input. The new times are the baseline, so
    /// this hides one look's input, never more.
    case inodeChanged
    /// A time moved in a way only utimensat can move it: not input.
    case forged(InputForgery)
}
