/// Why a terminal time that moved was certainly written with utimensat, not by a read or a write of the terminal;
/// the value of `reason=` in the `event=forged-input` audit line.
public enum InputForgery: String, Equatable, Sendable {
    /// Later than now: a read or a write stores the current time.
    case futureTime = "future-time"
    /// A fraction of a second: the kernel stores a terminal's read and write times in whole seconds. (A new inode's
    /// times have one too, but then all three are its creation time and nothing moved on its own.)
    case fractionalTime = "fractional-time"
}
