import CPAM

/// Where the module leaves a record that the daemon cannot take at once (it is down or starting, or its backlog
/// is full): `spool/` beside the session socket (`/run/idlewarden/spool`), a directory that only root may read or
/// write. The daemon reads the records when it starts and whenever one appears, oldest first, so a login made
/// while it was down is registered with everything PAM said about it, whatever the login program is called.
///
/// One file per record, named `<CLOCK_BOOTTIME in ns, 20 digits>-<pid>-<open|close>`, written under the same name
/// with a leading dot and renamed when whole, so that the daemon never reads half of one. Every directory is
/// opened without following a symbolic link and checked by its descriptor (owned by root, not writable by group
/// or others; the spool itself private to root); the file is made with O_EXCL, mode 0600. The module runs as
/// root in every program that opens a login session. A missing directory is made (the socket's, 0755, only in a
/// parent that is root's alone): the daemon may not have run since boot.
struct Spool {
    /// Why a record could not be spooled; the module logs it and carries on.
    enum Failure: Error {
        case relativeSocketPath
        case unsafe(directory: StaticString)
        case full
        case noStartTime
        case noPIDNamespace
        case system(step: StaticString, errno: Int32)
    }

    /// A spool directory larger than this holds about 25,000 records (ext4) or 50,000 (tmpfs, which counts 20
    /// bytes per entry): past it, logins are no longer spooled, so a daemon that stays down cannot fill /run.
    static let sizeLimit = 1 << 20

    /// The socket's directory, without its final slash.
    let directory: [UInt8]

    /// The spool that belongs to `socket`; nil for a relative path or one directly in `/`.
    init?(socket: CBytes) {
        guard socket.first == UInt8(ascii: "/"), let slash = socket.lastIndex(of: UInt8(ascii: "/")), slash > 0
        else { return nil }
        directory = Array(socket.buffer[0..<slash])
    }

    /// Writes `record` (the encoded datagram, start time included) for the login process `pid`; nil when it is
    /// in the spool, whole.
    func write(_ record: [UInt8], phase: SessionPhase, pid: Int32) -> Failure? {
        let socketDirectory: Int32
        switch openSocketDirectory() {
        case .success(let fd): socketDirectory = fd
        case .failure(let failure): return failure
        }
        defer { close(socketDirectory) }
        var spool = Self.open(Self.spoolName, in: socketDirectory)
        if spool < 0 && cpam_errno() == ENOENT {
            if Self.withCString(Self.spoolName, { mkdirat(socketDirectory, $0, 0o700) }) != 0 && cpam_errno() != EEXIST {
                return .system(step: "mkdir spool", errno: cpam_errno())
            }
            spool = Self.open(Self.spoolName, in: socketDirectory)
        }
        guard spool >= 0 else { return .system(step: "open spool", errno: cpam_errno()) }
        defer { close(spool) }
        var owner: uid_t = 0
        var mode: mode_t = 0
        var size: off_t = 0
        guard cpam_directory_facts(spool, &owner, &mode, &size) == 0 else {
            return .system(step: "stat spool", errno: cpam_errno())
        }
        guard owner == 0, mode & 0o077 == 0 else { return .unsafe(directory: "spool") }
        guard size <= Self.sizeLimit else { return .full }

        let name = Self.recordName(phase: phase, pid: pid)
        let temporary = [UInt8(ascii: ".")] + name
        let file = Self.withCString(temporary) { cpam_openat_new_file(spool, $0) }
        guard file >= 0 else { return .system(step: "create record", errno: cpam_errno()) }
        let written = Self.writeAll(record, to: file)
        close(file)
        var error = written
        if error == 0 {
            let renamed = Self.withCString(temporary) { from in
                Self.withCString(name) { to in renameat(spool, from, spool, to) }
            }
            if renamed != 0 { error = cpam_errno() }
        }
        guard error == 0 else {
            _ = Self.withCString(temporary) { unlinkat(spool, $0, 0) }
            return .system(step: "write record", errno: error)
        }
        return nil
    }

