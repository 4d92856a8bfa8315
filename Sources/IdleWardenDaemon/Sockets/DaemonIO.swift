#if canImport(Glibc)
import Glibc
#endif

/// The installed daemon's sockets, its spool and its event loop. Unit tests make a `Daemon` without them and call
/// its handlers directly.
final class DaemonIO {
    /// For `status`, `keepalive` and the like from any user (0666). The daemon never receives from it (the
    /// receiver does); replies go out through it.
    let control: ControlSocket
    /// The process that reads `control` and forwards what it reads.
    let receiver: ControlReceiver
    /// For the PAM module (0600): each login on a connection of its own (see `SessionListener`).
    let session: SessionListener
    /// What the PAM module could not hand to the daemon at once (see `SessionSpool`).
    let spool: SessionSpool
    let loop: EventLoop

    /// What `.socket(index)` of the loop names.
    enum Source: Int {
        case session, spool
    }

    init(options: Daemon.Options) throws {
        control = try ControlSocket(path: options.socketPath, mode: 0o666)
        // The spool is watched before the session socket exists: a record spooled because it did not is seen.
        spool = try SessionSpool(path: SessionSpool.path(besides: options.sessionSocketPath))
        session = try SessionListener(path: options.sessionSocketPath)
        loop = try EventLoop(sockets: [session.descriptor, spool.descriptor], signals: [SIGHUP, SIGTERM, SIGINT])
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

    /// Removes the socket files on an orderly stop; the spool stays (what is written to it meanwhile is read at
    /// the next start).
    func unlinkPaths() {
        control.unlinkPath()
        session.unlinkPath()
    }
}
