import Foundation
import IdleWardenCore
import IdleWardenWire
import XCTest
@testable import IdleWardenDaemon

#if canImport(Glibc)
import Glibc
#endif

/// The spool as the daemon reads it: real files in a real directory (the tests run as root, as the daemon does).
final class SessionSpoolTests: XCTestCase {
    private var directory: String!
    private var path: String { directory + "/spool" }
    /// Read when used: XCTest makes every test's instance before the first test runs.
    private var now: Instant { Instant(milliseconds: Int64(Date().timeIntervalSince1970 * 1000)) }

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "idlewarden-spool-\(UUID().uuidString)"
        XCTAssertEqual(mkdir(directory, 0o755), 0)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func write(_ name: String, _ bytes: [UInt8] = [1, 2, 3], mode: mode_t = 0o600) {
        let fd = open(path + "/" + name, O_WRONLY | O_CREAT | O_EXCL, mode)
        XCTAssertGreaterThanOrEqual(fd, 0, name)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        fchmod(fd, mode)
        close(fd)
    }

    private func names(_ entries: [SessionSpool.Entry]) -> [String] {
        entries.map {
            switch $0 {
            case .record(let record): return record.name
            case .refused(let name, let reason): return "\(name):\(reason)"
            }
        }
    }

    func testMadePrivateAndDerivedFromTheSessionSocket() throws {
        XCTAssertEqual(SessionSpool.path(besides: "/run/idlewarden/session.sock"), "/run/idlewarden/spool")
        XCTAssertEqual(mkdir(path, 0o755), 0)
        _ = try SessionSpool(path: path)
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o700, "an open spool is closed to others")
    }

    func testASpoolOfAnotherOwnerIsRefused() throws {
        XCTAssertEqual(mkdir(path, 0o700), 0)
        XCTAssertEqual(chown(path, 65534, 65534), 0)
        XCTAssertThrowsError(try SessionSpool(path: path))
    }

    func testASymlinkedSpoolIsRefused() throws {
        XCTAssertEqual(mkdir(directory + "/elsewhere", 0o700), 0)
        XCTAssertEqual(symlink(directory + "/elsewhere", path), 0)
        XCTAssertThrowsError(try SessionSpool(path: path))
    }

    /// Records come oldest first, whole, with the time they were written; the limit says when more wait.
    func testRecordsAreReadOldestFirst() throws {
        let spool = try SessionSpool(path: path)
        write("00000000000000000300-12-close", [3])
        write("00000000000000000100-12-open", [1])
        write("00000000000000000200-13-open", [2])
        let (entries, more) = spool.pending(limit: 2, now: now)
        XCTAssertEqual(names(entries), ["00000000000000000100-12-open", "00000000000000000200-13-open"])
        XCTAssertTrue(more)
        guard case .record(let first)? = entries.first else { return XCTFail("no record") }
        XCTAssertEqual(first.bytes, [1])
        XCTAssertLessThanOrEqual(abs(first.writtenAt.milliseconds - now.milliseconds), 5000)
        spool.remove(first.name)
        XCTAssertEqual(names(spool.pending(limit: 10, now: now).entries),
                       ["00000000000000000200-13-open", "00000000000000000300-12-close"])
    }

    /// Only what the module writes is a record: root's, 0600, one link, a regular file, a record's size and name.
    func testWhatIsNotARecordIsRefused() throws {
        let spool = try SessionSpool(path: path)
        write("00000000000000000001-1-open", mode: 0o644)
        write("00000000000000000002-1-open")
        XCTAssertEqual(link(path + "/00000000000000000002-1-open", directory + "/second-link"), 0)
        write("00000000000000000003-1-open", [UInt8](repeating: 0, count: Datagram.requestLimit + 1))
        XCTAssertEqual(symlink(directory + "/second-link", path + "/00000000000000000004-1-open"), 0)
        XCTAssertEqual(mkdir(path + "/00000000000000000005-1-open", 0o700), 0)
        write("00000000000000000006-1-open", [])
        write("notes.txt")
        write("00000000000000000007-1-exec")
        XCTAssertEqual(names(spool.pending(limit: 100, now: now).entries), [
            "00000000000000000001-1-open:unsafe-file",
            "00000000000000000002-1-open:unsafe-file",
            "00000000000000000003-1-open:bad-size",
            "00000000000000000004-1-open:unreadable",
            "00000000000000000005-1-open:not-a-regular-file",
            "00000000000000000006-1-open:bad-size",
            "00000000000000000007-1-exec:unexpected-name",
            "notes.txt:unexpected-name",
        ])
    }

    /// A file still being written (dot name) is left alone; one whose writer died long ago is removed.
    func testTemporaryFiles() throws {
        let spool = try SessionSpool(path: path)
        write(".00000000000000000001-1-open")
        write(".00000000000000000002-1-open")
        var old = [timespec(tv_sec: Int(now.seconds) - 120, tv_nsec: 0), timespec(tv_sec: Int(now.seconds) - 120, tv_nsec: 0)]
        XCTAssertEqual(utimensat(AT_FDCWD, path + "/.00000000000000000002-1-open", &old, 0), 0)
        XCTAssertTrue(spool.pending(limit: 10, now: now).entries.isEmpty)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path), [".00000000000000000001-1-open"])
    }

    /// A record renamed into the spool (as the module does) wakes the daemon.
    func testARecordWakesTheLoop() throws {
        let spool = try SessionSpool(path: path)
        var entry = pollfd(fd: spool.descriptor, events: Int16(POLLIN), revents: 0)
        XCTAssertEqual(poll(&entry, 1, 0), 0)
        write(".00000000000000000001-1-open")
        XCTAssertEqual(rename(path + "/.00000000000000000001-1-open", path + "/00000000000000000001-1-open"), 0)
        XCTAssertEqual(poll(&entry, 1, 1000), 1)
        spool.drainNotifications()
        XCTAssertEqual(poll(&entry, 1, 0), 0)
    }

    func testRecordNames() {
        XCTAssertTrue(SessionSpool.isRecordName("00000000000123456789-4242-open"))
        XCTAssertTrue(SessionSpool.isRecordName("00000000000123456789-1-close"))
        for name in ["0000000000012345678-1-open", "00000000000123456789--open", "00000000000123456789-x-open",
                     "00000000000123456789-1-open-1", "00000000000123456789-12345678901-open", "../x-1-open"] {
            XCTAssertFalse(SessionSpool.isRecordName(name), name)
        }
    }

    /// A spooled record must name its process by start time and PID namespace; a request or a record without
    /// them is refused.
    func testSpooledEventsNeedAStartTimeAndPIDNamespace() throws {
        let whole = try SessionDatagram(
            phase: .open, pid: 42, startTime: 777, pidNamespace: 4_026_531_836, user: Array("alice".utf8),
            service: Array("sshd".utf8)).encoded()
        XCTAssertEqual(try Daemon.spooledEvent(whole).get().startTime, 777)
        XCTAssertEqual(try Daemon.spooledEvent(whole).get().pidNamespace, 4_026_531_836)
        let without = try SessionDatagram(phase: .open, pid: 42, user: Array("alice".utf8), service: Array("sshd".utf8))
            .encoded()
        XCTAssertThrowsError(try Daemon.spooledEvent(without).get()) {
            XCTAssertEqual(($0 as? SpoolRecordError)?.reason, "no-start-time")
        }
        let withoutNamespace = try SessionDatagram(
            phase: .open, pid: 42, startTime: 777, user: Array("alice".utf8), service: Array("sshd".utf8)).encoded()
        XCTAssertThrowsError(try Daemon.spooledEvent(withoutNamespace).get()) {
            XCTAssertEqual(($0 as? SpoolRecordError)?.reason, "no-pid-namespace")
        }
        XCTAssertThrowsError(try Daemon.spooledEvent([0x49, 0x57, 9]).get())
    }
}
