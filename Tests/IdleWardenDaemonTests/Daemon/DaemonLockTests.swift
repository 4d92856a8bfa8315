import Foundation
import IdleWardenCore
import Logging
import XCTest
@testable import IdleWardenDaemon

#if canImport(Glibc)
import Glibc
#endif

/// One daemon per state directory: a second one on the same paths refuses to start, before it touches anything.
final class DaemonLockTests: XCTestCase {
    private var harness: DaemonHarness!

    override func setUpWithError() throws {
        harness = try DaemonHarness()
    }

    override func tearDown() {
        harness = nil
    }

    private func secondDaemon(stateDirectory: String? = nil) throws -> Daemon {
        try Daemon(
            options: .init(configPath: harness.configPath, socketPath: harness.directory + "/control.sock",
                           stateDirectory: stateDirectory ?? harness.directory + "/state"),
            config: Config(), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            effects: harness.effects)
    }

    func testSecondDaemonOnTheSameStateDirectoryIsRefused() throws {
        XCTAssertThrowsError(try secondDaemon()) { error in
            let held = error as? StateLock.Held
            XCTAssertEqual(held?.holder, getpid(), "the lock file names the running daemon: \(error)")
            XCTAssertTrue("\(error)".contains("another idlewarden daemon (pid \(getpid())) runs on this state directory"))
        }
        // The first one is untouched and goes on.
        harness.user("alice", uid: 1001)
        XCTAssertNoThrow(try harness.sshLogin("alice"))
        var info = stat()
        XCTAssertEqual(lstat(harness.directory + "/state/lock", &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
    }

    func testLockIsLetGoWhenTheDaemonStops() throws {
        try harness.restart()
        harness.kill()
        XCTAssertNoThrow(try secondDaemon())
    }

    func testLockFileThatIsASymlinkIsRefused() throws {
        let other = harness.directory + "/other"
        XCTAssertEqual(mkdir(other, 0o700), 0)
        XCTAssertEqual(symlink(harness.directory + "/elsewhere", other + "/lock"), 0)
        XCTAssertThrowsError(try secondDaemon(stateDirectory: other)) { error in
            XCTAssertTrue("\(error)".contains("lock"), "\(error)")
            XCTAssertFalse(error is StateLock.Held)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.directory + "/elsewhere"), "nothing made through it")
    }
}
