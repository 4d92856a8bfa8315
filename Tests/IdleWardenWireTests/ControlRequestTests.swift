import XCTest
@testable import IdleWardenWire

final class ControlRequestTests: XCTestCase {
    func testStatusAndKeepaliveRoundTrip() throws {
        for request in [
            ControlRequest(requestID: 1, action: .status),
            ControlRequest(requestID: 2, action: .status, chunk: 5),
            ControlRequest(requestID: 3, action: .keepalive(sessionID: nil)),
            ControlRequest(requestID: 4, action: .keepalive(sessionID: "17")),
            ControlRequest(requestID: 5, action: .reload),
            ControlRequest(requestID: 6, action: .sweep(dryRun: true)),
            ControlRequest(requestID: 7, action: .sweep(dryRun: false)),
            ControlRequest(requestID: 8, action: .inhibit(why: nil, sessionID: nil)),
            ControlRequest(requestID: 9, action: .inhibit(why: "nightly build", sessionID: "4")),
        ] {
            XCTAssertEqual(try Message.decode(try request.encoded()), .request(request))
        }
    }

    func testStatusMayNotCarrySessionFields() throws {
        var bytes = try ControlRequest(requestID: 1, action: .status).encoded()
        bytes += [FieldTag.user.rawValue, 0, 1, UInt8(ascii: "a")]
        XCTAssertThrowsError(try Message.decode(bytes)) {
            XCTAssertEqual($0 as? WireError, .unexpectedField(.user))
        }
    }

    /// The reason is text like any other: no control characters, at most 256 bytes.
    func testInhibitReasonIsBounded() throws {
        var writer = DatagramWriter(kind: .inhibit)
        writer.append(.requestID, integer: 1)
        XCTAssertThrowsError(try writer.append(.why, text: String(repeating: "x", count: 257)))
        try writer.append(.why, text: "a\u{1b}[2J")
        XCTAssertThrowsError(try Message.decode(writer.bytes)) {
            XCTAssertEqual($0 as? WireError, .forbiddenByte(.why))
        }
    }

    func testRepliesSplitAndJoin() throws {
        let payload = (0..<(Datagram.replyLimit * 2)).map { UInt8(truncatingIfNeeded: $0) }
        let chunks = ReplyChunk.split(payload, requestID: 9)
        XCTAssertEqual(chunks.count, 3)
        XCTAssertEqual(chunks.map(\.isFinal), [false, false, true])
        var joined: [UInt8] = []
        for chunk in chunks {
            let bytes = try chunk.encoded()
            XCTAssertLessThanOrEqual(bytes.count, Datagram.replyLimit)
            guard case .reply(let decoded) = try Message.decode(bytes, limit: Datagram.replyLimit) else {
                return XCTFail("not a reply")
            }
            joined += decoded.payload
        }
        XCTAssertEqual(joined, payload)
    }

    func testEmptyReplyIsOneFinalChunk() {
        let chunks = ReplyChunk.split([], requestID: 1)
        XCTAssertEqual(chunks.count, 1)
        XCTAssertTrue(chunks[0].isFinal)
    }
}
