/// What is known about a session when its limits are resolved: who, through which PAM service, from where.
public struct SessionFacts: Equatable, Sendable, Codable {
    public var user: String
    public var uid: UInt32
    /// Names of the user's primary and supplementary groups, resolved by the daemon at open.
    public var groups: [String]
    public var service: String
    public var tty: String?
    public var rhost: String?
    /// PAM_XDISPLAY, set by display managers for X sessions.
    public var xdisplay: String?
    /// XDG_SESSION_TYPE from the PAM environment (x11, wayland, tty), set by GDM, SDDM and pam_systemd users.
    public var xdgSessionType: String?
    /// Policy arguments from the pam.d line (`idle_timeout=30m`, `exempt`, ...).
    public var moduleArguments: [String]

    public init(
        user: String, uid: UInt32, groups: [String], service: String, tty: String? = nil, rhost: String? = nil,
        xdisplay: String? = nil, xdgSessionType: String? = nil, moduleArguments: [String] = []
    ) {
        self.user = user
        self.uid = uid
        self.groups = groups
        self.service = service
        self.tty = tty
        self.rhost = rhost
        self.xdisplay = xdisplay
        self.xdgSessionType = xdgSessionType
        self.moduleArguments = moduleArguments
    }
}
