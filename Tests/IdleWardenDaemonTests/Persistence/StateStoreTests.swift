import Foundation
import XCTest
import CIdleWarden
@testable import IdleWardenCore
@testable import IdleWardenDaemon

final class StateStoreTests: StateDirectoryTestCase {

    func sampleState() -> PersistedState {
        var session = Session(
            id: "7", facts: SessionFacts(user: "alice", uid: 1001, groups: ["staff"], service: "sshd", tty: "ssh",
                                         rhost: "192.0.2.1", moduleArguments: ["idle_timeout=30m"]),
            leader: ProcessIdentity(pid: 4242, startTime: 99), sid: 4242, openedAt: Instant(seconds: 1_000),
            limits: Limits(idleTimeout: .seconds(1800), maxSession: .seconds(43_200), exemption: nil),
            terminals: ["/dev/pts/3"])
        session.watchedTerminals = [WatchedTerminal(
            path: "/dev/pts/3", stamp: TerminalStamp(
                access: FileTime(seconds: 1_100), modification: FileTime(seconds: 1_050),
                change: FileTime(seconds: 900, nanoseconds: 999_999_999), owner: 1001),
            lastInput: Instant(seconds: 1_104))]
        session.lastInput = Instant(seconds: 1_104)
        session.warning = Warning(issuedAt: Instant(seconds: 2_800), deadline: Instant(seconds: 2_904), reason: .idle)
        return PersistedState(
            savedAt: ClockSample(wall: Instant(seconds: 2_850), boot: 77_000), bootID: "b", nextSessionNumber: 8,
            sessions: [session])
    }

    /// A session with every field set, and set away from its default.
    static func fullSession(id: String, exemption: Exemption? = .rule("night \"shift\"/ops")) -> Session {
        var session = Session(
            id: id,
            facts: SessionFacts(
                user: "bob\\o'\u{e9}", uid: 1002, groups: ["staff", "wheel", ""], service: "gdm-password",
                tty: ":0", rhost: "host\n\t\u{1}", xdisplay: ":0.1", xdgSessionType: "wayland",
                moduleArguments: ["idle_timeout=30m", "exempt"]),
            leader: ProcessIdentity(pid: 4243, startTime: UInt64.max - 1), sid: -5, xdgSessionID: "c7",
            openedAt: Instant(milliseconds: -1_234), limits: Limits(
                idleTimeout: .milliseconds(1_500), warnBefore: .seconds(-3), grace: .seconds(Int64.max / 2),
                maxSession: .seconds(86_400), exemption: exemption, checkNoTTY: true, allowKeepalive: false,
                activity: .inputAndOutput, end: .leader, graphical: false),
            terminals: ["/dev/pts/3", "/dev/tty1"], origin: .terminal)
        session.lastInput = Instant(milliseconds: Int64.max)
        session.watchedTerminals = [
            WatchedTerminal(path: "/dev/pts/3", stamp: TerminalStamp(
                access: FileTime(seconds: Int64.min, nanoseconds: Int32.max),
                modification: FileTime(seconds: Int64.max, nanoseconds: -1),
                change: FileTime(seconds: 0, nanoseconds: 1), owner: UInt32.max), lastInput: Instant(milliseconds: -7)),
            WatchedTerminal(path: "/dev/tty1", stamp: TerminalStamp(
                access: FileTime(seconds: 1), modification: FileTime(seconds: 2), change: FileTime(seconds: 3),
                owner: 0)),
        ]
        session.pamTerminalOwner = 0
        session.terminalDiscovery = .pending(attempt: 2)
        session.warning = Warning(issuedAt: Instant(seconds: 2_800), deadline: Instant(seconds: 2_904),
                                  reason: .maxSession)
        session.ending = .maxSession
        return session
    }

    func fullState() -> PersistedState {
        var minimal = Session(
            id: "12", facts: SessionFacts(user: "carol", uid: 0, groups: [], service: "su"),
            leader: ProcessIdentity(pid: 1, startTime: 0), sid: 1, openedAt: Instant(seconds: 0), limits: Limits())
        minimal.terminalDiscovery = .settled
        var unset = Limits()
        unset.checkGraphical = nil
        minimal.limits = unset
        return PersistedState(
            savedAt: ClockSample(wall: Instant(seconds: 2_850), boot: 77_000), bootID: "8f2c-\"x\"",
            nextSessionNumber: UInt64.max,
            sessions: [Self.fullSession(id: "9"), Self.fullSession(id: "10", exemption: .user("root")),
                       Self.fullSession(id: "11", exemption: .moduleArgument), minimal,
                       Self.fullSession(id: "13", exemption: .group("wheel"))])
    }

