/// An fnmatch(3)-style pattern for terminal names and remote hosts: `*` any run of characters (including "/"),
/// `?` one character, `[abc]`, `[a-z]`, `[!abc]` or `[^abc]` one character of a set, `\x` a literal x.
///
/// Written here rather than calling fnmatch(3) because Core makes no libc calls, and because a malformed pattern
/// must be an error at config load, not a rule that silently never matches. Matching is linear in practice
/// (one backtracking point per `*`), so a hostile rhost cannot make it slow.
public struct Glob: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The pattern as written in the config.
    public let pattern: String
    /// Host names are case-insensitive, terminal names are not.
    public let ignoresCase: Bool
    private let tokens: [Token]

    private enum Token: Equatable, Hashable, Sendable {
        case literal(Unicode.Scalar)
        case anyOne
        case anyRun
        case set(ranges: [ClosedRange<UInt32>], negated: Bool)

        func matches(_ scalar: Unicode.Scalar) -> Bool {
            switch self {
            case .literal(let expected): return scalar == expected
            case .anyOne: return true
            case .anyRun: return false
            case .set(let ranges, let negated): return ranges.contains { $0.contains(scalar.value) } != negated
            }
        }
    }

    public init(_ pattern: String, ignoringCase: Bool = false) throws(GlobError) {
        self.pattern = pattern
        self.ignoresCase = ignoringCase
        self.tokens = try Self.compile(ignoringCase ? pattern.lowercased() : pattern, original: pattern)
    }

    public func matches(_ text: String) -> Bool {
        let scalars = Array((ignoresCase ? text.lowercased() : text).unicodeScalars)
        var textIndex = 0
        var tokenIndex = 0
        var starToken = -1
        var starText = 0
        while textIndex < scalars.count {
            if tokenIndex < tokens.count, tokens[tokenIndex] == .anyRun {
                starToken = tokenIndex
                starText = textIndex
                tokenIndex += 1
            } else if tokenIndex < tokens.count, tokens[tokenIndex].matches(scalars[textIndex]) {
                tokenIndex += 1
                textIndex += 1
            } else if starToken >= 0 {
                tokenIndex = starToken + 1
                starText += 1
                textIndex = starText
            } else {
                return false
            }
        }
        while tokenIndex < tokens.count, tokens[tokenIndex] == .anyRun { tokenIndex += 1 }
        return tokenIndex == tokens.count
    }

    public var description: String { pattern }

    private static func compile(_ pattern: String, original: String) throws(GlobError) -> [Token] {
        let scalars = Array(pattern.unicodeScalars)
        guard !scalars.isEmpty else { throw .empty }
        var tokens: [Token] = []
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            switch scalar {
            case "*":
                if tokens.last != .anyRun { tokens.append(.anyRun) }
            case "?":
                tokens.append(.anyOne)
            case "\\":
                guard index < scalars.count else { throw .trailingBackslash(original) }
                tokens.append(.literal(scalars[index]))
                index += 1
            case "[":
                tokens.append(try compileSet(scalars, from: &index, original: original))
            default:
                tokens.append(.literal(scalar))
            }
        }
        return tokens
    }

    /// Reads a bracket expression; `index` is just past its "[" and is left just past its "]".
    private static func compileSet(
        _ scalars: [Unicode.Scalar], from index: inout Int, original: String
    ) throws(GlobError) -> Token {
        var negated = false
        if index < scalars.count, scalars[index] == "!" || scalars[index] == "^" {
            negated = true
            index += 1
        }
        if index + 1 < scalars.count, scalars[index] == "[", scalars[index + 1] == ":" {
            throw .characterClass(original)
        }
        var ranges: [ClosedRange<UInt32>] = []
        var first = true
        while true {
            guard index < scalars.count else { throw .unterminatedSet(original) }
            var low = scalars[index]
            index += 1
            if low == "]" && !first { return .set(ranges: ranges, negated: negated) }
            first = false
            if low == "\\" {
                guard index < scalars.count else { throw .unterminatedSet(original) }
                low = scalars[index]
                index += 1
            }
            var high = low
            if index + 1 < scalars.count, scalars[index] == "-", scalars[index + 1] != "]" {
                high = scalars[index + 1]
                index += 2
                if high == "\\" {
                    guard index < scalars.count else { throw .unterminatedSet(original) }
                    high = scalars[index]
                    index += 1
                }
                guard low.value <= high.value else {
                    throw .reversedRange(original, from: Character(low), to: Character(high))
                }
            }
            ranges.append(low.value...high.value)
        }
    }
}
