#if canImport(Glibc)
import Glibc
#endif

/// The `sockaddr_un` of a socket path: what the daemon binds and the client sends to. A path that does not fit
/// is refused, never cut, since a cut path would name another socket.
public struct UnixSocketAddress {
    /// The longest path that fits, without its terminating NUL (107 bytes on Linux).
    public static let maxPathLength = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    private let address: sockaddr_un
    private let length: socklen_t

    /// Nil when `path` is longer than `maxPathLength` bytes.
    public init?(_ path: String) {
        guard let address = Self.make(Array(path.utf8), leadingNUL: false) else { return nil }
        self.init(address: address, length: socklen_t(MemoryLayout<sockaddr_un>.size))
    }

    /// An address as systemd writes one (NOTIFY_SOCKET): a path, or with a leading `@` a name in the abstract
    /// namespace, whose length is part of the name (no NUL, nothing after it). Nil when it is empty or too long.
    public init?(systemdAddress text: String) {
        guard text.hasPrefix("@") else {
            guard !text.isEmpty else { return nil }
            self.init(text)
            return
        }
        let name = Array(text.utf8.dropFirst())
        guard !name.isEmpty, let address = Self.make(name, leadingNUL: true) else { return nil }
        self.init(address: address, length: socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + 1 + name.count))
    }

    private init(address: sockaddr_un, length: socklen_t) {
        self.address = address
        self.length = length
    }

    /// `bytes` in sun_path (which starts zeroed: a path is NUL-terminated), after a NUL for the abstract namespace.
    private static func make(_ bytes: [UInt8], leadingNUL: Bool) -> sockaddr_un? {
        guard bytes.count <= maxPathLength else { return nil }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.baseAddress!.advanced(by: leadingNUL ? 1 : 0).copyMemory(from: bytes, byteCount: bytes.count)
        }
        return address
    }

    /// Calls `body` with the address and its length, as bind(2) and sendto(2) take them.
    public func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        withUnsafePointer(to: address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}
