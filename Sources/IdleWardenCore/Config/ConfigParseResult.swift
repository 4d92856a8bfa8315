/// What parsing a config file gives: a `Config` when there is no error, else every error found, sorted by position.
/// Warnings and the user/group names are kept either way, so that `check-config` can show all of them together.
public struct ConfigParseResult: Sendable {
    /// Nil exactly when `errors` is not empty.
    public let config: Config?
    public let errors: [ConfigError]
    /// Warnings that need no system lookup (short timeouts allowed, rules that set nothing).
    public let warnings: [ConfigWarning]
    /// Every user and group name written in the file, for `lookupWarnings`.
    public let nameReferences: [NameReference]

    init(config: Config?, errors: [ConfigError], warnings: [ConfigWarning], nameReferences: [NameReference]) {
        self.config = errors.isEmpty ? config : nil
        self.errors = errors.sorted { $0.location < $1.location }
        self.warnings = warnings.sorted { $0.location < $1.location }
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
        return warnings.sorted { $0.location < $1.location }
    }
}
