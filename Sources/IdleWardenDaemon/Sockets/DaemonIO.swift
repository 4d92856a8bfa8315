#if canImport(Glibc)
import Glibc
#endif

/// The installed daemon's sockets and its event loop. Unit tests make a `Daemon` without them and call its
/// handlers directly.
final class DaemonIO {
    /// For `status`, `keepalive` and the like from any user (0666); replies go out through it.
    let control: ControlSocket
    /// For the PAM module (0600), so that no local user can fill its queue and make logins miss registration.
    let session: ControlSocket
    let loop: EventLoop
    /// In the loop's order: `.socket(index)` names `sockets[index]`.
    private let sockets: [ControlSocket]

    init(options: Daemon.Options) throws {
        control = try ControlSocket(path: options.socketPath, mode: 0o666)
        session = try ControlSocket(path: options.sessionSocketPath, mode: 0o600)
        sockets = [session, control]
        loop = try EventLoop(sockets: sockets.map(\.descriptor), signals: [SIGHUP, SIGTERM, SIGINT])
        signal(SIGPIPE, SIG_IGN)
    }

    func socket(at index: Int) -> ControlSocket { sockets[index] }

    /// Removes the socket files on an orderly stop.
    func unlinkPaths() {
        control.unlinkPath()
        session.unlinkPath()
    }
}
