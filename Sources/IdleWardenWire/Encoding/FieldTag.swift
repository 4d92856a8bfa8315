/// The tag byte of one field. Integers are fixed-width big-endian; strings are UTF-8 without NUL or
/// control characters, each with its own length limit.
public enum FieldTag: UInt8, Equatable, Sendable {
    case pid = 1
    case sid = 2
    case startTime = 3
    case uid = 4
    case user = 5
    case service = 6
    case tty = 7
    case rhost = 8
    case xdgSessionID = 9
    case policyOverride = 10
    case sessionID = 11
    case requestID = 12
    case chunk = 13
    case isFinal = 14
    case payload = 15
    case flags = 16
    case xdisplay = 17
    case xdgSessionType = 18
    case pidNamespace = 19
    /// Why a session is held (`idlewarden inhibit --why`).
    case why = 20

    /// Longest value accepted for this field, in bytes.
    public var limit: Int {
        switch self {
        case .pid, .sid, .uid, .requestID: return 4
        case .startTime, .pidNamespace: return 8
        case .chunk: return 2
        case .isFinal, .flags: return 1
        case .user: return 256
        case .service: return 256
        case .tty: return 256
        case .rhost: return 1024
        case .xdgSessionID, .sessionID: return 64
        case .xdisplay: return 256
        case .xdgSessionType: return 32
        case .why: return 256
        case .policyOverride: return 128
        case .payload: return Datagram.replyLimit - 64
        }
    }

    /// Strings must be valid UTF-8; the payload is opaque bytes.
    var isText: Bool {
        switch self {
        case .user, .service, .tty, .rhost, .xdgSessionID, .policyOverride, .sessionID, .xdisplay, .xdgSessionType, .why:
            return true
        default: return false
        }
    }

    var isInteger: Bool {
        switch self {
        case .pid, .sid, .uid, .requestID, .startTime, .pidNamespace, .chunk, .isFinal, .flags: return true
        default: return false
        }
    }
}
