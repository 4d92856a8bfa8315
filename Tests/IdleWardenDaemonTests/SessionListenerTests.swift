import Foundation
import IdleWardenWire
import XCTest
@testable import IdleWardenDaemon

#if canImport(Glibc)
import Glibc
#endif

/// The session socket as the daemon runs it, with real connections (the tests run as root, as the daemon does).
final class SessionListenerTests: XCTestCase {
    private var directory: String!
    private var path: String { directory + "/session.sock" }

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "idlewarden-listener-\(UUID().uuidString)"
        XCTAssertEqual(mkdir(directory, 0o755), 0)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A connected client socket, or nil when connect failed (errno says why).
    private func connectClient() -> Int32? {
        let fd = socket(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8))
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let saved = errno
            close(fd)
            errno = saved
            return nil
        }
        return fd
    }

    /// Sends `bytes` on `fd`, with SCM_CREDENTIALS (pid, uid, gid) when given, as the module does.
    @discardableResult
    private func send(_ bytes: [UInt8], on fd: Int32, credentials: (Int32, UInt32, UInt32)? = nil) -> Int {
        // struct cmsghdr { size_t len; int level; int type; } then struct ucred { pid_t; uid_t; gid_t; }.
        var control = [UInt8](repeating: 0, count: 32)
        if let (pid, uid, gid) = credentials {
            control.withUnsafeMutableBytes { raw in
                raw.storeBytes(of: 28, toByteOffset: 0, as: Int.self)
                raw.storeBytes(of: SOL_SOCKET, toByteOffset: 8, as: Int32.self)
                raw.storeBytes(of: 2, toByteOffset: 12, as: Int32.self)  // SCM_CREDENTIALS
                raw.storeBytes(of: pid, toByteOffset: 16, as: Int32.self)
                raw.storeBytes(of: uid, toByteOffset: 20, as: UInt32.self)
                raw.storeBytes(of: gid, toByteOffset: 24, as: UInt32.self)
            }
        }
        var payload = bytes
        return payload.withUnsafeMutableBytes { data in
            control.withUnsafeMutableBytes { controlBytes in
                var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    if credentials != nil {
                        message.msg_control = controlBytes.baseAddress
                        message.msg_controllen = controlBytes.count
                    }
                    return sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
                }
            }
        }
    }

    private func records(_ received: [SessionListener.Received]) -> [([UInt8], Sender)] {
        received.compactMap { if case .record(let bytes, let sender) = $0 { return (bytes, sender) } else { return nil } }
    }

    func testTheSocketIsRootsAlone() throws {
        let listener = try SessionListener(path: path)
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFSOCK)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        listener.unlinkPath()
        XCTAssertNotEqual(lstat(path, &info), 0)
    }

    /// The sender's explicit credentials are what the daemon sees (the kernel checked them at send).
    func testRecordArrivesWithTheCredentialsItCarried() throws {
        let listener = try SessionListener(path: path)
        let client = try XCTUnwrap(connectClient())
        defer { close(client) }
        XCTAssertEqual(send([1, 2, 3], on: client, credentials: (getpid(), 4321, 8765)), 3)
        let got = records(listener.receive())
        XCTAssertEqual(got.count, 1)
        XCTAssertEqual(got.first?.0, [1, 2, 3])
        XCTAssertEqual(got.first?.1.pid, getpid())
        XCTAssertEqual(got.first?.1.uid, 4321)
        XCTAssertEqual(got.first?.1.gid, 8765)
    }

    /// Without explicit credentials the kernel attaches the sender's real ones.
    func testRecordWithoutCredentialsCarriesTheRealOnes() throws {
        let listener = try SessionListener(path: path)
        let client = try XCTUnwrap(connectClient())
        send([9], on: client)
        close(client)
        let got = records(listener.receive())
        XCTAssertEqual(got.first?.1.uid, getuid())
        XCTAssertEqual(got.first?.1.pid, getpid())
    }

    /// More logins than one wake-up accepts wait in the backlog, in order, and none is lost.
    func testABurstLargerThanOneWakeUpArrivesWholeAndInOrder() throws {
        let listener = try SessionListener(path: path)
        let count = SessionListener.acceptLimit * 2 + 17
        for index in 0..<count {
            let client = try XCTUnwrap(connectClient(), "connect \(index): errno \(errno)")
            XCTAssertEqual(send([UInt8(index >> 8), UInt8(index & 0xFF)], on: client), 2)
            close(client)
        }
        var got: [Int] = []
        var wakeUps = 0
        while got.count < count && wakeUps < 10 {
            let batch = records(listener.receive())
            XCTAssertLessThanOrEqual(batch.count, SessionListener.acceptLimit)
            got += batch.map { Int($0.0[0]) << 8 | Int($0.0[1]) }
            wakeUps += 1
        }
        XCTAssertEqual(got, Array(0..<count))
        XCTAssertEqual(wakeUps, 3)
    }

    /// A connection whose record is late waits; one that never sends is dropped after the patience; one that
    /// closes without a record is reported at once. Nothing blocks.
    func testLateSilentAndEmptyConnections() throws {
        let listener = try SessionListener(path: path, patienceMilliseconds: 200)
        let late = try XCTUnwrap(connectClient())
        let silent = try XCTUnwrap(connectClient())
        let empty = try XCTUnwrap(connectClient())
        close(empty)
        defer { close(late); close(silent) }
        let started = Date()
        let first = listener.receive()
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.1, "receive never waits")
        XCTAssertEqual(first.count, 1)
        guard case .silent(let peer)? = first.first else { return XCTFail("expected the empty connection: \(first)") }
        XCTAssertEqual(peer.pid, getpid(), "the peer as it connected (SO_PEERCRED)")

        send([7], on: late)
        var pollEntry = pollfd(fd: listener.descriptor, events: Int16(POLLIN), revents: 0)
        XCTAssertEqual(poll(&pollEntry, 1, 1000), 1, "the late record makes the listener readable")
        XCTAssertEqual(records(listener.receive()).map(\.0), [[7]])

        XCTAssertEqual(poll(&pollEntry, 1, 2000), 1, "the patience timer wakes the loop")
        let last = listener.receive()
        XCTAssertEqual(last.count, 1)
        guard case .silent? = last.first else { return XCTFail("expected the silent connection dropped: \(last)") }
        XCTAssertEqual(poll(&pollEntry, 1, 0), 0, "nothing left to report")
    }

    func testOversizedRecordIsReportedBySize() throws {
        let listener = try SessionListener(path: path)
        let client = try XCTUnwrap(connectClient())
        defer { close(client) }
        send([UInt8](repeating: 0x41, count: Datagram.requestLimit + 100), on: client)
        guard case .oversized(let size, _)? = listener.receive().first else { return XCTFail("not reported oversized") }
        XCTAssertEqual(size, Datagram.requestLimit + 100)
    }

    func testAnythingButAStaleSocketAtThePathIsLeftAlone() throws {
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("keep".utf8)))
        XCTAssertThrowsError(try SessionListener(path: path))
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "keep")
    }
}
