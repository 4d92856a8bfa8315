import IdleWardenCore

/// What survives a daemon restart: every session with its last input and warning, so that a crash, an
/// upgrade or `kill -9` lets no idle session escape. `StateStore.writePayload` writes these fields by name
/// (StateStoreTests compares it with the synthesized encoding).
public struct PersistedState: Codable, Equatable, Sendable {
    public var savedAt: ClockSample
    /// The kernel's boot id when saved: boot-clock samples compare only within one boot.
    public var bootID: String?
    public var nextSessionNumber: UInt64
    public var sessions: [Session]

    public init(savedAt: ClockSample, bootID: String?, nextSessionNumber: UInt64, sessions: [Session]) {
        self.savedAt = savedAt
        self.bootID = bootID
        self.nextSessionNumber = nextSessionNumber
        self.sessions = sessions
    }
}
