/// What a datagram asks for. Open and close come only from root (the PAM module); the daemon checks the
/// sender's kernel credentials, never a field of the datagram.
public enum MessageKind: UInt8, Equatable, Sendable {
    case open = 1
    case close = 2
    case status = 3
    case keepalive = 4
    /// Re-read the config now (root only); the answer carries the errors when it is refused.
    case reload = 5
    /// Apply the policy to every session now (root only); `flags` bit 0 asks for a dry run.
    case sweep = 6
    /// The daemon's metrics in the Prometheus text format (root only).
    case metrics = 7
    /// Hold the sender's session while the sender runs (`idlewarden inhibit`); the daemon takes the process from
    /// the kernel credentials, never from a field.
    case inhibit = 8
    case reply = 0x80
}
