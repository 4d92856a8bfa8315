/// Something in a valid config that works as written but has a better form. Unlike a warning, a note never
/// suggests that the config does something the admin did not mean, so `check-config` lists it apart and a config
/// with only notes is "OK" without warnings. Same `FILE:LINE:COLUMN: KEY: MESSAGE` shape as `ConfigError`.
public enum ConfigNote: Equatable, Sendable, CustomStringConvertible {
    /// A key written under its old name (`grace` for `signal_interval`).
    case oldName(SourceLocation, key: String, current: String)

    public var location: SourceLocation {
        switch self {
        case .oldName(let at, _, _): return at
        }
    }

    public var key: String {
        switch self {
        case .oldName(_, let key, _): return key
        }
    }

    public var message: String {
        switch self {
        case .oldName(_, let key, let current):
            return "\(key) is the old name of \(current); it is read as \(current), rename it when you next edit the file"
        }
    }

    public var description: String { "\(location): \(key): \(message)" }
}
