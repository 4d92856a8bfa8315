/// Why a datagram was refused. Every malformed input maps to one of these; decoding never traps and never
/// yields a partial message, so the daemon can audit the reason and leave its registry untouched.
public enum WireError: Error, Equatable {
    case truncated(needed: Int, available: Int)
    case oversized(size: Int, limit: Int)
    case badMagic
    case unsupportedVersion(UInt8)
    case unknownKind(UInt8)
    case unknownField(UInt8)
    case duplicateField(FieldTag)
    case lyingLength(FieldTag, claimed: Int, remaining: Int)
    case fieldTooLong(FieldTag, length: Int, limit: Int)
    case badIntegerWidth(FieldTag, length: Int)
    case badUTF8(FieldTag)
    case forbiddenByte(FieldTag)
    case missingField(FieldTag)
    case unexpectedField(FieldTag)
    case tooManyOverrides(limit: Int)

    /// A short, stable reason for the audit log (`reason=`): one token, no spaces.
    public var reason: String {
        switch self {
        case .truncated: return "truncated"
        case .oversized: return "oversized"
        case .badMagic: return "bad-magic"
        case .unsupportedVersion: return "bad-version"
        case .unknownKind: return "unknown-kind"
        case .unknownField: return "unknown-field"
        case .duplicateField: return "duplicate-field"
        case .lyingLength: return "lying-length"
        case .fieldTooLong: return "field-too-long"
        case .badIntegerWidth: return "bad-integer-width"
        case .badUTF8: return "bad-utf8"
        case .forbiddenByte: return "forbidden-byte"
        case .missingField: return "missing-field"
        case .unexpectedField: return "unexpected-field"
        case .tooManyOverrides: return "too-many-overrides"
        }
    }
}
