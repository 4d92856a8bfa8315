/// Why systemd-logind gave no idle hint for a session, as `busctl` reported it. Each ends in the daemon falling
/// back to the X server's idle time (x11) or to a desktop it cannot read (wayland: see `UnobservableDisplay`); the
/// message goes to the audit trail once per session.
public enum LogindError: Error, Equatable, Sendable, CustomStringConvertible {
    /// logind knows no session for the login's process: pam_systemd is not in the PAM stack of this service,
    /// or the process left its session's cgroup.
    case noSession(String)
    /// The bus or logind refused or failed the call (access denied, no such object, bus not running), or busctl
    /// did not run or answer in time.
    case callFailed(String)
    /// busctl printed something that is not the reply it prints for this call (another busctl version?).
    case malformed(String)

    public var description: String {
        switch self {
        case .noSession(let text): return "logind has no session for this login (\(text)); is pam_systemd in its PAM stack?"
        case .callFailed(let text): return "logind call failed: \(text)"
        case .malformed(let text): return "unexpected busctl output: \(text)"
        }
    }
}
