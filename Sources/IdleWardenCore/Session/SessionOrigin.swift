/// How the daemon learned of a session. It decides which processes the end reaches: a PAM, logind or utmp leader
/// is the login process itself (sshd's monitor, login, su, a display manager's worker), which must live to close
/// the session and is never signalled; a session adopted from its terminal is led by the user's own shell, which is part of what ends.
public enum SessionOrigin: String, Equatable, Sendable, Codable {
    /// Registered by the PAM module.
    case pam
    /// Found at start-up in utmp (a login made while the daemon was down); led by the root login process.
    case utmp
    /// Found at start-up as a terminal session below sshd or login with no utmp record.
    case terminal
    /// Found at start-up in systemd-logind's session list, opened through a PAM service that runs the module;
    /// led by the process that opened the logind session (logind's `Leader`).
    case logind

    public var leaderIsLoginProcess: Bool { self != .terminal }
}
