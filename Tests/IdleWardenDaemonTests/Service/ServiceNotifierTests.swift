import Foundation
import IdleWardenClient
import XCTest
@testable import IdleWardenDaemon

/// The sd_notify(3) datagrams, received on a socket as systemd's would receive them: a path, and a name in the
/// abstract namespace (`@...`, as systemd passes it in containers and user managers).
final class ServiceNotifierTests: XCTestCase {
    private var directory: String!

    override func setUp() {
        directory = NSTemporaryDirectory() + "idlewarden-notify-\(UUID().uuidString)"
        XCTAssertEqual(mkdir(directory, 0o700), 0)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A datagram socket bound to `address` (systemd's notation), for the test to read from.
    private func listener(_ address: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        let bound = try XCTUnwrap(UnixSocketAddress(systemdAddress: address)).withSockaddr { bind(fd, $0, $1) }
        XCTAssertEqual(bound, 0, String(cString: strerror(errno)))
        return fd
    }

    private func receive(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        guard count >= 0 else { return nil }
        return String(decoding: buffer.prefix(count), as: UTF8.self)
    }

    func testStatesReachAPathSocket() throws {
        let path = directory + "/notify"
        let fd = try listener(path)
        defer { close(fd) }
        let notifier = try XCTUnwrap(ServiceNotifier(socketAddress: path))
        notifier.ready(status: "Watching 2 session(s)")
        XCTAssertEqual(receive(fd), "READY=1\nSTATUS=Watching 2 session(s)")
        notifier.reloading(monotonicMicroseconds: 123_456_789)
        XCTAssertEqual(receive(fd), "RELOADING=1\nMONOTONIC_USEC=123456789")
        notifier.status("Not started (config-error, exit status 78): line one\nline two")
        XCTAssertEqual(receive(fd), "STATUS=Not started (config-error, exit status 78): line one line two",
                       "a newline in a value would start another assignment")
        notifier.stopping()
        XCTAssertEqual(receive(fd), "STOPPING=1\nSTATUS=Stopping")
        XCTAssertNil(receive(fd), "one datagram per state")
    }

    func testStatesReachAnAbstractSocket() throws {
        let name = "@idlewarden-test-notify-\(getpid())-\(UUID().uuidString.prefix(8))"
        let fd = try listener(name)
        defer { close(fd) }
        try XCTUnwrap(ServiceNotifier(socketAddress: name)).ready(status: "up")
        XCTAssertEqual(receive(fd), "READY=1\nSTATUS=up")
    }

    /// NOTIFY_SOCKET is read once and removed, so that the daemon's children cannot speak for it.
    func testFromEnvironmentTakesTheVariableAway() throws {
        let path = directory + "/notify"
        let fd = try listener(path)
        defer { close(fd) }
        setenv("NOTIFY_SOCKET", path, 1)
        let notifier = try XCTUnwrap(ServiceNotifier.fromEnvironment())
        XCTAssertNil(getenv("NOTIFY_SOCKET"))
        notifier.ready(status: "x")
        XCTAssertEqual(receive(fd), "READY=1\nSTATUS=x")
        XCTAssertNil(ServiceNotifier.fromEnvironment(), "nothing to notify without the variable")
    }

    func testNoNotifierForNonsense() {
        XCTAssertNil(ServiceNotifier(socketAddress: ""))
        XCTAssertNil(ServiceNotifier(socketAddress: "@"))
        XCTAssertNil(ServiceNotifier(socketAddress: "/" + String(repeating: "x", count: 200)))
    }

    /// A notifier whose socket is gone sends nothing and changes nothing.
    func testMissingSocketIsNotAnError() throws {
        let notifier = try XCTUnwrap(ServiceNotifier(socketAddress: directory + "/gone"))
        XCTAssertFalse(notifier.send(["READY=1"]))
    }

    func testJournalStreamMatchesDeviceAndInode() {
        XCTAssertTrue(JournalStream.matches("8:12345", device: 8, inode: 12345))
        XCTAssertFalse(JournalStream.matches("8:12345", device: 8, inode: 12346))
        XCTAssertFalse(JournalStream.matches("8:", device: 8, inode: 0))
        XCTAssertFalse(JournalStream.matches("garbage", device: 0, inode: 0))
    }

    /// check-config's reading of logind.conf and its drop-ins, in a directory tree of the test's own.
    func testLogindConfigFilesAreReadInSystemdsOrder() throws {
        func write(_ path: String, _ text: String) throws {
            let full = directory + path
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
        XCTAssertNil(LogindConfigFiles.idleStop(root: directory), "no logind.conf")
        try write("/etc/systemd/logind.conf", "[Login]\n#StopIdleSessionSec=infinity\n")
        XCTAssertNil(LogindConfigFiles.idleStop(root: directory))
        try write("/usr/lib/systemd/logind.conf.d/50-idle.conf", "[Login]\nStopIdleSessionSec=30\n")
        let found = try XCTUnwrap(LogindConfigFiles.idleStop(root: directory))
        XCTAssertEqual(found.value, "30")
        XCTAssertEqual(found.location.file, directory + "/usr/lib/systemd/logind.conf.d/50-idle.conf")
        XCTAssertEqual(found.location.line, 2)
        try write("/etc/systemd/logind.conf.d/50-idle.conf", "[Login]\nStopIdleSessionSec=infinity\n")
        XCTAssertNil(LogindConfigFiles.idleStop(root: directory), "/etc hides the same name in /usr/lib")
    }
}