    /// The socket's directory, made if it is missing and its parent is root's alone; checked by its descriptor.
    private func openSocketDirectory() -> Result<Int32, Failure> {
        var fd = Self.withCString(directory) { cpam_open_directory($0) }
        if fd < 0 && cpam_errno() == ENOENT {
            switch makeSocketDirectory() {
            case .success(let made): fd = made
            case .failure(let failure): return .failure(failure)
            }
        }
        guard fd >= 0 else { return .failure(.system(step: "open socket directory", errno: cpam_errno())) }
        guard Self.isRootsAlone(fd) else {
            close(fd)
            return .failure(.unsafe(directory: "socket directory"))
        }
        return .success(fd)
    }

    private func makeSocketDirectory() -> Result<Int32, Failure> {
        let slash = directory.lastIndex(of: UInt8(ascii: "/")) ?? 0
        let parentPath = slash == 0 ? [UInt8(ascii: "/")] : Array(directory[0..<slash])
        let name = Array(directory[(slash + 1)...])
        let parent = Self.withCString(parentPath) { cpam_open_directory($0) }
        guard parent >= 0 else { return .failure(.system(step: "open socket directory", errno: cpam_errno())) }
        defer { close(parent) }
        guard Self.isRootsAlone(parent) else { return .failure(.unsafe(directory: "parent of the socket directory")) }
        let made = Self.withCString(name) { mkdirat(parent, $0, 0o755) } == 0
        if !made && cpam_errno() != EEXIST {
            return .failure(.system(step: "mkdir socket directory", errno: cpam_errno()))
        }
        let fd = Self.open(name, in: parent)
        guard fd >= 0 else { return .failure(.system(step: "open socket directory", errno: cpam_errno())) }
        // Users reach the control socket through this directory: 0755 whatever the login program's umask.
        if made { fchmod(fd, 0o755) }
        return .success(fd)
    }

    /// Owned by root and writable by nobody else.
    private static func isRootsAlone(_ fd: Int32) -> Bool {
        var owner: uid_t = 0
        var mode: mode_t = 0
        var size: off_t = 0
        return cpam_directory_facts(fd, &owner, &mode, &size) == 0 && owner == 0 && mode & 0o022 == 0
    }

    private static let spoolName: [UInt8] = Array("spool".utf8)

    private static func open(_ name: [UInt8], in directory: Int32) -> Int32 {
        withCString(name) { cpam_openat_directory(directory, $0) }
    }

    /// `<boot ns>-<pid>-<phase>`: names sort in the order the records were written (within one boot).
    private static func recordName(phase: SessionPhase, pid: Int32) -> [UInt8] {
        var name: [UInt8] = []
        name.reserveCapacity(40)
        appendDecimal(cpam_boottime_ns(), width: 20, to: &name)
        name.append(UInt8(ascii: "-"))
        appendDecimal(UInt64(UInt32(bitPattern: pid)), width: 1, to: &name)
        name.append(UInt8(ascii: "-"))
        name.append(contentsOf: phase == .open ? Array("open".utf8) : Array("close".utf8))
        return name
    }

    private static func appendDecimal(_ value: UInt64, width: Int, to bytes: inout [UInt8]) {
        var digits: [UInt8] = []
        var rest = value
        repeat {
            digits.append(UInt8(truncatingIfNeeded: rest % 10) &+ 0x30)
            rest /= 10
        } while rest != 0
        while digits.count < width { digits.append(0x30) }
        bytes.append(contentsOf: digits.reversed())
    }

    /// 0, or the errno of the write that failed (a record is small: one write, retried only after a signal).
    private static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Int32 {
        var offset = 0
        var attempts = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                CPAM.write(fd, raw.baseAddress! + offset, raw.count - offset)
            }
            if count > 0 {
                offset += count
                continue
            }
            let error = count < 0 ? cpam_errno() : EIO
            attempts &+= 1
            guard error == EINTR, attempts < 3 else { return error }
        }
        return 0
    }

    private static func withCString<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        var terminated = bytes
        terminated.append(0)
        return terminated.withUnsafeBufferPointer { buffer in
            UnsafeRawPointer(buffer.baseAddress!).withMemoryRebound(to: CChar.self, capacity: buffer.count) { body($0) }
        }
    }
}
