/// What parsing a config file gives: a `Config` when there is no error, else every error found, sorted by position.
/// Warnings and the user/group names are kept either way, so that `check-config` can show all of them together.
public struct ConfigParseResult: Sendable {
    /// Nil exactly when `errors` is not empty.
    public let config: Config?
    public let errors: [ConfigError]
    /// Warnings that need no system lookup (short timeouts allowed, rules that set nothing).
    public let warnings: [ConfigWarning]
    /// Things that work as written but have a better form (a key under its old name).
    public let notes: [ConfigNote]
    /// Every user and group name written in the files, for `lookupWarnings`.
    public let nameReferences: [NameReference]
    /// The files read, in order: what positions are sorted by.
    let files: [String]

    /// Errors, warnings and notes are sorted by position: the files in the order they are read (`files`), then
    /// by line and column within a file.
    init(
        config: Config?, errors: [ConfigError], warnings: [ConfigWarning], notes: [ConfigNote] = [],
        nameReferences: [NameReference], files: [String] = []
    ) {
        let before = Self.order(files)
        self.files = files
        self.config = errors.isEmpty ? config : nil
        self.errors = errors.sorted { before($0.location, $1.location) }
        self.warnings = warnings.sorted { before($0.location, $1.location) }
        self.notes = notes.sorted { before($0.location, $1.location) }
        self.nameReferences = nameReferences
    }

    static func failure(_ error: ConfigError) -> ConfigParseResult {
        ConfigParseResult(config: nil, errors: [error], warnings: [], nameReferences: [])
    }

    /// A warning for each user or group name the system does not know. Core makes no syscalls, so the caller
    /// passes the lookups (getpwnam/getgrnam in the daemon, stubs in tests).
    public func lookupWarnings(
        userExists: (String) -> Bool, groupExists: (String) -> Bool
    ) -> [ConfigWarning] {
        let warnings: [ConfigWarning] = nameReferences.compactMap { reference in
            switch reference.kind {
            case .user where !userExists(reference.name):
                return .unknownUser(reference.location, key: reference.key, name: reference.name)
            case .group where !groupExists(reference.name):
                return .unknownGroup(reference.location, key: reference.key, name: reference.name)
            case .user, .group:
                return nil
            }
        }
        let before = Self.order(files)
        return warnings.sorted { before($0.location, $1.location) }
    }

    /// Positions in the order of `files`, then by line and column.
    private static func order(_ files: [String]) -> (SourceLocation, SourceLocation) -> Bool {
        let rank = Dictionary(files.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return { a, b in
            let (ra, rb) = (rank[a.file] ?? Int.max, rank[b.file] ?? Int.max)
            return ra != rb ? ra < rb : a < b
        }
    }
}
