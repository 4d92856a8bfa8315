/// Where a resolved setting came from, so that `explain` can answer "why does alice get 10 minutes?" and the
/// audit log can name the rule behind an exemption. Where the config says it, the file and line are named: with
/// drop-ins in conf.d, "the top level" alone does not say which file.
public enum LimitSource: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The user is listed in exclude_users (written at `at`, when known).
    case excludeUsers(user: String, at: SourceLocation?)
    /// One of the user's groups is listed in exclude_groups.
    case excludeGroups(group: String, at: SourceLocation?)
    /// A [[rule]]: its 1-based position among the rules of every file, its optional name, and its header.
    case rule(index: Int, name: String?, file: String, line: Int)
    /// An argument on the pam.d line the session was opened through, as written (`idle_timeout=30m`).
    case moduleArgument(String)
    /// The top level of a config file: where the key in force was written.
    case topLevel(at: SourceLocation?)
    /// Nothing set it; idlewarden's own default.
    case builtInDefault

    public var description: String {
        switch self {
        case .excludeUsers(let user, let at): return "exclude_users (\(user)\(Self.place(at)))"
        case .excludeGroups(let group, let at): return "exclude_groups (\(group)\(Self.place(at)))"
        case .rule(let index, let name?, let file, let line): return "rule \(index) \"\(name)\" (\(file):\(line))"
        case .rule(let index, nil, let file, let line): return "rule \(index) (\(file):\(line))"
        case .moduleArgument(let argument): return "module argument \(argument)"
        case .topLevel(let at?): return "config top level, \(at.file):\(at.line)"
        case .topLevel(nil): return "config top level"
        case .builtInDefault: return "built-in default"
        }
    }

    private static func place(_ at: SourceLocation?) -> String {
        at.map { ", \($0.file):\($0.line)" } ?? ""
    }
}