    func testFullyPopulatedSessionsRoundTripExactly() throws {
        let state = fullState()
        XCTAssertEqual(try StateStore.decode(try StateStore.encode(state)), state)
        let store = StateStore(directory: directory)
        try store.save(state)
        XCTAssertEqual(try store.load(), state)
        var noBoot = state
        noBoot.bootID = nil
        try store.save(noBoot)
        XCTAssertEqual(try store.load(), noBoot)
    }

    /// The streamed JSON is the document Foundation's encoder writes (up to the order of keys, which
    /// JSONEncoder does not keep on Linux), whatever the chunks it reaches the file in.
    func testStreamedJSONIsFoundationsJSON() throws {
        let state = fullState()
        let expected = try JSONSerialization.jsonObject(with: JSONEncoder().encode(state)) as? NSDictionary
        XCTAssertNotNil(expected)
        for chunkSize in [1, 7, 1 << 16] {
            var streamed: [UInt8] = []
            let encoder = JSONStreamEncoder(chunkSize: chunkSize) { streamed += $0 }
            try encoder.encode(state)
            try encoder.flush()
            let object = try JSONSerialization.jsonObject(with: Data(streamed)) as? NSDictionary
            XCTAssertEqual(object, expected, "chunk size \(chunkSize)")
        }
        var payload: [UInt8] = []
        try StateStore.writePayload(savedAt: state.savedAt, bootID: state.bootID,
                                    nextSessionNumber: state.nextSessionNumber, sessions: state.sessions) {
            payload += $0
        }
        XCTAssertEqual(try JSONSerialization.jsonObject(with: Data(payload)) as? NSDictionary, expected)
    }

    /// A state file written by the previous version (Foundation's JSONEncoder, a header without padding) loads.
    func testFileOfThePreviousVersionLoads() throws {
        let state = fullState()
        let payload = Array(try JSONEncoder().encode(state))
        let header = "idlewarden-state 1 \(String(CRC32.checksum(payload), radix: 16)) \(payload.count)\n"
        let store = StateStore(directory: directory)
        let fd = open(store.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        let bytes = Array(header.utf8) + payload
        XCTAssertEqual(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }, bytes.count)
        close(fd)
        XCTAssertEqual(try store.load(), state)
    }

