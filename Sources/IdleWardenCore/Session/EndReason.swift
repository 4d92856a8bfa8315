/// Why a session is warned or ended; the value of `reason=` in the audit line.
public enum EndReason: String, Sendable, Codable, Equatable {
    case idle
    case maxSession = "max-session"
}
