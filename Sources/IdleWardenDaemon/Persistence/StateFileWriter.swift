import SystemPackage

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
    /// The temporary file, until `commit` or `abandon` closes it.
    private var file: FileDescriptor?
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
        file = try SystemError.naming("open \(temporary)") {
            try FileDescriptor.open(
                FilePath(temporary), .writeOnly, options: [.create, .truncate, .closeOnExec, .noFollow],
                permissions: .ownerReadWrite)
        }
        do {
            try write(header(checksum: 0, length: 0))
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
            try write(bytes)
        } catch {
            abandon()
            throw error
        }
    }

    private func write(_ bytes: [UInt8]) throws {
        guard let file else { throw SystemError("write \(temporary)", errno: EBADF) }
        try Self.writeAll(bytes, to: file.rawValue, path: temporary)
    }

    /// Writes every byte (swift-system retries short writes and EINTR); throws naming `path` on an error.
    static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws {
        try SystemError.naming("write \(path)") { _ = try FileDescriptor(rawValue: fd).writeAll(bytes) }
    }

    /// Writes the real header and puts the file in place of the old one.
    func commit() throws {
        guard let file else { throw SystemError("write \(temporary)", errno: EBADF) }
        do {
            try SystemError.naming("write \(temporary)") {
                _ = try file.writeAll(toAbsoluteOffset: 0, header(checksum: checksum.value, length: length))
            }
            guard fchmod(file.rawValue, 0o600) == 0, fsync(file.rawValue) == 0 else {
                throw SystemError("fsync \(temporary)")
            }
        } catch {
            abandon()
            throw error
        }
        try? file.close()
        self.file = nil
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
        guard let handle = try? FileDescriptor.open(FilePath(directory), .readOnly, options: [.directory, .closeOnExec])
        else { return }
        _ = try? handle.closeAfter { fsync(handle.rawValue) }
    }

    /// Removes the temporary file; the old state file stays as it was.
    func abandon() {
        guard let file else { return }
        try? file.close()
        self.file = nil
        unlink(temporary)
    }

    deinit { abandon() }
}
