/// One session in systemd-logind's list (`ListSessions`): its id, its user, its seat and its object path.
public struct LogindSession: Equatable, Sendable {
    /// logind's session id (`3`, `c1`): XDG_SESSION_ID in the login's PAM environment, `session-ID.scope`.
    public var id: String
    public var uid: UInt32
    public var user: String
    /// The seat (`seat0`), empty for a session without one (SSH, su).
    public var seat: String
    public var path: String

    public init(id: String, uid: UInt32, user: String, seat: String, path: String) {
        self.id = id
        self.uid = uid
        self.user = user
        self.seat = seat
        self.path = path
    }
}
