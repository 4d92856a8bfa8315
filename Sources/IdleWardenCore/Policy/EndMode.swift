/// Which processes an idle session's end reaches. Everything by default, so that nothing of the user keeps
/// running unseen; "leader" lets a site keep detached tmux or screen servers alive while the login shell ends.
public enum EndMode: String, CaseIterable, Equatable, Hashable, Sendable, Codable {
    /// Every process of the session.
    case session
    /// Only the login shell's process group.
    case leader
}
