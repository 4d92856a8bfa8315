import CIdleWarden

#if canImport(Glibc)
import Glibc
#endif

/// One daemon per state directory: an exclusive flock on `STATE_DIR/lock`, held for the daemon's life and let go
/// by the kernel when it exits, however it exits. A second daemon on the same paths (an admin trying it by hand)
/// stops before it binds a socket or reads the state, so the running daemon keeps its sockets and its state.
public final class StateLock {
    /// Another daemon holds the lock.
    public struct Held: Error, CustomStringConvertible {
        public var path: String
        /// The pid the holder wrote into the lock file, if it could be read.
        public var holder: Int32?

        public var description: String {
            "another idlewarden daemon\(holder.map { " (pid \($0))" } ?? "") runs on this state directory: \(path) "
                + "is locked; stop it first, or give this one its own --state-dir and --socket"
        }
    }

    let path: String
    private let descriptor: Int32

    /// Takes the lock, creating the file (0600, never through a symlink) if needed, and writes the daemon's pid
    /// into it for the message a second daemon gives.
    init(directory: String) throws {
        path = directory + "/lock"
        let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError("open \(path)") }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == getuid() else {
            close(fd)
            throw SystemError("\(path) must be a regular file owned by uid \(getuid())", errno: EPERM)
        }
        guard iw_flock_exclusive(fd) == 0 else {
            let failure = errno
            let holder = Self.holder(fd)
            close(fd)
            guard failure == EWOULDBLOCK else { throw SystemError("flock \(path)", errno: failure) }
            throw Held(path: path, holder: holder)
        }
        descriptor = fd
        let text = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 { _ = pwrite(fd, text, text.count, 0) }
    }

    deinit {
        close(descriptor)
    }

    private static func holder(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer.prefix(count), as: UTF8.self).trimmingSpaces)
    }
}
