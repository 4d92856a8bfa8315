import IdleWardenCore
import IdleWardenWire

#if canImport(Glibc)
import Glibc
#endif

/// The records that the PAM module could not hand to the daemon (it was down or starting, or its backlog was
/// full) and left in `spool/` beside the session socket: one file each, named
/// `<CLOCK_BOOTTIME ns, 20 digits>-<pid>-<open|close>`, written under a dot name and renamed when whole (see the
/// module's Spool.swift). The daemon reads them at start and whenever one appears (inotify), oldest first.
///
/// Only root can write here, so a record is as trusted as one from the session socket: the directory must be
/// the daemon's and closed to everyone else, and each file a regular file of the daemon's uid, mode 0600, with
/// one link, small enough to be a record; it is opened without following links and checked by its descriptor.
final class SessionSpool {
    struct Record {
        let name: String
        let bytes: [UInt8]
        /// When the module wrote it (the file's mtime).
        let writtenAt: Instant
    }

    enum Entry {
        case record(Record)
        /// A file that is not a record the module wrote: audited and removed.
        case refused(name: String, reason: String)

        var name: String {
            switch self {
            case .record(let record): return record.name
            case .refused(let name, _): return name
            }
        }
    }

    let path: String
    /// The inode of the daemon's PID namespace: a record written in another one (a container that sees this
    /// directory through a bind mount) names a pid of that namespace, and is refused as a datagram from it is.
    let pidNamespace: UInt64
    /// Readable when something was renamed into the spool (or the kernel's event queue overflowed).
    let descriptor: Int32
    private let directory: Int32

    /// A temporary file older than this was left by a writer that died before its rename.
    static let abandonedAfter: Duration = .seconds(60)

    /// `spool` in the session socket's directory, as the module derives it from its `socket=` argument.
    static func path(besides sessionSocket: String) -> String {
        guard let slash = sessionSocket.lastIndex(of: "/") else { return "spool" }
        return String(sessionSocket[...slash]) + "spool"
    }

    /// Makes the directory (0700) if it is missing, checks that it is the daemon's alone (and closes it to others
    /// if root made it open), and starts watching it.
    init(path: String) throws {
        self.path = path
        var namespace = stat()
        guard stat("/proc/self/ns/pid", &namespace) == 0 else { throw SystemError("stat /proc/self/ns/pid") }
        pidNamespace = UInt64(namespace.st_ino)
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw SystemError("mkdir \(path)") }
        directory = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard directory >= 0 else { throw SystemError("open spool \(path)") }
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        do {
            var info = stat()
            guard fstat(directory, &info) == 0 else { throw SystemError("stat \(path)") }
            guard info.st_uid == getuid() else {
                throw SystemError("spool \(path) is owned by uid \(info.st_uid), not \(getuid())", errno: EPERM)
            }
            if info.st_mode & 0o077 != 0 && fchmod(directory, 0o700) != 0 { throw SystemError("chmod 0700 \(path)") }
            guard descriptor >= 0 else { throw SystemError("inotify_init1") }
            guard inotify_add_watch(descriptor, path, UInt32(IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR)) >= 0 else {
                throw SystemError("inotify_add_watch \(path)")
            }
        } catch {
            close(directory)
            if descriptor >= 0 { close(descriptor) }
            throw error
        }
    }

    deinit {
        close(descriptor)
        close(directory)
    }

    /// Empties the notification queue: the directory is listed instead, so every event means "look again".
    func drainNotifications() {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { buffer in
            while read(descriptor, buffer.baseAddress, buffer.count) > 0 {}
        }
    }

    /// Up to `limit` entries, oldest first, and whether more are waiting. Temporary files of writers that died are
    /// removed on the way.
    func pending(limit: Int, now: Instant) -> (entries: [Entry], more: Bool) {
        var names: [String] = []
        guard let listing = fdopendir(dup(directory)) else { return ([], false) }
        defer { closedir(listing) }
        rewinddir(listing)
        while let entry = readdir(listing) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                let bytes = raw.assumingMemoryBound(to: UInt8.self)
                return String(decoding: bytes[..<(bytes.firstIndex(of: 0) ?? bytes.endIndex)], as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            if name.hasPrefix(".") {
                removeIfAbandoned(name, now: now)
                continue
            }
            names.append(name)
        }
        names.sort()
        let taken = names.prefix(limit)
        return (taken.map { entry(named: $0) }, names.count > taken.count)
    }

    func remove(_ name: String) {
        unlinkat(directory, name, 0)
    }

    private func entry(named name: String) -> Entry {
        guard Self.isRecordName(name) else { return .refused(name: name, reason: "unexpected-name") }
        let fd = openat(directory, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return .refused(name: name, reason: "unreadable") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            return .refused(name: name, reason: "not-a-regular-file")
        }
        guard info.st_uid == getuid(), info.st_mode & 0o077 == 0, info.st_nlink == 1 else {
            return .refused(name: name, reason: "unsafe-file")
        }
        guard info.st_size > 0, info.st_size <= Datagram.requestLimit else {
            return .refused(name: name, reason: "bad-size")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return .refused(name: name, reason: "short-read") }
            filled += count
        }
        let writtenAt = Instant(
            milliseconds: Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec) / 1_000_000)
        return .record(Record(name: name, bytes: bytes, writtenAt: writtenAt))
    }

    /// `<20 digits>-<pid>-<open|close>`.
    static func isRecordName(_ name: String) -> Bool {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].utf8.count == 20, parts[1].utf8.count <= 10, !parts[1].isEmpty else {
            return false
        }
        let digits = { (part: Substring) in part.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } }
        return digits(parts[0]) && digits(parts[1]) && (parts[2] == "open" || parts[2] == "close")
    }

    private func removeIfAbandoned(_ name: String, now: Instant) {
        var info = stat()
        guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return }
        let modified = Instant(milliseconds: Int64(info.st_mtim.tv_sec) * 1000)
        if now - modified > Self.abandonedAfter { unlinkat(directory, name, 0) }
    }
}
