#if canImport(Glibc)
import Glibc
#endif

/// Where a reply may go: the sender's own address as the kernel reported it, and only when it is an abstract one
/// (what `idlewarden` autobinds to). A filesystem path is refused: sending to it would make the daemon resolve a
/// path the sender controls, as root, at reply time, after the sender may have replaced its socket file with a
/// symlink (to another service's socket, /dev/log, a /proc/PID/fd link) or with a path through a mount that hangs.
/// An abstract name is looked up in the kernel's table of bound sockets only: no file system, no symlinks.
enum ReplyAddress: Equatable {
    /// The sender's abstract address, as bytes to hand to sendto.
    case abstract([UInt8])
    /// The sender bound a filesystem path (shown with its bytes as they are).
    case path(String)
    /// The sender has no address (it never bound one): no reply is possible.
    case unnamed

    private static let familySize = MemoryLayout<sa_family_t>.size

    init(_ address: [UInt8]) {
        guard address.count > Self.familySize else {
            self = .unnamed
            return
        }
        let path = address[Self.familySize...]
        if path.first == 0 {
            self = .abstract(address)
        } else {
            let end = path.firstIndex(of: 0) ?? path.endIndex
            self = .path(String(decoding: path[..<end], as: UTF8.self))
        }
    }
}
