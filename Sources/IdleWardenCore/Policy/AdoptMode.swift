/// Which live logins the daemon takes on at start-up that it was never told about (the module failed open while
/// the daemon was down, or its report was lost), from the top-level key `adopt`.
public enum AdoptMode: String, CaseIterable, Equatable, Hashable, Sendable, Codable {
    /// Logins whose PAM service runs the module: where systemd-logind runs, logind's sessions whose `Service`
    /// stack names pam_idlewarden.so; elsewhere, the logins found in utmp and below sshd or login.
    case module
    /// None: only what the module reports is tracked.
    case none
}
