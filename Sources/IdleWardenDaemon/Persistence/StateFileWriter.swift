#if canImport(Glibc)
import Glibc
#endif

/// Writes a new state file in pieces without holding it in memory: a header of fixed width first, then the
/// payload chunk by chunk (checksummed and counted on the way), then the real header over the first one. The
/// file is written under a temporary name and only `commit` puts it in place: fsync, rename, fsync of the
/// directory, so a crash at any point leaves the old state file or the new one whole.
final class StateFileWriter {
    private let temporary: String
    private let target: String
    private let directory: String
    private var fd: Int32
    private var checksum = CRC32.Running()
    private var length = 0
    private let headerPrefix: String

    /// Width of the header's length field: zero-padded, so the header's size does not depend on the payload.
    static let lengthDigits = 16

    init(path: String, directory: String, headerPrefix: String) throws {
        target = path
        temporary = path + ".tmp"
        self.directory = directory
        self.headerPrefix = headerPrefix
        fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw SystemError("open \(temporary)") }
        do {
            try writeAll(header(checksum: 0, length: 0))
        } catch {
            abandon()
            throw error
        }
    }

    /// `<prefix> <crc32, 8 hex digits> <payload length, 16 decimal digits>\n`: what every version-1 reader
    /// parses (leading zeros included).
    private func header(checksum: UInt32, length: Int) -> [UInt8] {
        let hex = String(checksum, radix: 16)
        let decimal = String(length)
        return Array((headerPrefix + " " + String(repeating: "0", count: 8 - hex.count) + hex + " "
                      + String(repeating: "0", count: Self.lengthDigits - decimal.count) + decimal + "\n").utf8)
    }

    func append(_ bytes: [UInt8]) throws {
        checksum.update(bytes)
        length += bytes.count
        do {
            try writeAll(bytes)
        } catch {
            abandon()
            throw error
        }
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        try Self.writeAll(bytes, to: fd, path: temporary)
    }

    /// Writes every byte (retrying short writes and EINTR); throws naming `path` on an error.
    static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw SystemError("write \(path)") }
            offset += written
        }
    }

    /// Writes the real header and puts the file in place of the old one.
    func commit() throws {
        let header = header(checksum: checksum.value, length: length)
        let written = header.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard written == header.count else {
            let error = SystemError("write \(temporary)")
            abandon()
            throw error
        }
        guard fchmod(fd, 0o600) == 0, fsync(fd) == 0 else {
            let error = SystemError("fsync \(temporary)")
            abandon()
            throw error
        }
        close(fd)
        fd = -1
        guard rename(temporary, target) == 0 else {
            let error = SystemError("rename \(temporary)")
            unlink(temporary)
            throw error
        }
        Self.syncDirectory(directory)
    }

    /// The file's size, header included.
    var size: Int { header(checksum: 0, length: length).count + length }

    /// Makes a rename in `directory` durable.
    static func syncDirectory(_ directory: String) {
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// Removes the temporary file; the old state file stays as it was.
    func abandon() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        unlink(temporary)
    }

    deinit { abandon() }
}
