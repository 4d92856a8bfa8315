/// What the daemon reads of a logind session it never heard of, to decide whether to adopt it and with which
/// facts: properties of org.freedesktop.login1.Session, in `LogindReply.detailProperties` order.
public struct LogindSessionDetails: Equatable, Sendable {
    /// The process that opened the session through pam_systemd: sshd's monitor, login, su, a display manager's
    /// session worker. For a session adopted from logind it is the session's leader, as for a registered one.
    public var leader: UInt32
    /// The PAM service the session was opened through (`sshd`, `login`, `su-l`, `lightdm`).
    public var service: String
    /// The session's scope unit (`session-3.scope`).
    public var scope: String
    /// The terminal (`pts/0`, `tty1`) or empty.
    public var tty: String
    /// The X display (`:0`) or empty.
    public var display: String
    /// The remote host (PAM_RHOST) or empty.
    public var remoteHost: String
    /// tty, x11, wayland, mir or unspecified.
    public var type: String
    /// user, greeter, lock-screen or background.
    public var sessionClass: String
    /// online, active or closing.
    public var state: String

    public init(
        leader: UInt32, service: String, scope: String, tty: String, display: String, remoteHost: String,
        type: String, sessionClass: String, state: String
    ) {
        self.leader = leader
        self.service = service
        self.scope = scope
        self.tty = tty
        self.display = display
        self.remoteHost = remoteHost
        self.type = type
        self.sessionClass = sessionClass
        self.state = state
    }
}
