import CIdleWarden
import Foundation
import IdleWardenWire
import XCTest
@testable import IdleWardenDaemon

#if canImport(Glibc)
import Glibc
#endif

/// The receiver's step (`iw_receiver_step`) on real sockets of the test's own: what it forwards for each kind of
/// datagram, that it dequeues each one and says so, and that descriptors a sender passes never reach it.
final class ControlReceiverTests: XCTestCase {
    private var control: Int32 = -1
    private var channel: [Int32] = [-1, -1]
    private var client: Int32 = -1
    private var address = sockaddr_un()
    private var buffer = [UInt8](repeating: 0, count: Datagram.requestLimit)

    override func setUpWithError() throws {
        control = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        XCTAssertGreaterThanOrEqual(control, 0)
        var on: Int32 = 1
        XCTAssertEqual(setsockopt(control, SOL_SOCKET, SO_PASSCRED, &on, socklen_t(MemoryLayout<Int32>.size)), 0)
        // An abstract name of the test's own, so that nothing on disk is needed.
        address.sun_family = sa_family_t(AF_UNIX)
        let name = Array("\0idlewarden-test-receiver-\(getpid())-\(UInt32.random(in: 0...UInt32.max))".utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: name) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + name.count)
        let bound = withUnsafePointer(to: address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(control, $0, length) }
        }
        XCTAssertEqual(bound, 0, String(cString: strerror(errno)))
        addressLength = length
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue), 0, &channel), 0)
        client = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        XCTAssertEqual(setsockopt(client, SOL_SOCKET, SO_PASSCRED, &on, socklen_t(MemoryLayout<Int32>.size)), 0)
    }

    private var addressLength: socklen_t = 0

    override func tearDown() {
        for fd in [control, channel[0], channel[1], client] where fd >= 0 { close(fd) }
    }

    private func send(_ bytes: [UInt8], passing descriptor: Int32? = nil) throws {
        XCTAssertEqual(sendMessage(bytes, passing: descriptor), bytes.count, String(cString: strerror(errno)))
    }

    /// sendmsg to the control socket, with an SCM_RIGHTS message holding `descriptor` when given.
    private func sendMessage(_ bytes: [UInt8], passing descriptor: Int32?) -> Int {
        var payload = bytes
        var target = address
        var control = descriptor.map(Self.rightsMessage) ?? []
        return payload.withUnsafeMutableBytes { raw in
            var iov = iovec(iov_base: raw.baseAddress, iov_len: raw.count)
            return withUnsafeMutablePointer(to: &iov) { iovPointer in
                withUnsafeMutablePointer(to: &target) { name in
                    control.withUnsafeMutableBytes { controlBytes in
                        var message = msghdr()
                        message.msg_name = UnsafeMutableRawPointer(name)
                        message.msg_namelen = addressLength
                        message.msg_iov = iovPointer
                        message.msg_iovlen = 1
                        message.msg_control = controlBytes.isEmpty ? nil : controlBytes.baseAddress
                        message.msg_controllen = controlBytes.count
                        return sendmsg(client, &message, 0)
                    }
                }
            }
        }
    }

    /// One SCM_RIGHTS control message (CMSG_SPACE(sizeof(int)) bytes) holding `descriptor`.
    private static func rightsMessage(_ descriptor: Int32) -> [UInt8] {
        let headerSize = MemoryLayout<cmsghdr>.size
        let align = MemoryLayout<Int>.size
        let space = headerSize + (MemoryLayout<Int32>.size + align - 1) / align * align
        var header = cmsghdr()
        header.cmsg_len = headerSize + MemoryLayout<Int32>.size
        header.cmsg_level = SOL_SOCKET
        header.cmsg_type = 1 // SCM_RIGHTS
        var bytes = withUnsafeBytes(of: header) { Array($0) } + withUnsafeBytes(of: descriptor) { Array($0) }
        bytes += [UInt8](repeating: 0, count: space - bytes.count)
        return bytes
    }

    private func step() -> Int32 {
        buffer.withUnsafeMutableBytes { iw_receiver_step(control, channel[1], $0.baseAddress, $0.count) }
    }

    private func frame() throws -> ReceiverFrame {
        var bytes = [UInt8](repeating: 0, count: ReceiverFrame.headerSize + Datagram.requestLimit + 1)
        let count = bytes.withUnsafeMutableBytes { recv(channel[0], $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        XCTAssertGreaterThan(count, 0, "no frame on the channel")
        let frame = bytes.withUnsafeBytes { ReceiverFrame(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
        return try XCTUnwrap(frame)
    }

    private func channelIsEmpty() -> Bool {
        var byte: UInt8 = 0
        return recv(channel[0], &byte, 1, Int32(MSG_DONTWAIT)) < 0 && errno == EAGAIN
    }

    /// A request is forwarded with its bytes, the kernel's credentials of the sender and the sender's autobound
    /// (abstract) address; then it is dequeued and a CONSUMED frame follows; an empty queue is a 0.
    func testDatagramIsForwardedWithCredentialsThenConsumed() throws {
        let request = try ControlRequest(requestID: 7, action: .status).encoded()
        try send(request)
        XCTAssertEqual(step(), 1)
        guard case .datagram(.datagram(let bytes, let sender), let descriptors) = try frame() else {
            return XCTFail("not a datagram frame")
        }
        XCTAssertEqual(bytes, request)
        XCTAssertFalse(descriptors)
        XCTAssertEqual(sender.pid, getpid())
        XCTAssertEqual(sender.uid, getuid())
        XCTAssertEqual(sender.gid, getgid())
        guard case .abstract = ReplyAddress(sender.address) else { return XCTFail("address \(sender.address)") }
        guard case .consumed = try frame() else { return XCTFail("no CONSUMED frame") }
        XCTAssertTrue(channelIsEmpty())
        XCTAssertEqual(step(), 0, "the datagram was not dequeued")
    }

    /// Larger than a request may be: only its size is forwarded. Empty: forwarded as empty.
    func testOversizedAndEmptyDatagrams() throws {
        try send([UInt8](repeating: 0x41, count: Datagram.requestLimit + 500))
        try send([])
        XCTAssertEqual(step(), 1)
        guard case .datagram(.oversized(let size, _), _) = try frame() else { return XCTFail("not oversized") }
        XCTAssertEqual(size, Datagram.requestLimit + 500)
        guard case .consumed = try frame() else { return XCTFail("no CONSUMED frame") }
        XCTAssertEqual(step(), 1)
        guard case .datagram(.empty, _) = try frame() else { return XCTFail("not empty") }
        guard case .consumed = try frame() else { return XCTFail("no CONSUMED frame") }
        XCTAssertEqual(step(), 0)
    }

    /// A datagram that carries a descriptor is flagged; the descriptor never lands in the receiver's table,
    /// and dequeuing drops it (the pipe it was the last reader of is broken afterwards).
    func testPassedDescriptorIsFlaggedAndDroppedNotInstalled() throws {
        var pipe: [Int32] = [-1, -1]
        XCTAssertEqual(Glibc.pipe(&pipe), 0)
        defer { close(pipe[1]) }
        let before = openDescriptors()
        try send(Array("IW".utf8), passing: pipe[0])
        close(pipe[0])
        XCTAssertEqual(step(), 1)
        guard case .datagram(.datagram(let bytes, _), let descriptors) = try frame() else {
            return XCTFail("not a datagram frame")
        }
        XCTAssertEqual(bytes, Array("IW".utf8))
        XCTAssertTrue(descriptors)
        guard case .consumed = try frame() else { return XCTFail("no CONSUMED frame") }
        XCTAssertEqual(openDescriptors(), before - 1, "a passed descriptor was installed (or ours leaked)")
        signal(SIGPIPE, SIG_IGN)
        var byte: UInt8 = 1
        XCTAssertEqual(write(pipe[1], &byte, 1), -1)
        XCTAssertEqual(errno, EPIPE, "the passed read end is still open somewhere")
    }

    /// SO_PASSRIGHTS: where the kernel has it (6.16+), the control socket refuses descriptors before they are
    /// queued (EPERM to the sender) and takes the rest; elsewhere the setting is reported as missing.
    func testKernelRefusesDescriptorsWhereItCan() throws {
        let result = iw_refuse_passed_descriptors(control)
        guard result == 0 else {
            XCTAssertEqual(result, ENOPROTOOPT, "SO_PASSRIGHTS failed otherwise: \(String(cString: strerror(result)))")
            return
        }
        var pipe: [Int32] = [-1, -1]
        XCTAssertEqual(Glibc.pipe(&pipe), 0)
        defer { close(pipe[0]); close(pipe[1]) }
        let sent = sendMessage(Array("IW".utf8), passing: pipe[0])
        XCTAssertEqual(sent, -1)
        XCTAssertEqual(errno, EPERM)
        try send(Array("IW".utf8))
        XCTAssertEqual(step(), 1)
        guard case .datagram(_, let descriptors) = try frame() else { return XCTFail("not a datagram frame") }
        XCTAssertFalse(descriptors)
    }

    /// Frames that the receiver does not write are refused, never trapped on.
    func testMalformedFramesAreRefused() {
        var header = iw_frame_header()
        func decode(_ header: iw_frame_header, extra: [UInt8] = []) -> ReceiverFrame? {
            let bytes = withUnsafeBytes(of: header) { Array($0) } + extra
            return bytes.withUnsafeBytes { ReceiverFrame($0) }
        }
        XCTAssertNil([UInt8](repeating: 1, count: ReceiverFrame.headerSize - 1).withUnsafeBytes { ReceiverFrame($0) })
        header.kind = 9
        XCTAssertNil(decode(header))
        header.kind = UInt8(IW_FRAME_CONSUMED)
        XCTAssertNotNil(decode(header))
        XCTAssertNil(decode(header, extra: [1]))
        header.kind = UInt8(IW_FRAME_DATAGRAM)
        header.size = 10
        XCTAssertNil(decode(header, extra: [1, 2, 3]), "a payload shorter than its size")
        header.flags = UInt8(IW_FRAME_OVERSIZED)
        XCTAssertNil(decode(header, extra: [1]), "an oversized frame with a payload")
        header.address_length = 60_000
        guard case .datagram(.oversized(10, let sender), _)? = decode(header) else { return XCTFail("not decoded") }
        XCTAssertEqual(sender.address.count, MemoryLayout<sockaddr_un>.size, "an address length past the field")
    }

    private func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
    }
}
