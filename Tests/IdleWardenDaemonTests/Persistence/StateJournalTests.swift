import Foundation
import XCTest
import CIdleWarden
@testable import IdleWardenCore
@testable import IdleWardenDaemon

final class StateJournalTests: StateDirectoryTestCase {

    static func session(_ id: String, lastInput seconds: Int64 = 100) -> Session {
        var session = StateStoreTests.fullSession(id: id)
        session.lastInput = Instant(seconds: seconds)
        return session
    }

    static func sample(_ seconds: Int64) -> ClockSample { ClockSample(wall: Instant(seconds: seconds), boot: seconds) }

    func state(_ sessions: [Session], at seconds: Int64 = 1, next: UInt64 = 100) -> PersistedState {
        PersistedState(savedAt: Self.sample(seconds), bootID: "b", nextSessionNumber: next, sessions: sessions)
    }

    func append(_ store: StateStore, at seconds: Int64, next: UInt64 = 100, put: [Session] = [],
                remove: [String] = []) throws {
        XCTAssertFalse(store.needsSnapshot)
        try store.append(savedAt: Self.sample(seconds), bootID: "b", nextSessionNumber: next, put: put, remove: remove)
    }

    func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : -1
    }

    func testBatchesOfPutsAndRemovesRoundTrip() throws {
        let store = StateStore(directory: directory)
        try store.save(state([Self.session("7"), Self.session("8")]))
        try append(store, at: 2, next: 101, put: [Self.session("7", lastInput: 200), Self.session("9")])
        try append(store, at: 3, next: 102, remove: ["8"])
        let restored = try StateStore(directory: directory).restore()
        XCTAssertEqual(restored.journal, .replayed(batches: 2))
        XCTAssertEqual(restored.state, state([Self.session("7", lastInput: 200), Self.session("9")], at: 3, next: 102))
    }

    /// Later batches win, a remove included; the header fields come from the last batch; ids sort as numbers.
    func testBatchesReplayInOrder() throws {
        let store = StateStore(directory: directory)
        try store.save(state([Self.session("10")]))
        try append(store, at: 2, put: [Self.session("9", lastInput: 1)])
        try append(store, at: 3, put: [Self.session("9", lastInput: 2)])
        try append(store, at: 4, remove: ["9", "10"])
        try append(store, at: 5, next: 7, put: [Self.session("9", lastInput: 3), Self.session("10", lastInput: 4)])
        XCTAssertEqual(try StateStore(directory: directory).load(),
                       state([Self.session("9", lastInput: 3), Self.session("10", lastInput: 4)], at: 5, next: 7))
    }

    /// A crash during an append leaves part of the last batch, or zeros where it was to be: that batch is
    /// dropped, the ones before it stand.
    func testTornLastBatchIsDropped() throws {
        let store = StateStore(directory: directory)
        try store.save(state([Self.session("1")]))
        try append(store, at: 2, put: [Self.session("2")])
        let whole = try XCTUnwrap(StateStore.readFile(store.journalPath))
        try append(store, at: 3, put: [Self.session("3")])
        let both = try XCTUnwrap(StateStore.readFile(store.journalPath))
        let expected = state([Self.session("1"), Self.session("2")], at: 2)
        for torn in [Array(both.prefix(whole.count + 10)), Array(both.dropLast(1)), Array(both.dropLast(40)),
                     whole + [UInt8](repeating: 0, count: both.count - whole.count)] {
            try Data(torn).write(to: URL(fileURLWithPath: store.journalPath))
            let restored = try StateStore(directory: directory).restore()
            XCTAssertEqual(restored.journal, .tornTail(kept: 1), "\(torn.count) of \(both.count) bytes")
            XCTAssertEqual(restored.state, expected)
        }
        var flipped = both
        flipped[flipped.count - 5] ^= 0x01
        try Data(flipped).write(to: URL(fileURLWithPath: store.journalPath))
        XCTAssertEqual(try StateStore(directory: directory).restore().journal, .tornTail(kept: 1))
    }

    /// Damage followed by whole batches is no crash: what precedes it is kept, the journal can be moved aside,
    /// and the next save starts a new one.
    func testDamageBeforeTheEndKeepsWhatPrecedesIt() throws {
        let store = StateStore(directory: directory)
        try store.save(state([Self.session("1")]))
        try append(store, at: 2, put: [Self.session("2")])
        let first = fileSize(store.journalPath)
        try append(store, at: 3, put: [Self.session("3")])
        try append(store, at: 4, put: [Self.session("4")])
        var bytes = try XCTUnwrap(StateStore.readFile(store.journalPath))
        bytes[first + StateJournal.batchHeaderSize + 20] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: store.journalPath))
        let reader = StateStore(directory: directory)
        let restored = try reader.restore()
        guard case .damaged(kept: 1, let reason) = restored.journal else { return XCTFail("\(restored.journal)") }
        XCTAssertTrue(reason.contains("batch 2"), reason)
        XCTAssertEqual(restored.state, state([Self.session("1"), Self.session("2")], at: 2))
        let moved = try XCTUnwrap(reader.quarantineJournal(now: Instant(seconds: 5)))
        XCTAssertEqual(try StateStore.readFile(moved), bytes)
        XCTAssertTrue(reader.needsSnapshot)
        try reader.save(try XCTUnwrap(restored.state))
        try append(reader, at: 6, remove: ["1"])
        XCTAssertEqual(try StateStore(directory: directory).restore().state, state([Self.session("2")], at: 6))
    }

    /// A crash after a new snapshot was renamed into place and before the journal was reset: the old journal,
    /// which opened session 2, must not bring it back, since the snapshot was written after it ended.
    func testJournalOfAnotherGenerationIsIgnored() throws {
        let store = StateStore(directory: directory)
        try store.save(state([Self.session("1")]))
        try append(store, at: 2, put: [Self.session("2")])
        let old = try XCTUnwrap(StateStore.readFile(store.journalPath))
        try store.save(state([Self.session("1")], at: 3))
        try Data(old).write(to: URL(fileURLWithPath: store.journalPath))
        let restored = try StateStore(directory: directory).restore()
        XCTAssertEqual(restored.journal, .stale(generation: 1, snapshot: 2))
        XCTAssertEqual(restored.state, state([Self.session("1")], at: 3))
    }

    /// The snapshot records its generation in a field older readers ignore; one without it is generation 0.
    func testSnapshotCarriesItsGeneration() throws {
        let plain = state([Self.session("1")])
        XCTAssertEqual(try StateStore.decodeSnapshot(StateStore.encode(plain)).generation, 0)
        let bytes = try StateStore.encode(plain, generation: 41)
        XCTAssertEqual(try StateStore.decodeSnapshot(bytes).generation, 41)
        XCTAssertEqual(try StateStore.decode(bytes), plain)
        let payload = bytes[(try XCTUnwrap(bytes.firstIndex(of: UInt8(ascii: "\n"))) + 1)...]
        XCTAssertEqual(try JSONDecoder().decode(PersistedState.self, from: Data(payload)), plain)
    }

    /// Once the journal is larger than the snapshot (and the floor), a snapshot is due; it leaves an empty
    /// journal of the next generation.
    func testCompactionStartsAnEmptyJournal() throws {
        let store = StateStore(directory: directory, journalFloor: 0)
        try store.save(state([Self.session("1"), Self.session("2")]))
        let emptyJournal = fileSize(store.journalPath)
        XCTAssertEqual(emptyJournal, StateJournal.header(generation: 1).count)
        var appends = 0
        while !store.needsSnapshot {
            try append(store, at: 2, put: [Self.session("1", lastInput: Int64(appends))])
            appends += 1
        }
        XCTAssertGreaterThan(fileSize(store.journalPath), fileSize(store.path))
        XCTAssertGreaterThan(appends, 1)
        let current = try XCTUnwrap(store.load())
        XCTAssertTrue(store.needsSnapshot)
        try store.save(current)
        XCTAssertFalse(store.needsSnapshot)
        XCTAssertEqual(fileSize(store.journalPath), StateJournal.header(generation: 2).count)
        let restored = try StateStore(directory: directory).restore()
        XCTAssertEqual(restored.journal, .replayed(batches: 0))
        XCTAssertEqual(restored.state, current)
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.journalPath + ".tmp"))
    }

    /// A save of one change among 2,000 sessions appends about one session's JSON, not the state.
    func testAnAppendCostsTheChangeNotTheState() throws {
        let store = StateStore(directory: directory)
        try store.save(state((1...2_000).map { Self.session(String($0)) }))
        let snapshot = fileSize(store.path)
        let oneSession = try StateJournal.frame(StateJournal.Batch(
            savedAt: Self.sample(2), bootID: "b", nextSessionNumber: 100, put: [Self.session("5")], remove: [])).count
        var before = fileSize(store.journalPath)
        try append(store, at: 2, put: [Self.session("5", lastInput: 101)])
        XCTAssertEqual(fileSize(store.journalPath) - before, oneSession)
        before = fileSize(store.journalPath)
        try append(store, at: 3, put: (10..<20).map { Self.session(String($0), lastInput: 102) }, remove: ["1"])
        let tenSessions = fileSize(store.journalPath) - before
        XCTAssertLessThan(tenSessions, 11 * oneSession)
        XCTAssertGreaterThan(snapshot, 100 * tenSessions)
    }

    /// An append that fails half-way (here the file size limit, as a full disk would) takes its bytes back and
    /// makes the next save a snapshot; what was saved before stays loadable.
    func testFailedAppendAsksForASnapshot() throws {
        let store = StateStore(directory: directory)
        try store.save(state([Self.session("1")]))
        try append(store, at: 2, put: [Self.session("2")])
        let before = fileSize(store.journalPath)
        let oldHandler = signal(SIGXFSZ, SIG_IGN)
        var old = rlimit()
        XCTAssertEqual(getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &old), 0)
        var small = old
        small.rlim_cur = rlim_t(before + 100)
        XCTAssertEqual(setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &small), 0)
        XCTAssertThrowsError(try append(store, at: 3, put: (3...20).map { Self.session(String($0)) }))
        XCTAssertEqual(setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &old), 0)
        signal(SIGXFSZ, oldHandler)
        XCTAssertEqual(fileSize(store.journalPath), before)
        XCTAssertTrue(store.needsSnapshot)
        XCTAssertEqual(try StateStore(directory: directory).load(), state([Self.session("1"), Self.session("2")], at: 2))
    }

    /// A damaged snapshot is moved aside and the state starts over; the journal it leaves behind must not be taken
    /// for the journal of the next snapshot, whatever generation it names.
    func testJournalLeftByADamagedSnapshotStaysStale() throws {
        let store = StateStore(directory: directory)
        try store.save(state([Self.session("1")]))
        try append(store, at: 2, put: [Self.session("2")])
        let old = try XCTUnwrap(StateStore.readFile(store.journalPath))
        var snapshot = try XCTUnwrap(StateStore.readFile(store.path))
        snapshot[snapshot.count - 3] ^= 0x01
        try Data(snapshot).write(to: URL(fileURLWithPath: store.path))
        let reader = StateStore(directory: directory)
        XCTAssertThrowsError(try reader.restore())
        XCTAssertNotNil(reader.quarantine(now: Instant(seconds: 9)))
        try reader.save(state([], at: 3))
        try Data(old).write(to: URL(fileURLWithPath: store.journalPath))
        let restored = try StateStore(directory: directory).restore()
        XCTAssertEqual(restored.journal, .stale(generation: 1, snapshot: 2))
        XCTAssertEqual(restored.state, state([], at: 3))
    }
}
