import IdleWardenCore
import IdleWardenWire
import XCTest
@testable import IdleWardenDaemon

#if canImport(Glibc)
import Glibc
#endif

/// What the daemon does with the control receiver's frames: datagrams that carried descriptors, the copy of a
/// datagram a killed receiver had not dequeued, and where replies may go.
final class DaemonReceiverTests: XCTestCase {
    private var harness: DaemonHarness!
    private var audit: MemoryAudit { harness.audit }
    private var daemon: Daemon { harness.daemon }

    override func setUpWithError() throws {
        harness = try DaemonHarness()
        harness.user("alice", uid: 1001)
    }

    override func tearDown() {
        harness = nil
    }

    /// An abstract address as the kernel reports an autobound client: family, NUL, five hex digits.
    private let abstract: [UInt8] = [UInt8(AF_UNIX), 0, 0] + Array("1f2e3".utf8)

    private func sender(uid: UInt32 = 1001, address: [UInt8]? = nil) -> Sender {
        Sender(pid: 4242, uid: uid, gid: uid, address: address ?? abstract)
    }

    private func pathAddress(_ path: String) -> [UInt8] {
        [UInt8(AF_UNIX), 0] + Array(path.utf8) + [0]
    }

    private func keepalive() throws -> [UInt8] {
        try ControlRequest(requestID: 9, action: .keepalive(sessionID: nil)).encoded()
    }

    /// A request that came with a descriptor (a kernel without SO_PASSRIGHTS let it through) is refused whatever
    /// it asks, audited with its sender, and not answered; the same request without one is.
    func testDatagramWithDescriptorsIsRefused() throws {
        let login = try harness.sshLogin("alice")
        harness.run(for: .seconds(60))
        let status = try ControlRequest(requestID: 5, action: .status).encoded()
        XCTAssertNil(daemon.receive(.datagram(.datagram(status, sender()), carriesDescriptors: true)))
        let line = try XCTUnwrap(audit.lines("reject", ["reason": "passed-descriptors"]).last, audit.text)
        XCTAssertEqual(line["sender_uid"], "1001")
        XCTAssertEqual(line["sender_pid"], "4242")
        daemon.receive(.consumed)
        XCTAssertNil(daemon.receive(.datagram(.datagram(try keepalive(), sender()), carriesDescriptors: true)))
        XCTAssertEqual(audit.count("keepalive"), 0)
        XCTAssertEqual(try harness.status(of: login)?.idleSeconds, 60 - 8)

        let reply = try XCTUnwrap(daemon.receive(.datagram(.datagram(status, sender()), carriesDescriptors: false)))
        XCTAssertEqual(reply.address, abstract)
        XCTAssertFalse(reply.bytes.isEmpty)
    }

    /// A receiver killed while dequeuing a keepalive may not have dequeued it: the next receiver's copy is not
    /// acted on a second time, and the requests after it are.
    func testCopyAfterAKillIsNotActedOnTwice() throws {
        try harness.sshLogin("alice")
        let request = try keepalive()
        let frame = ReceiverFrame.datagram(.datagram(request, sender()), carriesDescriptors: false)
        XCTAssertNotNil(daemon.receive(frame))
        XCTAssertEqual(audit.count("keepalive"), 1)
        harness.clock.advance(by: .seconds(1))
        guard case .kill = daemon.receiverWatch.due(now: harness.clock.now(), receiverIsRunnable: false) else {
            return XCTFail("a receiver that never said CONSUMED was not killed")
        }
        XCTAssertEqual(daemon.receiverWatch.exited(now: harness.clock.now()), .start)
        daemon.receiverWatch.started(now: harness.clock.now())
        XCTAssertNil(daemon.receive(frame))
        XCTAssertEqual(audit.count("keepalive"), 1)
        daemon.receive(.consumed)
        XCTAssertNotNil(daemon.receive(frame))
        XCTAssertEqual(audit.count("keepalive"), 2)
    }

    /// A request from a socket bound to a path (which could be a symlink by the time of the reply) is refused
    /// before it is acted on, and audited with the path; one from an unnamed socket is acted on but has nowhere to
    /// go; one from an abstract address is answered there.
    func testRepliesGoOnlyToAbstractAddresses() throws {
        try harness.sshLogin("alice")
        let path = "/tmp/evil\u{1B}[2J/link"
        let fromPath = sender(address: pathAddress(path))
        XCTAssertNil(daemon.receive(.datagram(.datagram(try keepalive(), fromPath), carriesDescriptors: false)))
        let line = try XCTUnwrap(audit.lines("reject", ["reason": "reply-address"]).last, audit.text)
        XCTAssertEqual(line["detail"], "path=\(path)")
        XCTAssertEqual(line["sender_uid"], "1001")
        XCTAssertEqual(audit.count("keepalive"), 0)
        XCTAssertTrue(line.record.description.contains("\\x1B"), "the path is escaped in the audit line")

        daemon.receive(.consumed)
        let unnamed = sender(address: [])
        XCTAssertNil(daemon.receive(.datagram(.datagram(try keepalive(), unnamed), carriesDescriptors: false)))
        XCTAssertEqual(audit.count("keepalive"), 1)

        daemon.receive(.consumed)
        let frame = ReceiverFrame.datagram(.datagram(try keepalive(), sender()), carriesDescriptors: false)
        let reply = try XCTUnwrap(daemon.receive(frame))
        XCTAssertEqual(reply.address, abstract)
        XCTAssertEqual(ReplyAddress(abstract), .abstract(abstract))
        XCTAssertEqual(ReplyAddress(pathAddress("/run/x.sock")), .path("/run/x.sock"))
        XCTAssertEqual(ReplyAddress([UInt8(AF_UNIX), 0]), .unnamed)
    }

    /// A user's flood through the receiver spends that user's budget only: root and other users are answered.
    func testFloodSpendsOnlyTheFloodersBudget() throws {
        let status = try ControlRequest(requestID: 5, action: .status).encoded()
        var answered = 0
        for _ in 0..<1000 {
            if daemon.receive(.datagram(.datagram(status, sender(uid: 1001)), carriesDescriptors: true)) != nil {
                answered += 1
            }
            daemon.receive(.consumed)
        }
        XCTAssertEqual(answered, 0)
        XCTAssertEqual(audit.count("reject", ["reason": "passed-descriptors"]), 20, "the burst, then dropped unread")
        XCTAssertNotNil(daemon.receive(.datagram(.datagram(status, sender(uid: 1002)), carriesDescriptors: false)))
        daemon.receive(.consumed)
        XCTAssertNotNil(daemon.receive(.datagram(.datagram(status, sender(uid: 0)), carriesDescriptors: false)))
    }
}
