import FoundationEssentials
import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// Reads and writes the daemon's state: a snapshot, `STATE_DIR/state`, and a journal of the changes since,
/// `STATE_DIR/state.journal` (see `StateJournal`).
///
/// The snapshot is
///
///     idlewarden-state 1 <crc32 hex> <payload length>\n<JSON payload>
///
/// written to a temporary file, fsynced, renamed over the old one, and the directory fsynced, so a crash
/// leaves either the old or the new snapshot, never a mix. The header catches what a crash cannot explain
/// (a truncated copy, a disk error, a hand edit). Its payload carries a `generation`, one more at each snapshot
/// (version-1 readers, older daemons included, ignore the field; a snapshot without it is generation 0).
///
/// A save between snapshots appends one checksummed batch of the changed sessions to the journal and fsyncs
/// it: its cost grows with the changes, not with the sessions. When the journal has grown past the snapshot's
/// size (and `journalFloor`), the next save writes a new snapshot and then a new, empty journal naming the new
/// generation (written aside and renamed into place too), so a change costs O(1) amortized. A crash
/// between the two leaves a journal of the previous generation, which loading ignores: its records are all in
/// the snapshot already, and replaying them could bring back a session that ended since.
///
/// Loading reads the snapshot and replays the journal's batches in order. A last batch cut short or failing its
/// checksum is a crash during its append (before its fsync, so its save never completed) and is dropped; damage
/// before the end keeps the batches before it (`JournalReplay.damaged`, the daemon moves the journal aside).
///
/// The snapshot's payload is streamed to the file in 64 KiB chunks by `JSONStreamEncoder`, one session after
/// another, so it allocates a chunk, not the whole state (the daemon may hold 10,000 sessions; glibc would keep
/// a save's peak as RSS). The header's numbers are zero-padded to a fixed width so that it can be written last;
/// version-1 readers parse them as before.
public final class StateStore {
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

    /// What became of the journal while loading.
    public enum JournalReplay: Equatable, Sendable {
        /// No journal (or no snapshot for it to extend).
        case none
        case replayed(batches: Int)
        /// The last batch was torn by a crash during its append and was dropped.
        case tornTail(kept: Int)
        /// The journal extends another snapshot than the one loaded and was ignored.
        case stale(generation: UInt64, snapshot: UInt64)
        /// The journal is damaged before its end: the batches before the damage were replayed.
        case damaged(kept: Int, reason: String)
    }

    public struct Restored {
        public var state: PersistedState?
        public var journal: JournalReplay
    }

    static let magic = "idlewarden-state"
    static let version = "1"

    public let directory: String
    public var path: String { directory + "/state" }
    public var journalPath: String { directory + "/state.journal" }
    /// The journal is compacted into a snapshot once it is larger than the snapshot and than this.
    let journalFloor: Int
    /// The generation of the snapshot on disk, as far as this store knows.
    private(set) var generation: UInt64 = 0
    private var snapshotSize = 0
    private var journalSize = 0
    /// Open for appending only while the journal on disk extends `generation` and ends with a whole batch.
    private var journalFD: Int32 = -1

    public init(directory: String, journalFloor: Int = 256 * 1024) {
        self.directory = directory
        self.journalFloor = journalFloor
    }

    deinit { closeJournal() }

    /// Whether the next save must be a snapshot: no journal open yet (at start, after a failure), or one that
    /// has grown past the snapshot's size.
    public var needsSnapshot: Bool { journalFD < 0 || journalSize > max(snapshotSize, journalFloor) }

    /// The saved state (snapshot and journal), nil when there is none yet.
    public func load() throws(LoadError) -> PersistedState? {
        try restore().state
    }

