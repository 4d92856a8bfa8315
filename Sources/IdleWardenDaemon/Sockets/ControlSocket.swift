import CIdleWarden
import IdleWardenClient
import IdleWardenWire

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's control socket, a datagram socket (mode 0666) that takes requests from any user. Every datagram
/// arrives with the sender's kernel credentials. The PAM module registers sessions on another socket, one
/// connection per login (`SessionListener`), so that nothing a user sends here stands in a login's way.
public final class ControlSocket {
    public let path: String
    public let mode: mode_t
    public let descriptor: Int32
    /// The socket file as bound (device and inode), to remove it only while it is still this one.
    private var bound: (device: dev_t, inode: ino_t) = (0, 0)

    public enum Received {
        case datagram([UInt8], Sender)
        /// Larger than a request may be; only its size and sender are kept.
        case oversized(Int, Sender)
        case noCredentials
        case empty(Sender)
    }

    /// Creates the socket directory (0755, root) if needed and binds the socket with `mode`.
    public init(path: String, mode: mode_t) throws {
        self.path = path
        self.mode = mode
        try SocketDirectory.prepare(for: path)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
            | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        descriptor = fd
        do {
            var on: Int32 = 1
            guard setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                throw SystemError("setsockopt SO_PASSCRED")
            }
            guard let address = UnixSocketAddress(path) else {
                throw SystemError(
                    "socket path \(path) is longer than \(UnixSocketAddress.maxPathLength) bytes", errno: ENAMETOOLONG)
            }
            var info = stat()
            if lstat(path, &info) == 0 {
                guard (info.st_mode & S_IFMT) == S_IFSOCK else {
                    throw SystemError("\(path) exists and is not a socket", errno: EEXIST)
                }
                // A socket someone still receives on is another daemon's (started with another state directory):
                // taking it over would leave that one deaf. Only a stale one, left by a daemon that died, goes.
                guard !Self.isListening(address) else {
                    throw SystemError("\(path) is in use by another running daemon", errno: EADDRINUSE)
                }
                unlink(path)
            }
            guard address.withSockaddr({ bind(fd, $0, $1) }) == 0 else { throw SystemError("bind \(path)") }
            guard chmod(path, mode) == 0, lstat(path, &info) == 0 else { throw SystemError("chmod \(path)") }
            bound = (info.st_dev, info.st_ino)
            var size: Int32 = 1 << 20
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        } catch {
            close(fd)
            throw error
        }
    }

    deinit {
        close(descriptor)
    }

    /// Removes the socket file on an orderly stop, so a stale path never looks like a live daemon; only while
    /// the path is still this socket's (another daemon may have bound it since).
    public func unlinkPath() {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_dev == bound.device, info.st_ino == bound.inode else { return }
        unlink(path)
    }

    /// Whether a process receives on the datagram socket at `address`: a connect succeeds only then (a socket file
    /// whose daemon is gone refuses it).
    private static func isListening(_ address: UnixSocketAddress) -> Bool {
        let probe = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard probe >= 0 else { return false }
        defer { close(probe) }
        return address.withSockaddr { connect(probe, $0, $1) } == 0
    }

    /// Sends a reply without blocking; a client that went away or whose buffer is full loses its answer.
    @discardableResult
    public func send(_ bytes: [UInt8], to address: [UInt8]) -> Bool {
        guard address.count > MemoryLayout<sa_family_t>.size else { return false }
        return address.withUnsafeBytes { addressBytes in
            bytes.withUnsafeBytes { payload in
                sendto(descriptor, payload.baseAddress, payload.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL),
                       addressBytes.baseAddress!.assumingMemoryBound(to: sockaddr.self),
                       socklen_t(addressBytes.count)) == payload.count
            }
        }
    }
}
