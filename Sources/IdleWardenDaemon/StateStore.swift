import Foundation
import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// Reads and writes the daemon's state file, `STATE_DIR/state`:
///
///     idlewarden-state 1 <crc32 hex> <payload length>\n<JSON payload>
///
/// Written to a temporary file, fsynced, renamed over the old one, and the directory fsynced, so a crash
/// leaves either the old or the new state, never a mix. The header catches what a crash cannot explain
/// (a truncated copy, a disk error, a hand edit).
public struct StateStore: Sendable {
    public enum LoadError: Error, Equatable, CustomStringConvertible {
        case unreadable(String)
        case badHeader
        case unsupportedVersion(String)
        case lengthMismatch(expected: Int, actual: Int)
        case checksumMismatch
        case badPayload(String)

        public var description: String {
            switch self {
            case .unreadable(let why): return "unreadable: \(why)"
            case .badHeader: return "no idlewarden-state header"
            case .unsupportedVersion(let version): return "unsupported version \(version)"
            case .lengthMismatch(let expected, let actual):
                return "payload is \(actual) bytes, header says \(expected) (torn write?)"
            case .checksumMismatch: return "checksum mismatch"
            case .badPayload(let why): return "payload does not decode: \(why)"
            }
        }
    }

    static let magic = "idlewarden-state"
    static let version = "1"

    public let directory: String
    public var path: String { directory + "/state" }

    public init(directory: String) {
        self.directory = directory
    }

    /// The saved state, nil when there is none yet.
    public func load() throws(LoadError) -> PersistedState? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw .unreadable(String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw .unreadable(String(cString: strerror(errno))) }
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        return try Self.decode(bytes)
    }

    static func decode(_ bytes: [UInt8]) throws(LoadError) -> PersistedState {
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else { throw .badHeader }
        let header = String(decoding: bytes[..<newline], as: UTF8.self).split(separator: " ")
        guard header.count == 4, header[0] == magic else { throw .badHeader }
        guard header[1] == version else { throw .unsupportedVersion(String(header[1])) }
        guard let checksum = UInt32(header[2], radix: 16), let length = Int(header[3]) else { throw .badHeader }
        let payload = bytes[(newline + 1)...]
        guard payload.count == length else { throw .lengthMismatch(expected: length, actual: payload.count) }
        guard CRC32.checksum(payload) == checksum else { throw .checksumMismatch }
        do {
            return try JSONDecoder().decode(PersistedState.self, from: Data(payload))
        } catch {
            throw .badPayload(String(describing: error))
        }
    }

    static func encode(_ state: PersistedState) throws -> [UInt8] {
        let payload = Array(try JSONEncoder().encode(state))
        let header = "\(magic) \(version) \(String(CRC32.checksum(payload), radix: 16)) \(payload.count)\n"
        return Array(header.utf8) + payload
    }

    /// Replaces the state file atomically; throws what failed so the caller can audit and retry.
    public func save(_ state: PersistedState) throws {
        let bytes = try Self.encode(state)
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw SystemError("open \(temporary)") }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                let error = SystemError("write \(temporary)")
                close(fd)
                unlink(temporary)
                throw error
            }
            offset += written
        }
        guard fchmod(fd, 0o600) == 0, fsync(fd) == 0 else {
            let error = SystemError("fsync \(temporary)")
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let error = SystemError("rename \(temporary)")
            unlink(temporary)
            throw error
        }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// Moves a damaged state file aside (kept for inspection) and returns its new path.
    public func quarantine(now: Instant) -> String? {
        let target = path + ".corrupt-\(now.seconds)"
        return rename(path, target) == 0 ? target : nil
    }
}
