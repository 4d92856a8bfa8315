/// What counts as use of a session. Only input by default, as the web modules count only real requests: a
/// program printing to the terminal (a build log, `tail -f`) says nothing about whether anyone is there.
/// Sites with wall screens running `top` may opt into counting output too.
public enum ActivityMode: String, CaseIterable, Equatable, Hashable, Sendable, Codable {
    /// Key presses only (the terminal's atime).
    case input
    /// Key presses or output (atime or mtime).
    case inputAndOutput = "input+output"
}