    /// The saved state and what was done with the journal; the next save is a snapshot.
    public func restore() throws(LoadError) -> Restored {
        closeJournal()
        guard let bytes = try Self.readFile(path) else {
            skipJournalGeneration()
            return Restored(state: nil, journal: .none)
        }
        let snapshot: PersistedState
        let snapshotGeneration: UInt64
        do {
            (snapshot, snapshotGeneration) = try Self.decodeSnapshot(bytes)
        } catch {
            skipJournalGeneration()
            throw error
        }
        generation = snapshotGeneration
        snapshotSize = bytes.count
        let journalBytes: [UInt8]?
        do {
            journalBytes = try Self.readFile(journalPath)
        } catch {
            return Restored(state: snapshot, journal: .damaged(kept: 0, reason: error.description))
        }
        guard let journalBytes else { return Restored(state: snapshot, journal: .none) }
        guard let contents = StateJournal.parse(journalBytes) else {
            return Restored(state: snapshot, journal: .damaged(kept: 0, reason: "no idlewarden-journal header"))
        }
        guard contents.generation == snapshotGeneration else {
            return Restored(state: snapshot,
                            journal: .stale(generation: contents.generation, snapshot: snapshotGeneration))
        }
        let state = Self.replay(contents.batches, onto: snapshot)
        switch contents.ending {
        case .clean: return Restored(state: state, journal: .replayed(batches: contents.batches.count))
        case .tornTail: return Restored(state: state, journal: .tornTail(kept: contents.batches.count))
        case .damaged(let reason):
            return Restored(state: state, journal: .damaged(kept: contents.batches.count, reason: reason))
        }
    }

    /// Without a snapshot to extend, a journal left behind must stay stale: the next snapshot's generation goes
    /// past the journal's.
    private func skipJournalGeneration() {
        let bytes = (try? Self.readFile(journalPath)) ?? nil
        generation = bytes.flatMap { StateJournal.generation(inHeaderOf: $0) } ?? 0
    }

