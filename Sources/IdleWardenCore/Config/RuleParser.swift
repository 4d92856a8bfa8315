/// Turns one `[[rule]]` table into a `Rule`, reporting every problem in it. Bounds that depend on the top level
/// (the 60 s minimum, warn_before < idle_timeout) are checked afterwards by `ConfigValidation`.
struct RuleParser {
    /// The rule's 1-based number among the rules of every file read (the main file, then its drop-ins).
    let index: Int
    private(set) var reader: ConfigTableReader
    private(set) var nameReferences: [NameReference] = []

    init(table: TOMLTable, index: Int, file: String) {
        self.index = index
        self.reader = ConfigTableReader(table: table, file: file)
    }

    var headerLocation: SourceLocation { reader.tableLocation }

    mutating func parse() -> Rule {
        for key in reader.keys where !ConfigKeys.isAccepted(key, among: ConfigKeys.rule) {
            reader.report(ConfigKeys.error(for: key, at: reader.location(key), inRule: index))
        }
        var rule = Rule(index: index, line: headerLocation.line, file: reader.file)
        if let name = reader.string("name") {
            if name.isEmpty {
                reader.report(.invalidValue(reader.location("name"), key: "name",
                                            message: "empty name; remove the key or give the rule a name"))
            } else {
                rule.name = name
            }
        }
        rule.groups = names("groups", kind: .group)
        rule.users = names("users", kind: .user)
        rule.services = matchList("services")?.map(\.text)
        rule.ttys = globs("ttys", ignoringCase: false)
        rule.types = types("types")
        rule.remote = globs("remote", ignoringCase: true)
        rule.settings = PolicySettings(
            idleTimeout: reader.duration("idle_timeout"), warnBefore: reader.duration("warn_before"),
            signalInterval: reader.duration("signal_interval"), maxSession: reader.duration("max_session"),
            exempt: reader.bool("exempt"), checkNoTTY: reader.bool("check_no_tty"),
            allowKeepalive: reader.bool("allow_keepalive"), activity: reader.choice("activity", as: ActivityMode.self),
            end: reader.choice("end", as: EndMode.self), graphical: reader.bool("graphical"),
            allowInhibit: reader.bool("allow_inhibit"), maxInhibit: reader.duration("max_inhibit"),
            warnMessage: reader.notice("warn_message"), warnAgain: reader.duration("warn_again"),
            lockAfter: reader.duration("lock_after"))
        return rule
    }

    /// A match list, which must not be empty: `groups = []` would silently make the whole rule match nothing.
    private mutating func matchList(_ key: String) -> [(text: String, location: SourceLocation)]? {
        guard let list = reader.stringList(key) else { return nil }
        guard !list.isEmpty else {
            reader.report(.invalidValue(reader.location(key), key: key,
                                        message: "an empty list matches no session; remove \(key) or list at least one"))
            return nil
        }
        return list
    }

    private mutating func names(_ key: String, kind: NameReference.Kind) -> [String]? {
        guard let list = matchList(key) else { return nil }
        nameReferences += list.map { NameReference(kind: kind, name: $0.text, key: key, location: $0.location) }
        return list.map(\.text)
    }

    /// `types = ["x11", "tty"]`: each element one of the `SessionType` names.
    private mutating func types(_ key: String) -> [SessionType]? {
        guard let list = matchList(key) else { return nil }
        var types: [SessionType] = []
        for (text, location) in list {
            guard let type = SessionType(rawValue: text) else {
                reader.report(.invalidChoice(location, key: key, value: text,
                                             allowed: SessionType.allCases.map(\.rawValue)))
                continue
            }
            types.append(type)
        }
        return types.count == list.count ? types : nil
    }

    private mutating func globs(_ key: String, ignoringCase: Bool) -> [Glob]? {
        guard let list = matchList(key) else { return nil }
        var globs: [Glob] = []
        for (text, location) in list {
            do {
                globs.append(try Glob(text, ignoringCase: ignoringCase))
            } catch {
                reader.report(.invalidGlob(location, key: key, error))
            }
        }
        return globs.count == list.count ? globs : nil
    }
}
