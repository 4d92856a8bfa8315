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
///
/// The payload is streamed to the file in 64 KiB chunks by `JSONStreamEncoder`, one session after another, so a
/// save allocates a chunk, not the whole state (the daemon may hold 10,000 sessions; glibc would keep a
/// save's peak as RSS). The header's numbers are zero-padded to a fixed width so that it can be written last;
/// version-1 readers, older daemons included, parse them as before.
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
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable(String(cString: strerror(errno))) }
        // Read to the end whatever the size said (+1 sees growth); one allocation of the file's size.
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        var filled = 0
        while true {
            if filled == bytes.count { bytes += [UInt8](repeating: 0, count: bytes.count) }
            let count = bytes[filled...].withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw .unreadable(String(cString: strerror(errno))) }
            if count == 0 { break }
            filled += count
        }
        bytes.removeSubrange(filled...)
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
            // Decoded in place: a copy into `Data` would be one more allocation of the file's size.
            return try payload.withUnsafeBytes { raw in
                let data = raw.baseAddress.map {
                    Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: $0), count: raw.count, deallocator: .none)
                } ?? Data()
                return try JSONDecoder().decode(PersistedState.self, from: data)
            }
        } catch {
            throw .badPayload(String(describing: error))
        }
    }

    /// The whole file in memory, for tests; the daemon streams it with `save`.
    static func encode(_ state: PersistedState) throws -> [UInt8] {
        var payload: [UInt8] = []
        try writePayload(savedAt: state.savedAt, bootID: state.bootID, nextSessionNumber: state.nextSessionNumber,
                         sessions: state.sessions) { payload += $0 }
        let header = "\(magic) \(version) \(String(CRC32.checksum(payload), radix: 16)) \(payload.count)\n"
        return Array(header.utf8) + payload
    }

    /// The JSON form of `PersistedState`, written field by field so that the sessions can come from any
    /// sequence (the daemon's dictionary, without a copy) and reach `sink` in chunks.
    static func writePayload(
        savedAt: ClockSample, bootID: String?, nextSessionNumber: UInt64, sessions: some Sequence<Session>,
        sink: @escaping ([UInt8]) throws -> Void
    ) throws {
        let encoder = JSONStreamEncoder(sink: sink)
        try encoder.appendRaw("{\"savedAt\":")
        try encoder.encode(savedAt)
        if let bootID {
            try encoder.appendRaw(",\"bootID\":")
            try encoder.encode(bootID)
        }
        try encoder.appendRaw(",\"nextSessionNumber\":")
        try encoder.encode(nextSessionNumber)
        try encoder.appendRaw(",\"sessions\":[")
        var first = true
        for session in sessions {
            if !first { try encoder.appendRaw(",") }
            first = false
            try encoder.encode(session)
        }
        try encoder.appendRaw("]}")
        try encoder.flush()
    }

    /// Replaces the state file atomically; throws what failed so the caller can audit and retry.
    public func save(_ state: PersistedState) throws {
        try save(savedAt: state.savedAt, bootID: state.bootID, nextSessionNumber: state.nextSessionNumber,
                 sessions: state.sessions)
    }

    /// Replaces the state file atomically with these sessions, in the order given; throws what failed so the
    /// caller can audit and retry (the old file then stays as it was).
    public func save(
        savedAt: ClockSample, bootID: String?, nextSessionNumber: UInt64, sessions: some Sequence<Session>
    ) throws {
        let writer = try StateFileWriter(
            path: path, directory: directory, headerPrefix: "\(Self.magic) \(Self.version)")
        do {
            try Self.writePayload(savedAt: savedAt, bootID: bootID, nextSessionNumber: nextSessionNumber,
                                  sessions: sessions, sink: writer.append)
            try writer.commit()
        } catch {
            writer.abandon()
            throw error
        }
    }

    /// Moves a damaged state file aside (kept for inspection) and returns its new path.
    public func quarantine(now: Instant) -> String? {
        let target = path + ".corrupt-\(now.seconds)"
        return rename(path, target) == 0 ? target : nil
    }
}
