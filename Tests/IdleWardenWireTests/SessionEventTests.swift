import XCTest
@testable import IdleWardenWire

final class SessionEventTests: XCTestCase {
    let sample = SessionEvent(
        phase: .open, pid: 4242, startTime: 987_654_321, sid: 4242, uid: 1001, user: "alice", service: "sshd",
        tty: "ssh", rhost: "192.0.2.7", xdgSessionID: "c12", overrides: ["idle_timeout=30m", "exempt"])

    func testOpenRoundTrip() throws {
        let decoded = try Message.decode(try sample.encoded())
        XCTAssertEqual(decoded, .session(sample))
    }

    func testCloseWithoutOptionalFieldsRoundTrip() throws {
        let event = SessionEvent(phase: .close, pid: 1, startTime: 2, sid: 3, uid: 0, user: "root", service: "su")
        XCTAssertEqual(try Message.decode(try event.encoded()), .session(event))
    }

    /// What the module sends today: only the pid of the process, plus the desktop items when a display manager set
    /// them; the start time, sid and uid are the daemon's to find.
    func testModuleDatagramWithoutProcessFactsDecodes() throws {
        var writer = DatagramWriter(kind: .open)
        writer.append(.pid, integer: 77)
        try writer.append(.user, text: "alice")
        try writer.append(.service, text: "lightdm")
        try writer.append(.xdisplay, text: ":0")
        try writer.append(.xdgSessionType, text: "x11")
        let expected = SessionEvent(phase: .open, pid: 77, user: "alice", service: "lightdm", xdisplay: ":0",
                                    xdgSessionType: "x11")
        XCTAssertEqual(try Message.decode(writer.bytes), .session(expected))
        XCTAssertEqual(try Message.decode(try expected.encoded()), .session(expected))
    }

    func testNonASCIIUserRoundTrips() throws {
        var event = sample
        event.user = "jürgen"
        XCTAssertEqual(try Message.decode(try event.encoded()), .session(event))
    }

    func testMissingUserIsRejected() throws {
        var writer = DatagramWriter(kind: .open)
        writer.append(.pid, integer: 1)
        writer.append(.startTime, integer: 1)
        writer.append(.sid, integer: 1)
        writer.append(.uid, integer: 1)
        try writer.append(.service, text: "sshd")
        XCTAssertThrowsError(try Message.decode(writer.bytes)) {
            XCTAssertEqual($0 as? WireError, .missingField(.user))
        }
    }

    func testEncoderRefusesOverlongUser() {
        var event = sample
        event.user = String(repeating: "a", count: 4096)
        XCTAssertThrowsError(try event.encoded()) {
            XCTAssertEqual($0 as? WireError, .fieldTooLong(.user, length: 4096, limit: 256))
        }
    }

    func testFieldOfAnotherKindIsRejected() throws {
        var bytes = try sample.encoded()
        bytes += [FieldTag.sessionID.rawValue, 0, 1, UInt8(ascii: "x")]
        XCTAssertThrowsError(try Message.decode(bytes)) {
            XCTAssertEqual($0 as? WireError, .unexpectedField(.sessionID))
        }
    }
}
