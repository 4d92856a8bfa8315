import CIdleWarden
import IdleWardenClient
import IdleWardenWire

#if canImport(Glibc)
import Glibc
#endif

/// The PAM module's session socket: a SOCK_SEQPACKET listener at session.sock, mode 0600 (root only). Each
/// login connects on its own and leaves its one record in its connection's own queue, so logins that come
/// faster than the daemon reads wait in the listen backlog (net.core.somaxconn, 4096 by default) instead of in
/// one datagram queue of net.unix.max_dgram_qlen (10 by default): a burst of logins, or a daemon busy with a
/// flood on the control socket, costs them a wait, never their registration.
///
/// Nothing here blocks the daemon: the listener and every accepted connection are non-blocking, a wake-up
/// accepts a bounded number of connections, and a connection whose record has not arrived yet waits in an epoll
/// set of the listener's own (`descriptor`, what the event loop watches, with a timer) and is dropped when it
/// has sent nothing within `patience`.
final class SessionListener {
    enum Received {
        /// One record and its sender as the kernel attests it: the credentials the sender attached (its
        /// effective uid, which the kernel accepts only from a process that has it) or else its real ones.
        case record([UInt8], Sender)
        /// Larger than a record may be; only its size and sender are kept.
        case oversized(Int, Sender)
        case noCredentials
        /// A connection that closed, or stayed silent for `patience`, without a record: the peer as it connected.
        case silent(Sender)
    }

    let path: String
    /// An epoll set of the listener, the connections whose record is awaited and their timer.
    let descriptor: Int32
    private let listener: Int32
    private let timer: Int32
    /// Milliseconds a connection may take to send its record (the module sends right after connecting).
    private let patience: Int64
    /// Connections accepted before their record arrived, with the boot-clock millisecond they were accepted.
    private var waiting: [(fd: Int32, since: Int64)] = []

    /// At most this many connections are accepted per wake-up, so that a burst of logins cannot starve the control
    /// socket or the deadlines; the rest wait in the backlog and keep the listener readable.
    static let acceptLimit = 256
    /// Connections kept waiting for their record; past it the oldest is dropped.
    static let waitingLimit = 256

    /// Binds `path` (replacing a stale socket, refusing anything else) in a directory owned by root and not
    /// writable by others, made 0755 if missing, and listens with the largest backlog the kernel allows.
    init(path: String, patienceMilliseconds: Int64 = 2000) throws {
        self.path = path
        patience = patienceMilliseconds
        try SocketDirectory.prepare(for: path)
        guard let address = UnixSocketAddress(path) else {
            throw SystemError("socket path \(path) is longer than \(UnixSocketAddress.maxPathLength) bytes",
                              errno: ENAMETOOLONG)
        }
        let nonblocking = Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        listener = socket(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | nonblocking, 0)
        guard listener >= 0 else { throw SystemError("socket") }
        descriptor = epoll_create1(Int32(EPOLL_CLOEXEC))
        timer = timerfd_create(CLOCK_BOOTTIME, Int32(TFD_CLOEXEC | TFD_NONBLOCK))
        do {
            guard descriptor >= 0 else { throw SystemError("epoll_create1") }
            guard timer >= 0 else { throw SystemError("timerfd_create") }
            var on: Int32 = 1
            guard setsockopt(listener, SOL_SOCKET, SO_PASSCRED, &on, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                throw SystemError("setsockopt SO_PASSCRED")
            }
            var info = stat()
            if lstat(path, &info) == 0 {
                guard (info.st_mode & S_IFMT) == S_IFSOCK else {
                    throw SystemError("\(path) exists and is not a socket", errno: EEXIST)
                }
                unlink(path)
            }
            guard address.withSockaddr({ bind(listener, $0, $1) }) == 0 else { throw SystemError("bind \(path)") }
            guard chmod(path, 0o600) == 0 else { throw SystemError("chmod \(path)") }
            // The kernel caps the backlog at net.core.somaxconn.
            guard listen(listener, Int32.max) == 0 else { throw SystemError("listen \(path)") }
            try watch(listener)
            try watch(timer)
        } catch {
            close(listener)
            if descriptor >= 0 { close(descriptor) }
            if timer >= 0 { close(timer) }
            throw error
        }
    }

