/// A user or group name written in the config, with where it was written. Core cannot ask the system whether the
/// name exists (no syscalls), so it keeps these for `ConfigParseResult.lookupWarnings`, which the daemon and
/// `check-config` call with their own lookups.
public struct NameReference: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case user
        case group
    }

    public var kind: Kind
    public var name: String
    /// The config key it appeared under (exclude_users, groups, ...).
    public var key: String
    /// The position of the name itself inside the list.
    public var location: SourceLocation

    public init(kind: Kind, name: String, key: String, location: SourceLocation) {
        self.kind = kind
        self.name = name
        self.key = key
        self.location = location
    }
}
