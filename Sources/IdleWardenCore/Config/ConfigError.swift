/// One reason a config file cannot be used. Every case carries where (file, line, column) and which key, because
/// the daemon keeps the old config in force when a new one is bad, and the admin must be able to find and fix
/// every problem from the log or `check-config` alone. `description` is exactly `FILE:LINE:COLUMN: KEY: MESSAGE`.
public enum ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file exists but cannot be read (permissions, a directory, too large, not UTF-8). Key: "file".
    case unreadable(SourceLocation, reason: String)
    /// toml++ rejected the document. `key` is the key on the failing line when there is one, else "syntax".
    case syntax(SourceLocation, key: String, message: String)
    /// A key idlewarden does not know; `suggestion` is the nearest valid key, when one is close.
    case unknownKey(SourceLocation, key: String, suggestion: String?, validKeys: [String])
    /// A key valid elsewhere (a top-level setting inside a [[rule]], or a rule key at the top level).
    case misplacedKey(SourceLocation, key: String, advice: String)
    case wrongType(SourceLocation, key: String, expected: String, found: String, advice: String?)
    case invalidDuration(SourceLocation, key: String, DurationParseError)
    case invalidChoice(SourceLocation, key: String, value: String, allowed: [String])
    case invalidGlob(SourceLocation, key: String, GlobError)
    /// A value of the right type that makes no sense (empty list or name, duplicate rule name).
    case invalidValue(SourceLocation, key: String, message: String)
    /// A duration outside its bounds (the 60 s minimum, warn_before < idle_timeout, grace 1 s to 5 min).
    case outOfRange(SourceLocation, key: String, message: String)

    public var location: SourceLocation {
        switch self {
        case .unreadable(let at, _), .syntax(let at, _, _), .unknownKey(let at, _, _, _), .misplacedKey(let at, _, _),
            .wrongType(let at, _, _, _, _), .invalidDuration(let at, _, _), .invalidChoice(let at, _, _, _),
            .invalidGlob(let at, _, _), .invalidValue(let at, _, _), .outOfRange(let at, _, _):
            return at
        }
    }

    public var key: String {
        switch self {
        case .unreadable: return "file"
        case .syntax(_, let key, _), .unknownKey(_, let key, _, _), .misplacedKey(_, let key, _),
            .wrongType(_, let key, _, _, _), .invalidDuration(_, let key, _), .invalidChoice(_, let key, _, _),
            .invalidGlob(_, let key, _), .invalidValue(_, let key, _), .outOfRange(_, let key, _):
            return key
        }
    }

    public var message: String {
        switch self {
        case .unreadable(_, let reason):
            return reason
        case .syntax(_, _, let message), .invalidValue(_, _, let message), .outOfRange(_, _, let message):
            return message
        case .unknownKey(_, _, let suggestion?, _):
            return "unknown key; did you mean \"\(suggestion)\"?"
        case .unknownKey(_, _, nil, let validKeys):
            return "unknown key; valid keys here are \(validKeys.joined(separator: ", "))"
        case .misplacedKey(_, _, let advice):
            return advice
        case .wrongType(_, _, let expected, let found, let advice):
            return "expected \(expected), found \(found)" + (advice.map { "; \($0)" } ?? "")
        case .invalidDuration(_, _, let reason):
            return reason.description
        case .invalidChoice(_, _, let value, let allowed):
            let quoted = allowed.map { "\"\($0)\"" }
            let choices = quoted.count > 2
                ? quoted.dropLast().joined(separator: ", ") + " or " + quoted[quoted.count - 1]
                : quoted.joined(separator: " or ")
            return "\"\(value)\" is not a valid value; use " + choices
        case .invalidGlob(_, _, let reason):
            return reason.description
        }
    }

    public var description: String { "\(location): \(key): \(message)" }
}
