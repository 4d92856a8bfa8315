import XCTest
@testable import IdleWardenDaemon

/// What `dev.tty.legacy_tiocsti` says, and the notice an admin gets for it.
final class TerminalInjectionTests: XCTestCase {
    func testSettingDecides() {
        XCTAssertEqual(TerminalInjection.from(sysctl: Array("0\n".utf8)), .restricted)
        XCTAssertEqual(TerminalInjection.from(sysctl: Array("1\n".utf8)), .allowed(setting: "1"))
        XCTAssertEqual(TerminalInjection.from(sysctl: nil), .allowed(setting: "absent"), "a kernel before 6.2")
        XCTAssertNil(TerminalInjection.restricted.notice)
    }

    func testNoticeNamesTheSettingThatClosesIt() throws {
        let allowed = try XCTUnwrap(TerminalInjection.allowed(setting: "1").notice)
        XCTAssertTrue(allowed.hasPrefix("dev.tty.legacy_tiocsti = 1: "), allowed)
        XCTAssertTrue(allowed.contains("set dev.tty.legacy_tiocsti = 0"), allowed)
        let old = try XCTUnwrap(TerminalInjection.allowed(setting: "absent").notice)
        XCTAssertTrue(old.contains("before Linux 6.2"), old)
        XCTAssertFalse(old.lowercased().contains("warning"), "a host notice, not a config warning")
    }
}
