#if canImport(Glibc)
import Glibc
#endif

/// The `sockaddr_un` of a socket path: what the daemon binds and the client sends to. A path that does not fit
/// is refused, never cut, since a cut path would name another socket.
public struct UnixSocketAddress {
    /// The longest path that fits, without its terminating NUL (107 bytes on Linux).
    public static let maxPathLength = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    private var address = sockaddr_un()

    /// Nil when `path` is longer than `maxPathLength` bytes.
    public init?(_ path: String) {
        let bytes = Array(path.utf8)
        guard bytes.count <= Self.maxPathLength else { return nil }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
    }

    /// Calls `body` with the address and its length, as bind(2) and sendto(2) take them.
    public func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        withUnsafePointer(to: address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }
}
