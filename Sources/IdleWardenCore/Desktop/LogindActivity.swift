/// What logind's idle hint says about a desktop session (see `LogindIdleHint.activity`).
public enum LogindActivity: Equatable, Sendable {
    /// The desktop declared the session idle at this wall-clock moment.
    case idleSince(Instant)
    /// The desktop says the session is in use: counts as input now.
    case active
    /// logind holds no usable hint for this session; the reason says why. The daemon asks the X server then,
    /// or, with no X display, cannot read the desktop (see `UnobservableDisplay`).
    case unknown(String)
}
