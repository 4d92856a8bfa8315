import Foundation
import XCTest
@testable import IdleWardenCore
@testable import IdleWardenDaemon

final class StateStoreTests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "idlewarden-state-\(UUID().uuidString)"
        XCTAssertEqual(mkdir(directory, 0o700), 0)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func sampleState() -> PersistedState {
        var session = Session(
            id: "7", facts: SessionFacts(user: "alice", uid: 1001, groups: ["staff"], service: "sshd", tty: "ssh",
                                         rhost: "192.0.2.1", moduleArguments: ["idle_timeout=30m"]),
            leader: ProcessIdentity(pid: 4242, startTime: 99), sid: 4242, openedAt: Instant(seconds: 1_000),
            limits: Limits(idleTimeout: .seconds(1800), maxSession: .seconds(43_200), exemption: nil),
            terminals: ["/dev/pts/3"])
        session.observe(atimeSeconds: 1_100)
        session.warning = Warning(issuedAt: Instant(seconds: 2_800), deadline: Instant(seconds: 2_904), reason: .idle)
        return PersistedState(
            savedAt: ClockSample(wall: Instant(seconds: 2_850), boot: 77_000), bootID: "b", nextSessionNumber: 8,
            sessions: [session])
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
