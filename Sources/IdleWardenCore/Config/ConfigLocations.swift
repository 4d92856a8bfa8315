/// Where the values of a config were written, for `explain`, `check-config` and the audit log: with drop-ins,
/// a value may come from any of several files.
public struct ConfigLocations: Equatable, Sendable {
    /// Each top-level key that a file sets, by its current name: where the value in force was written (the
    /// last file that sets it).
    public var keys: [String: SourceLocation]
    /// Each excluded user and group: where its name was written (the first time).
    public var excludedUsers: [String: SourceLocation]
    public var excludedGroups: [String: SourceLocation]

    public init(
        keys: [String: SourceLocation] = [:], excludedUsers: [String: SourceLocation] = [:],
        excludedGroups: [String: SourceLocation] = [:]
    ) {
        self.keys = keys
        self.excludedUsers = excludedUsers
        self.excludedGroups = excludedGroups
    }
}
