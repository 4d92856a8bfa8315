#if canImport(Glibc)
import Glibc
#endif

/// The daemon's private directory. It must be root's and closed to everyone else: a directory others can
/// write to would let them plant state that decides whose sessions end.
enum StateDirectory {
    static func prepare(_ path: String) throws {
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw SystemError("mkdir \(path)") }
        var info = stat()
        guard lstat(path, &info) == 0 else { throw SystemError("stat \(path)") }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw SystemError("state directory \(path) is not a directory", errno: ENOTDIR)
        }
        guard info.st_uid == getuid() else {
            throw SystemError("state directory \(path) is owned by uid \(info.st_uid), not \(getuid())", errno: EPERM)
        }
        guard info.st_mode & 0o022 == 0 else {
            throw SystemError("state directory \(path) is group- or world-writable; chmod 0700 it", errno: EPERM)
        }
    }
}
