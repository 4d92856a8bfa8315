/// Why a `ttys` or `remote` pattern was rejected. fnmatch(3) would silently treat a broken pattern as literal
/// text, so a typo like "ttyS[0-3" would never match and the rule would quietly do nothing; idlewarden refuses it.
public enum GlobError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case unterminatedSet(String)
    case trailingBackslash(String)
    case reversedRange(String, from: Character, to: Character)
    case characterClass(String)

    public var description: String {
        switch self {
        case .empty:
            return "empty pattern; use \"*\" to match anything"
        case .unterminatedSet(let pattern):
            return "\"\(pattern)\" has a \"[\" without its closing \"]\""
        case .trailingBackslash(let pattern):
            return "\"\(pattern)\" ends with a backslash that escapes nothing"
        case .reversedRange(let pattern, let from, let to):
            return "range \"\(from)-\(to)\" in \"\(pattern)\" is empty; write \"\(to)-\(from)\""
        case .characterClass(let pattern):
            return "character classes like [:digit:] are not supported in \"\(pattern)\"; use a range such as [0-9]"
        }
    }
}
