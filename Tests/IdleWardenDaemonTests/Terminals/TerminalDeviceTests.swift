import XCTest
@testable import IdleWardenDaemon

final class TerminalDeviceTests: XCTestCase {
    func testDeviceNumberEncodingMatchesTheKernel() {
        XCTAssertEqual(TerminalDevice.deviceNumber(major: 136, minor: 1), 34817)
        XCTAssertEqual(TerminalDevice.deviceNumber(major: 136, minor: 300), (300 & 0xFF) | (136 << 8) | ((300 & ~0xFF) << 12))
    }

    func testPAMTTYThatIsNotADeviceIsIgnored() {
        XCTAssertNil(TerminalDevice.path(forPAMTTY: "ssh"))
        XCTAssertNil(TerminalDevice.path(forPAMTTY: ":0"))
        XCTAssertNil(TerminalDevice.path(forPAMTTY: "../etc/passwd"))
        XCTAssertNil(TerminalDevice.path(forPAMTTY: nil))
        XCTAssertNil(TerminalDevice.path(forPAMTTY: "/dev/null"), "a character device that is no terminal")
    }

    func testNoTerminal() {
        XCTAssertNil(TerminalDevice.path(forTTYNumber: 0))
    }
}
