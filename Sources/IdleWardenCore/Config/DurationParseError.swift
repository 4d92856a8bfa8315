/// Why a duration string was rejected. Each message quotes what the admin wrote and shows a form that works,
/// because the admin reads it in `check-config` or the audit log, far from any documentation.
public enum DurationParseError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case negative(String)
    case whitespace(String)
    /// Digits with no unit, e.g. "90": seconds or minutes? idlewarden refuses to guess.
    case missingUnit(String, number: String)
    case unknownUnit(String, unit: String)
    case fraction(String)
    /// Units repeated or not from largest to smallest ("30m1h", "5m5m"): almost always a typo.
    case unitOrder(String)
    case unexpectedCharacter(String, Character)
    /// Longer than `ConfigDuration.maximum`, including arithmetic overflow.
    case tooLong(String)

    public var description: String {
        switch self {
        case .empty:
            return "empty duration; write a number with a unit, e.g. \"15m\""
        case .negative(let text):
            return "\"\(text)\" is negative; durations must be zero or more"
        case .whitespace(let text):
            return "\"\(text)\" contains spaces; write durations without them, e.g. \"1h30m\""
        case .missingUnit(let text, let number):
            if text == number {
                return "\"\(text)\" has no unit; write \"\(number)s\" for seconds or \"\(number)m\" for minutes"
            }
            return "\"\(text)\" ends without a unit after \(number); use s, m, h or d"
        case .unknownUnit(let text, let unit):
            return "unknown unit \"\(unit)\" in \"\(text)\"; use s, m, h or d (whole seconds), e.g. \"1h30m\""
        case .fraction(let text):
            return "\"\(text)\" has a fraction; use whole numbers of a smaller unit, e.g. \"1h30m\" for 1.5h"
        case .unitOrder(let text):
            return "units in \"\(text)\" must go from largest to smallest, each at most once, e.g. \"1h30m\""
        case .unexpectedCharacter(let text, let character):
            return "unexpected \"\(character)\" in \"\(text)\"; a duration is digits followed by a unit, e.g. \"15m\""
        case .tooLong(let text):
            return "\"\(text)\" is longer than the \(ConfigDuration.format(ConfigDuration.maximum)) maximum"
        }
    }
}