    /// The snapshot with the batches applied in order; sessions in id order, as a snapshot lists them.
    static func replay(_ batches: [StateJournal.Batch], onto snapshot: PersistedState) -> PersistedState {
        guard !batches.isEmpty else { return snapshot }
        var state = snapshot
        var byID = Dictionary(snapshot.sessions.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        for batch in batches {
            for session in batch.put { byID[session.id] = session }
            for id in batch.remove { byID[id] = nil }
            state.savedAt = batch.savedAt
            state.bootID = batch.bootID
            state.nextSessionNumber = batch.nextSessionNumber
        }
        state.sessions = byID.values.sorted { (UInt64($0.id) ?? 0, $0.id) < (UInt64($1.id) ?? 0, $1.id) }
        return state
    }

    /// The whole file, nil when it does not exist; read to the end whatever the size said (+1 sees growth).
    static func readFile(_ path: String) throws(LoadError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw .unreadable(String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable(String(cString: strerror(errno))) }
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
        return bytes
    }

    static func decode(_ bytes: [UInt8]) throws(LoadError) -> PersistedState {
        try decodeSnapshot(bytes).state
    }

    /// The snapshot's state and generation (0 for a snapshot written before journals).
    static func decodeSnapshot(_ bytes: [UInt8]) throws(LoadError) -> (state: PersistedState, generation: UInt64) {
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
            let snapshot = try payload.withUnsafeBytes { raw in
                let data = raw.baseAddress.map {
                    Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: $0), count: raw.count, deallocator: .none)
                } ?? Data()
                return try JSONDecoder().decode(Snapshot.self, from: data)
            }
            return (snapshot.state, snapshot.generation ?? 0)
        } catch {
            throw .badPayload(String(describing: error))
        }
    }

    /// The snapshot's payload: `PersistedState`'s fields and the generation, decoded in one pass.
    private struct Snapshot: Decodable {
        enum Keys: CodingKey { case generation }
        var state: PersistedState
        var generation: UInt64?

        init(from decoder: any Decoder) throws {
            state = try PersistedState(from: decoder)
            generation = try decoder.container(keyedBy: Keys.self).decodeIfPresent(UInt64.self, forKey: .generation)
        }
    }

    /// The whole file in memory, for tests; the daemon streams it with `save`.
    static func encode(_ state: PersistedState, generation: UInt64? = nil) throws -> [UInt8] {
        var payload: [UInt8] = []
        try writePayload(savedAt: state.savedAt, bootID: state.bootID, nextSessionNumber: state.nextSessionNumber,
                         generation: generation, sessions: state.sessions) { payload += $0 }
        let header = "\(magic) \(version) \(String(CRC32.checksum(payload), radix: 16)) \(payload.count)\n"
        return Array(header.utf8) + payload
    }

    /// The JSON form of `PersistedState` (and the generation, when given), written field by field so that the
    /// sessions can come from any sequence (the daemon's dictionary, without a copy) and reach `sink` in chunks.
    static func writePayload(
        savedAt: ClockSample, bootID: String?, nextSessionNumber: UInt64, generation: UInt64? = nil,
        sessions: some Sequence<Session>, sink: @escaping ([UInt8]) throws -> Void
    ) throws {
        let encoder = JSONStreamEncoder(sink: sink)
        try encoder.appendRaw("{\"savedAt\":")
        try encoder.encode(savedAt)
        if let bootID {
            try encoder.appendRaw(",\"bootID\":")
            try encoder.encode(bootID)
        }
        if let generation {
            try encoder.appendRaw(",\"generation\":")
            try encoder.encode(generation)
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

    /// Writes a snapshot of this state (see below).
    public func save(_ state: PersistedState) throws {
        try save(savedAt: state.savedAt, bootID: state.bootID, nextSessionNumber: state.nextSessionNumber,
                 sessions: state.sessions)
    }

    /// Replaces the snapshot atomically with these sessions, in the order given, as the next generation, then
    /// starts an empty journal for it; throws what failed so the caller can audit and retry (a snapshot that
    /// failed leaves the old one and its journal as they were; a journal that could not be started leaves
    /// `needsSnapshot` set).
    public func save(
        savedAt: ClockSample, bootID: String?, nextSessionNumber: UInt64, sessions: some Sequence<Session>
    ) throws {
        closeJournal()
        let next = generation + 1
        let writer = try StateFileWriter(
            path: path, directory: directory, headerPrefix: "\(Self.magic) \(Self.version)")
        do {
            try Self.writePayload(savedAt: savedAt, bootID: bootID, nextSessionNumber: nextSessionNumber,
                                  generation: next, sessions: sessions, sink: writer.append)
            try writer.commit()
        } catch {
            writer.abandon()
            throw error
        }
        generation = next
        snapshotSize = writer.size
        try startJournal()
    }

    /// Writes a journal holding only its header, naming the current generation, and puts it in place of the
    /// old one the way a snapshot is (a crash leaves the old journal, stale by then, or the new one).
    private func startJournal() throws {
        let temporary = journalPath + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw SystemError("open \(temporary)") }
        let header = StateJournal.header(generation: generation)
        do {
            try StateFileWriter.writeAll(header, to: fd, path: temporary)
            guard fsync(fd) == 0 else { throw SystemError("fsync \(temporary)") }
            guard rename(temporary, journalPath) == 0 else { throw SystemError("rename \(temporary)") }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        StateFileWriter.syncDirectory(directory)
        journalFD = fd
        journalSize = header.count
    }

    /// Appends one batch to the journal and fsyncs it. Only when `needsSnapshot` is false; a failed append
    /// takes back what it wrote, if it can, and closes the journal, so the next save is a snapshot.
    public func append(
        savedAt: ClockSample, bootID: String?, nextSessionNumber: UInt64, put: [Session], remove: [String]
    ) throws {
        guard journalFD >= 0 else { throw SystemError("append \(journalPath): no journal open", errno: EBADF) }
        let frame = try StateJournal.frame(StateJournal.Batch(
            savedAt: savedAt, bootID: bootID, nextSessionNumber: nextSessionNumber, put: put, remove: remove))
        do {
            try StateFileWriter.writeAll(frame, to: journalFD, path: journalPath)
            guard fdatasync(journalFD) == 0 else { throw SystemError("fsync \(journalPath)") }
        } catch {
            _ = ftruncate(journalFD, off_t(journalSize))
            closeJournal()
            throw error
        }
        journalSize += frame.count
    }

    private func closeJournal() {
        guard journalFD >= 0 else { return }
        close(journalFD)
        journalFD = -1
    }

    /// Moves a damaged snapshot aside (kept for inspection) and returns its new path.
    public func quarantine(now: Instant) -> String? {
        let target = path + ".corrupt-\(now.seconds)"
        return rename(path, target) == 0 ? target : nil
    }

    /// Moves a damaged journal aside (kept for inspection) and returns its new path.
    public func quarantineJournal(now: Instant) -> String? {
        closeJournal()
        let target = journalPath + ".corrupt-\(now.seconds)"
        return rename(journalPath, target) == 0 ? target : nil
    }
}