    deinit {
        for connection in waiting { close(connection.fd) }
        close(listener)
        close(timer)
        close(descriptor)
    }

    /// Removes the socket file on an orderly stop, so a stale path never looks like a live daemon.
    func unlinkPath() {
        unlink(path)
    }

    /// What arrived: first the records of connections that were waiting (they connected first), then those of
    /// up to `acceptLimit` new connections. Never blocks.
    func receive() -> [Received] {
        var expirations: UInt64 = 0
        _ = read(timer, &expirations, MemoryLayout<UInt64>.size)
        let now = Self.bootMilliseconds()
        var results: [Received] = []
        var stillWaiting: [(fd: Int32, since: Int64)] = []
        for connection in waiting {
            if let received = Self.readRecord(connection.fd) {
                forget(connection.fd)
                results.append(received)
            } else if now - connection.since >= patience {
                results.append(.silent(Self.peer(of: connection.fd)))
                forget(connection.fd)
            } else {
                stillWaiting.append(connection)
            }
        }
        waiting = stillWaiting
        for _ in 0..<Self.acceptLimit {
            // The accepted socket inherits SO_PASSCRED from the listener.
            let fd = iw_accept_nonblocking(listener)
            guard fd >= 0 else { break }
            if let received = Self.readRecord(fd) {
                close(fd)
                results.append(received)
                continue
            }
            if waiting.count >= Self.waitingLimit {
                let oldest = waiting.removeFirst()
                results.append(.silent(Self.peer(of: oldest.fd)))
                forget(oldest.fd)
            }
            if (try? watch(fd)) != nil {
                waiting.append((fd, now))
            } else {
                results.append(.silent(Self.peer(of: fd)))
                close(fd)
            }
        }
        armTimer(now: now)
        return results
    }

    /// The process that connected, as the kernel recorded it at connect (SO_PEERCRED), for a connection that
    /// brought no record.
    private static func peer(of fd: Int32) -> Sender {
        var peer = iw_credentials()
        iw_peer_credentials(fd, &peer)
        return Sender(pid: peer.pid, uid: peer.uid, gid: peer.gid, address: [])
    }

    /// The connection's record, its end without one (`.silent`), or nil while it is still to come.
    private static func readRecord(_ fd: Int32) -> Received? {
        var buffer = [UInt8](repeating: 0, count: Datagram.requestLimit)
        var credentials = iw_credentials()
        var hasCredentials: Int32 = 0
        var truncated: Int32 = 0
        var from = sockaddr_un()
        var fromLength = socklen_t(MemoryLayout<sockaddr_un>.size)
        let count = buffer.withUnsafeMutableBytes { raw in
            iw_recv_with_creds(fd, raw.baseAddress, raw.count, &credentials, &hasCredentials, &from, &fromLength,
                               &truncated)
        }
        if count < 0 {
            return errno == EAGAIN || errno == EINTR ? nil : .silent(peer(of: fd))
        }
        guard count > 0 else { return .silent(peer(of: fd)) }
        guard hasCredentials != 0 else { return .noCredentials }
        let sender = Sender(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid, address: [])
        if truncated != 0 { return .oversized(count, sender) }
        return .record(Array(buffer.prefix(count)), sender)
    }

    /// CLOCK_BOOTTIME in milliseconds, the clock of the patience timer.
    private static func bootMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_BOOTTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    private func watch(_ fd: Int32) throws {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
        event.data.fd = fd
        guard epoll_ctl(descriptor, EPOLL_CTL_ADD, fd, &event) == 0 else { throw SystemError("epoll_ctl add") }
    }

    private func forget(_ fd: Int32) {
        epoll_ctl(descriptor, EPOLL_CTL_DEL, fd, nil)
        close(fd)
    }

    /// Wakes the loop when the oldest waiting connection runs out of patience.
    private func armTimer(now: Int64) {
        var spec = itimerspec()
        if let oldest = waiting.map(\.since).min() {
            let delay = max(1, oldest + patience - now)
            spec.it_value.tv_sec = Int(delay / 1000)
            spec.it_value.tv_nsec = Int((delay % 1000) * 1_000_000)
        }
        timerfd_settime(timer, 0, &spec, nil)
    }
}
