import FoundationEssentials
import IdleWardenCore

/// The format of `STATE_DIR/state.journal`, the changes made since the last snapshot (`STATE_DIR/state`):
///
///     idlewarden-journal 1 <generation, 20 digits>\n
///     batch <crc32, 8 hex digits> <payload length, 16 digits>\n<JSON payload>\n
///     batch …
///
/// A save appends one batch, the sessions that changed since the previous save (`put`) and those that are gone
/// (`remove`), so that its cost grows with the changes, not with the sessions. The journal extends the snapshot
/// whose `generation` it names; any other snapshot makes it stale (a crash after a new snapshot was renamed into
/// place and before the journal was reset), and replaying it could bring back a session that ended.
enum StateJournal {
    static let magic = "idlewarden-journal"
    static let version = "1"
    static let batchMagic = "batch"

    /// One save's changes, with what the snapshot's header fields would say at that moment.
    struct Batch: Codable, Equatable {
        var savedAt: ClockSample
        var bootID: String?
        var nextSessionNumber: UInt64
        var put: [Session]
        var remove: [String]
    }

    /// How reading a journal ended.
    enum Ending: Equatable {
        /// Every batch was whole.
        case clean
        /// The last batch was cut short or fails its checksum: a crash during its append, before its fsync;
        /// its save never completed, so nothing that was acknowledged is lost.
        case tornTail
        /// A batch that is followed by more data is bad (a disk error, a hand edit): what precedes it stands.
        case damaged(String)
    }

    struct Contents: Equatable {
        var generation: UInt64
        var batches: [Batch]
        var ending: Ending
    }

    static func header(generation: UInt64) -> [UInt8] {
        Array("\(magic) \(version) \(padded(String(generation), to: 20))\n".utf8)
    }

    /// A batch as it is appended: header and payload in one write.
    static func frame(_ batch: Batch) throws -> [UInt8] {
        var payload: [UInt8] = []
        let encoder = JSONStreamEncoder { payload += $0 }
        try encoder.encode(batch)
        try encoder.flush()
        let checksum = String(CRC32.checksum(payload), radix: 16)
        let header = "\(batchMagic) \(padded(checksum, to: 8)) \(padded(String(payload.count), to: 16))\n"
        return Array(header.utf8) + payload + [UInt8(ascii: "\n")]
    }

    private static func padded(_ digits: String, to width: Int) -> String {
        String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Width of a batch header line, newline included.
    static let batchHeaderSize = batchMagic.utf8.count + 1 + 8 + 1 + 16 + 1

    /// The generation the journal's header names, nil when it has none.
    static func generation(inHeaderOf bytes: [UInt8]) -> UInt64? {
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let header = String(decoding: bytes[..<newline], as: UTF8.self).split(separator: " ")
        guard header.count == 3, header[0] == magic, header[1] == version else { return nil }
        return UInt64(header[2])
    }

    /// The batches in order; nil when the file's own header is unreadable (then nothing in it can be trusted
    /// to extend any snapshot).
    static func parse(_ bytes: [UInt8]) -> Contents? {
        guard let generation = generation(inHeaderOf: bytes),
              let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        var contents = Contents(generation: generation, batches: [], ending: .clean)
        var offset = newline + 1
        while offset < bytes.count {
            let rest = bytes.count - offset
            guard rest >= batchHeaderSize else {
                contents.ending = .tornTail
                break
            }
            let line = String(decoding: bytes[offset..<(offset + batchHeaderSize)], as: UTF8.self)
            let fields = line.dropLast().split(separator: " ")
            guard line.last == "\n", fields.count == 3, fields[0] == batchMagic,
                  let checksum = UInt32(fields[1], radix: 16), let length = Int(fields[2]), length >= 0
            else {
                // A crash mid-append can leave zeros where the header was to be; data after them cannot.
                let allZero = bytes[offset...].allSatisfy { $0 == 0 }
                contents.ending = allZero ? .tornTail : .damaged("batch \(contents.batches.count + 1): bad header")
                break
            }
            let start = offset + batchHeaderSize
            let end = start + length + 1
            guard end <= bytes.count else {
                contents.ending = .tornTail
                break
            }
            let payload = bytes[start..<(start + length)]
            guard CRC32.checksum(payload) == checksum, bytes[end - 1] == UInt8(ascii: "\n") else {
                contents.ending = end == bytes.count
                    ? .tornTail : .damaged("batch \(contents.batches.count + 1): checksum mismatch")
                break
            }
            do {
                let batch = try payload.withUnsafeBytes { try JSONDecoder().decode(Batch.self, from: Data($0)) }
                contents.batches.append(batch)
            } catch {
                contents.ending = .damaged("batch \(contents.batches.count + 1): payload does not decode: \(error)")
                break
            }
            offset = end
        }
        return contents
    }
}
