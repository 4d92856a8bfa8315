/// Where a resolved setting came from, so that `explain` can answer "why does alice get 10 minutes?" and the
/// audit log can name the rule behind an exemption.
public enum LimitSource: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The user is listed in exclude_users.
    case excludeUsers(user: String)
    /// One of the user's groups is listed in exclude_groups.
    case excludeGroups(group: String)
    /// A [[rule]]: its 1-based position, its optional name, and the line of its header.
    case rule(index: Int, name: String?, line: Int)
    /// An argument on the pam.d line the session was opened through, as written (`idle_timeout=30m`).
    case moduleArgument(String)
    /// The top level of the config file.
    case topLevel
    /// Nothing set it; idlewarden's own default.
    case builtInDefault

    public var description: String {
        switch self {
        case .excludeUsers(let user): return "exclude_users (\(user))"
        case .excludeGroups(let group): return "exclude_groups (\(group))"
        case .rule(let index, let name?, let line): return "rule \(index) \"\(name)\" (line \(line))"
        case .rule(let index, nil, let line): return "rule \(index) (line \(line))"
        case .moduleArgument(let argument): return "module argument \(argument)"
        case .topLevel: return "config top level"
        case .builtInDefault: return "built-in default"
        }
    }
}
