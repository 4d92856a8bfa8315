#if canImport(Glibc)
import Glibc
#endif

/// The directory the daemon's sockets live in (both of them, and the spool beside them).
enum SocketDirectory {
    /// Made 0755 if missing; refused unless it is a directory owned by the daemon's uid and not writable by
    /// group or others, so that nobody else can replace a socket in it.
    static func prepare(for path: String) throws {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        let directory = String(path[..<slash])
        if mkdir(directory, 0o755) != 0 && errno != EEXIST { throw SystemError("mkdir \(directory)") }
        var info = stat()
        guard lstat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw SystemError("\(directory) is not a directory", errno: ENOTDIR)
        }
        guard info.st_uid == getuid(), info.st_mode & 0o022 == 0 else {
            throw SystemError(
                "\(directory) must be owned by uid \(getuid()) and not group- or world-writable", errno: EPERM)
        }
    }
}