    func testHeaderHasFixedWidthAndMatchesThePayload() throws {
        let store = StateStore(directory: directory)
        try store.save(sampleState())
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: store.path))
        let newline = try XCTUnwrap(bytes.firstIndex(of: UInt8(ascii: "\n")))
        let header = String(decoding: bytes[..<newline], as: UTF8.self).split(separator: " ")
        XCTAssertEqual(header.count, 4)
        XCTAssertEqual(header[2].count, 8)
        XCTAssertEqual(header[3].count, StateFileWriter.lengthDigits)
        XCTAssertEqual(Int(header[3]), bytes.count - newline - 1)
        XCTAssertEqual(UInt32(header[2], radix: 16), CRC32.checksum(bytes[(newline + 1)...]))
    }

    /// A write that fails half-way (here the file size limit, as a full disk would) leaves the previous state
    /// file whole and no temporary file.
    func testFailedSaveKeepsThePreviousFile() throws {
        let store = StateStore(directory: directory)
        try store.save(sampleState())
        let many = PersistedState(
            savedAt: ClockSample(wall: Instant(seconds: 1), boot: 1), bootID: nil, nextSessionNumber: 3_000,
            sessions: (1...2_000).map { Self.fullSession(id: String($0)) })
        let oldHandler = signal(SIGXFSZ, SIG_IGN)
        var old = rlimit()
        XCTAssertEqual(getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &old), 0)
        var small = old
        small.rlim_cur = 100_000
        XCTAssertEqual(setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &small), 0)
        XCTAssertThrowsError(try store.save(many)) { XCTAssertTrue("\($0)".contains("write"), "\($0)") }
        XCTAssertEqual(setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &old), 0)
        signal(SIGXFSZ, oldHandler)
        XCTAssertEqual(try store.load(), sampleState())
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.path + ".tmp"))
        try store.save(many)
        XCTAssertEqual(try store.load(), many)
    }

    /// Saving holds one chunk, never the whole state: the heap in use while a 2 MB state is streamed stays
    /// within a few chunks of what it was (Foundation's JSONEncoder took ≈ 16 MB per 1,000 sessions).
    func testSavingHoldsAChunkNotTheState() throws {
        let sessions = (1...2_000).map { Self.fullSession(id: String($0)) }
        var written = 0
        var peak = 0
        func inUse() -> Int { let info = mallinfo2(); return Int(info.uordblks + info.hblkhd) } // heap + mmapped
        let before = inUse()
        try StateStore.writePayload(savedAt: ClockSample(wall: Instant(seconds: 1), boot: 1), bootID: nil,
                                    nextSessionNumber: 2_001, sessions: sessions) { chunk in
            written += chunk.count
            peak = max(peak, inUse() - before)
        }
        XCTAssertGreaterThan(written, 2_000_000)
        XCTAssertLessThan(peak, 512 * 1024, "heap grew by \(peak) bytes while \(written) bytes were streamed")
    }

    func testEncoderRefusesWhatItCannotWrite() {
        struct Infinite: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(Double.infinity)
            }
        }
        struct Inherited: Encodable {
            enum Keys: CodingKey { case a }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Keys.self)
                _ = container.superEncoder()
            }
        }
        struct BackToAnEarlierContainer: Encodable {
            enum Keys: CodingKey { case a, b }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Keys.self)
                var first = container.nestedUnkeyedContainer(forKey: .a)
                try container.encode(1, forKey: .b)
                try first.encode(2)
            }
        }
        struct IntoALaterSibling: Encodable {
            enum Keys: CodingKey { case a, b }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Keys.self)
                var first = container.nestedUnkeyedContainer(forKey: .a)
                var second = container.nestedUnkeyedContainer(forKey: .b)
                try second.encode(1)
                try first.encode(2) // same depth as `second`, which is open: must not land in it
            }
        }
        for value in [Infinite() as any Encodable, Inherited(), BackToAnEarlierContainer(), IntoALaterSibling()] {
            let encoder = JSONStreamEncoder { _ in }
            XCTAssertThrowsError(try encoder.encode(value), "\(value)")
        }
    }

    func testRoundTripWithModeAndNoTemporaryLeft() throws {
        let store = StateStore(directory: directory)
        XCTAssertNil(try store.load())
        try store.save(sampleState())
        XCTAssertEqual(try store.load(), sampleState())
        var info = stat()
        XCTAssertEqual(stat(store.path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.path + ".tmp"))
    }

    func testEveryCorruptionIsDetected() throws {
        let bytes = try StateStore.encode(sampleState())
        XCTAssertThrowsError(try StateStore.decode(Array(bytes.prefix(bytes.count - 1)))) {
            guard case .lengthMismatch = $0 as? StateStore.LoadError else { return XCTFail("\($0)") }
        }
        var flipped = bytes
        flipped[flipped.count - 5] ^= 0x01
        XCTAssertEqual(try? StateStore.decode(flipped), nil)
        XCTAssertThrowsError(try StateStore.decode(flipped)) {
            XCTAssertEqual($0 as? StateStore.LoadError, .checksumMismatch)
        }
        XCTAssertThrowsError(try StateStore.decode(Array("idlewarden-state 1 0 0\n".utf8))) {
            guard case .badPayload = $0 as? StateStore.LoadError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try StateStore.decode(Array("garbage".utf8))) {
            XCTAssertEqual($0 as? StateStore.LoadError, .badHeader)
        }
        var future = bytes
        future[17] = UInt8(ascii: "9")
        XCTAssertThrowsError(try StateStore.decode(future)) {
            XCTAssertEqual($0 as? StateStore.LoadError, .unsupportedVersion("9"))
        }
    }

    func testQuarantineMovesTheFileAside() throws {
        let store = StateStore(directory: directory)
        try store.save(sampleState())
        let moved = try XCTUnwrap(store.quarantine(now: Instant(seconds: 5)))
        XCTAssertTrue(FileManager.default.fileExists(atPath: moved))
        XCTAssertNil(try store.load())
    }

    func testCRC32MatchesZlib() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
    }
}
