/// Whether a login session is opening or closing: the two calls of the PAM module.
public enum SessionPhase: Equatable, Sendable {
    case open
    case close

    public var kind: MessageKind {
        switch self {
        case .open: return .open
        case .close: return .close
        }
    }
}
