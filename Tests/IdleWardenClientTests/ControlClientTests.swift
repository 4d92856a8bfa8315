import Foundation
import IdleWardenClient
import IdleWardenWire
import SystemPackage
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The client's side of the control socket, against a fake daemon on a socket of the test's own.
final class ControlClientTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        var template = Array((NSTemporaryDirectory() + "/iw-client-XXXXXX").utf8CString)
        directory = try XCTUnwrap(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
            .map { String(cString: $0) })
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(atPath: directory)
    }

    func testSocketPathThatDoesNotFitIsRefusedNotCut() {
        XCTAssertEqual(UnixSocketAddress.maxPathLength, 107)
        XCTAssertNotNil(UnixSocketAddress("/" + String(repeating: "s", count: 106)))
        XCTAssertNil(UnixSocketAddress("/" + String(repeating: "s", count: 107)))
        let path = "/" + String(repeating: "s", count: 200)
        XCTAssertThrowsError(try ControlClient(socketPath: path).send(.status)) {
            XCTAssertEqual("\($0)", "socket path \(path) is longer than 107 bytes")
        }
    }

    func testMissingDaemonIsNamedWithTheReason() {
        let path = directory + "/absent.sock"
        XCTAssertThrowsError(try ControlClient(socketPath: path).send(.status)) {
            XCTAssertEqual("\($0)",
                           "cannot reach the idlewarden daemon at \(path) (No such file or directory); is it running?")
        }
    }

    /// A reply larger than one datagram arrives in chunks, each asked for in turn; a chunk of another request
    /// (a late answer to an earlier client) is skipped.
    func testChunkedReplyIsJoined() throws {
        let reply = ControlReply(ok: true, lines: (0..<4000).map { "line \($0) of a long sweep" })
        let payload = Array(try JSONEncoder().encode(reply))
        let chunks = ReplyChunk.split(payload, requestID: 0)
        XCTAssertGreaterThan(chunks.count, 1)
        let daemon = try FakeDaemon(path: directory + "/control.sock")
        let asked = daemon.serve(requests: chunks.count) { request in
            var answer = chunks[Int(request.chunk)]
            answer.requestID = request.requestID
            var stray = answer
            stray.requestID = request.requestID &+ 1
            return [stray, answer]
        }
        let received = try ControlClient(socketPath: daemon.path).send(.sweep(dryRun: true))
        XCTAssertEqual(received, reply)
        XCTAssertEqual(asked().map(\.chunk), (0..<chunks.count).map { UInt16($0) })
        XCTAssertTrue(asked().allSatisfy { $0.action == .sweep(dryRun: true) })
    }

    func testSilentDaemonTimesOut() throws {
        let daemon = try FakeDaemon(path: directory + "/silent.sock")
        _ = daemon.serve(requests: 1) { _ in [] }
        var client = ControlClient(socketPath: daemon.path)
        client.timeoutMilliseconds = 200
        XCTAssertThrowsError(try client.send(.status)) {
            XCTAssertEqual("\($0)", "no answer from the idlewarden daemon at \(daemon.path) within 200 ms")
        }
    }
}

/// A datagram socket that answers each request with the chunks `answer` returns, on a thread of its own that ends
/// after the number of requests a test expects.
private final class FakeDaemon: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var requests: [ControlRequest] = []

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0, let address = UnixSocketAddress(path), address.withSockaddr({ bind(fd, $0, $1) }) == 0 else {
            throw Errno(rawValue: errno)
        }
    }

    deinit { close(fd) }

    /// Returns what has been asked so far.
    func serve(
        requests expected: Int, _ answer: @escaping @Sendable (ControlRequest) -> [ReplyChunk]
    ) -> () -> [ControlRequest] {
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: Datagram.requestLimit)
            for _ in 0..<expected {
                var from = sockaddr_storage()
                var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let count = buffer.withUnsafeMutableBytes { raw in
                    withUnsafeMutablePointer(to: &from) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            recvfrom(fd, raw.baseAddress, raw.count, 0, $0, &length)
                        }
                    }
                }
                guard count > 0, case .request(let request)? = try? Message.decode(Array(buffer.prefix(count)))
                else { return }
                lock.withLock { requests.append(request) }
                for chunk in answer(request) {
                    guard let bytes = try? chunk.encoded() else { continue }
                    _ = withUnsafePointer(to: &from) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { to in
                            bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, to, length) }
                        }
                    }
                }
            }
        }
        return { [self] in lock.withLock { requests } }
    }
}
