/// One `[[rule]]` table: which sessions it matches and which limits it sets for them.
///
/// All match keys present must match (AND); within one key's list any element may match (OR); a rule without
/// match keys matches every session. Rules are tried in order (the main file's, then each drop-in's) and the first
/// matching rule that sets a key decides that key, so a specific rule placed early can refine one limit without
/// restating the others.
public struct Rule: Equatable, Sendable {
    /// 1-based position among the [[rule]] tables of every file read: the main file's, then each drop-in's.
    public var index: Int
    public var name: String?
    /// The file and line of the rule's `[[rule]]` header, for `explain`, the summary and the audit log.
    public var file: String
    public var line: Int
    /// Match keys; nil when the key is absent (matches anything), never empty.
    public var groups: [String]?
    public var users: [String]?
    public var services: [String]?
    /// Matched against PAM_TTY as given and without a leading "/dev/" ("ttyS*" matches "/dev/ttyS0").
    public var ttys: [Glob]?
    /// Matched against the session's type: "x11" for a display (PAM_TTY ":N"), "tty" for every other session.
    public var types: [SessionType]?
    /// Matched against PAM_RHOST, ignoring case; the pattern "local" matches sessions with no remote host.
    public var remote: [Glob]?
    public var settings: PolicySettings

    /// The word in `remote` that stands for "no remote host", as PAM leaves PAM_RHOST unset for local logins.
    public static let localRemote = "local"

    public init(
        index: Int, name: String? = nil, line: Int, file: String = Config.defaultPath, groups: [String]? = nil, users: [String]? = nil,
        services: [String]? = nil, ttys: [Glob]? = nil, remote: [Glob]? = nil, settings: PolicySettings = .init(),
        types: [SessionType]? = nil
    ) {
        self.index = index
        self.name = name
        self.line = line
        self.file = file
        self.groups = groups
        self.users = users
        self.services = services
        self.ttys = ttys
        self.types = types
        self.remote = remote
        self.settings = settings
    }

    /// How the rule is named in `status`, the audit log and `Exemption.rule`: its name, or its number.
    public var label: String { name ?? String(index) }

    public var source: LimitSource { .rule(index: index, name: name, file: file, line: line) }

    public func matches(_ facts: SessionFacts) -> Bool {
        if let groups, !groups.contains(where: facts.groups.contains) { return false }
        if let users, !users.contains(facts.user) { return false }
        if let services, !services.contains(facts.service) { return false }
        if let ttys, !ttys.contains(where: { Self.matches($0, tty: facts.tty) }) { return false }
        if let types, !types.contains(facts.sessionType) { return false }
        if let remote, !remote.contains(where: { Self.matches($0, rhost: facts.rhost) }) { return false }
        return true
    }

    /// The match keys as config text, for the summary ("groups = [oncall], ttys = [ttyS*]").
    public var matchDescription: String {
        let keys: [(String, [String]?)] = [
            ("groups", groups), ("users", users), ("services", services),
            ("ttys", ttys?.map(\.pattern)), ("types", types?.map(\.rawValue)), ("remote", remote?.map(\.pattern)),
        ]
        let parts = keys.compactMap { key, values in values.map { "\(key) = [\($0.joined(separator: ", "))]" } }
        return parts.isEmpty ? "every session" : parts.joined(separator: ", ")
    }

    private static func matches(_ glob: Glob, tty: String?) -> Bool {
        guard let tty, !tty.isEmpty else { return false }
        if glob.matches(tty) { return true }
        return tty.hasPrefix("/dev/") && glob.matches(String(tty.dropFirst(5)))
    }

    private static func matches(_ glob: Glob, rhost: String?) -> Bool {
        guard let rhost, !rhost.isEmpty else { return glob.pattern.lowercased() == localRemote }
        return glob.pattern.lowercased() != localRemote && glob.matches(rhost)
    }
}
