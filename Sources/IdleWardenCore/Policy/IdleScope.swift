/// Whose input keeps a session alive. Per session by default; "user" is the multi-tab behaviour of the web
/// modules: input in any of a user's sessions keeps all of them alive.
public enum IdleScope: String, CaseIterable, Equatable, Hashable, Sendable, Codable {
    case session
    case user
}
