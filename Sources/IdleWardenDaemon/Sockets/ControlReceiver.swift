import CIdleWarden
import IdleWardenWire

#if canImport(Glibc)
import Glibc
#endif

/// The process that reads the world-writable control socket for the daemon, and the daemon's end of its channel.
///
/// Whatever dequeues a datagram also drops the descriptors it carries (SCM_RIGHTS), in that thread, and the last
/// close of a descriptor can sleep: a TCP socket with a long SO_LINGER and unsent data sleeps until the linger
/// ends, and a plain recv() with no room for ancillary data does not avoid it. So the daemon never receives
/// from the control socket itself: this child does (`idlewarden control-receiver`, see `iw_receiver_step`), and
/// the daemon kills and replaces it when it stalls (`ReceiverWatchdog`). The daemon keeps the socket: it sends
/// the replies and hands it to the next receiver. Where the kernel has SO_PASSRIGHTS (Linux 6.16+), it is set
/// to 0 on the control socket, and a datagram that carries descriptors is refused before it is queued.
public final class ControlReceiver {
    let socket: ControlSocket
    /// SO_PASSRIGHTS = 0 took effect: the kernel refuses descriptors sent to the control socket.
    let refusesDescriptors: Bool
    private(set) var pid: pid_t = 0
    /// Readable once the receiver has exited; -1 when there is no receiver.
    private(set) var pidfd: Int32 = -1
    /// The daemon's end of the channel; -1 when there is no receiver.
    private(set) var channel: Int32 = -1
    /// Receivers given up on before they were reaped (killed ones that did not exit within the wait).
    private var unreaped: [pid_t] = []
    private var buffer = [UInt8](repeating: 0, count: ReceiverFrame.headerSize + Datagram.requestLimit)
    private let executable: String

    /// Sets SO_PASSRIGHTS where the kernel has it; `start` runs the first receiver.
    init(socket: ControlSocket, executable: String = "/proc/self/exe") {
        self.socket = socket
        self.executable = executable
        refusesDescriptors = iw_refuse_passed_descriptors(socket.descriptor) == 0
    }

    deinit {
        if pidfd >= 0 { kill() }
        retire()
    }

    /// Runs a new receiver on the control socket.
    func start() throws {
        var channel: Int32 = -1
        var pidfd: Int32 = -1
        let pid = iw_receiver_spawn(executable, socket.descriptor, &channel, &pidfd)
        guard pid > 0 else { throw SystemError("start the control receiver (\(executable) control-receiver)") }
        guard pidfd >= 0 else {
            let error = errno
            Glibc.kill(pid, SIGKILL)
            Glibc.close(channel)
            unreaped.append(pid)
            throw SystemError("pidfd_open of the control receiver", errno: error)
        }
        self.pid = pid
        self.pidfd = pidfd
        self.channel = channel
    }

    /// SIGKILL: the receiver's sleep in a descriptor's close is interruptible, so it dies at once.
    func kill() {
        guard pidfd >= 0 else { return }
        _ = iw_pidfd_send_signal(pidfd, SIGKILL)
    }

    /// The receiver is running or waiting for a CPU ("R" in /proc/PID/stat), not asleep in the kernel: then it is
    /// slow, not stuck in a close.
    var isRunnable: Bool {
        guard pid > 0 else { return false }
        return ProcText.withContents("/proc/\(pid)/stat") { text in
            guard let close = text.lastIndex(of: UInt8(ascii: ")")), close + 2 < text.endIndex else { return false }
            return text[close + 2] == UInt8(ascii: "R")
        } ?? false
    }

    /// Reaps the receiver if it has exited: its wait status, or nil while it runs.
    func reap() -> Int32? {
        guard pid > 0 else { return nil }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        pid = 0
        return status
    }

    /// Lets go of the receiver (reaped, or given up on): its channel and pidfd are closed, and an unreaped one is
    /// reaped later. Unread frames are dropped with the channel.
    func retire() {
        if channel >= 0 { Glibc.close(channel) }
        if pidfd >= 0 { Glibc.close(pidfd) }
        channel = -1
        pidfd = -1
        if pid > 0 { unreaped.append(pid) }
        pid = 0
        unreaped.removeAll { waitpid($0, nil, WNOHANG) != 0 }
    }

    /// The next frame on the channel, nil when none is waiting. A malformed frame is skipped.
    func nextFrame() -> ReceiverFrame? {
        guard channel >= 0 else { return nil }
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(channel, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            let frame = buffer.withUnsafeBytes { ReceiverFrame(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
            if let frame { return frame }
        }
    }

    /// The receiver's side, in `idlewarden control-receiver`: descriptor 3 is the control socket, 4 the channel.
    /// Returns false at once when they are not sockets or the daemon that started it is gone; otherwise serves
    /// until the daemon closes the channel.
    public static func serve(parent: Int32) -> Bool {
        for fd: Int32 in [3, 4] {
            var info = stat()
            guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFSOCK else { return false }
        }
        guard iw_receiver_confine(parent) == 1 else { return false }
        _ = iw_receiver_run(3, 4, Datagram.requestLimit)
        return true
    }
}
