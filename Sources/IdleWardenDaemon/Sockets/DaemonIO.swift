#if canImport(Glibc)
import Glibc
#endif

/// The installed daemon's sockets and its event loop. Unit tests make a `Daemon` without them and call its
/// handlers directly.
final class DaemonIO {
    /// For `status`, `keepalive` and the like from any user (0666). The daemon never receives from it (the
    /// receiver does); replies go out through it.
    let control: ControlSocket
    /// The process that reads `control` and forwards what it reads.
    let receiver: ControlReceiver
    /// For the PAM module (0600), so that no local user can fill its queue and make logins miss registration.
    let session: ControlSocket
    let loop: EventLoop
    /// In the loop's order: `.socket(index)` names `sockets[index]`.
    private let sockets: [ControlSocket]

    init(options: Daemon.Options) throws {
        control = try ControlSocket(path: options.socketPath, mode: 0o666)
        session = try ControlSocket(path: options.sessionSocketPath, mode: 0o600)
        sockets = [session]
        loop = try EventLoop(sockets: sockets.map(\.descriptor), signals: [SIGHUP, SIGTERM, SIGINT])
        signal(SIGPIPE, SIG_IGN)
        receiver = ControlReceiver(socket: control)
        try startReceiver()
    }

    /// Runs a new control receiver and watches its channel and its exit.
    func startReceiver() throws {
        try receiver.start()
        try loop.watchReceiver(channel: receiver.channel, pidfd: receiver.pidfd)
    }

    /// Stops watching the receiver and lets go of it (see `ControlReceiver.retire`).
    func retireReceiver() {
        if receiver.channel >= 0 { loop.unwatch(receiver.channel) }
        if receiver.pidfd >= 0 { loop.unwatch(receiver.pidfd) }
        receiver.retire()
    }

    func socket(at index: Int) -> ControlSocket { sockets[index] }

    /// Removes the socket files on an orderly stop.
    func unlinkPaths() {
        control.unlinkPath()
        session.unlinkPath()
    }
}
