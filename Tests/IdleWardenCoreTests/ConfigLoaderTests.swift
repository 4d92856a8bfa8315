import Foundation
import XCTest

@testable import IdleWardenCore

final class ConfigLoaderTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("idlewarden-config-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: directory)
    }

    private func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// The example shipped in etc/ must be accepted as it is: it is what admins copy.
    func testExampleConfigIsAccepted() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("etc/idlewarden.conf").path
        let result = ConfigLoader.load(path: example, requireFile: true)
        XCTAssertEqual(result.errors.map(\.description), [])
        XCTAssertEqual(result.warnings, [])
        let config = try XCTUnwrap(result.config)
        XCTAssertTrue(config.fromFile)
        XCTAssertEqual(config.rules.map(\.label), ["serial-console", "oncall", "contractors", "wall-screen", "desktops"])
        XCTAssertEqual(config.defaults.idleTimeout, .seconds(15 * 60))
        XCTAssertEqual(config.defaults.maxSession, .seconds(12 * 3600))

        // Every key of the format appears in the example, so that it documents all of them.
        let text = try String(contentsOfFile: example, encoding: .utf8)
        for key in Set(ConfigKeys.topLevel + ConfigKeys.rule).subtracting(["rule"]) {
            XCTAssertTrue(text.contains("\n\(key) = "), "example does not show \(key)")
        }
        XCTAssertTrue(text.contains("\n[[rule]]\n"))

        let oncall = Policy.resolve(config, for: SessionFacts(user: "ann", uid: 1000, groups: ["oncall"], service: "sshd",
                                                              tty: "ssh", rhost: "10.1.2.3"))
        XCTAssertEqual(oncall.limits.idleTimeout, .seconds(7_200))
        XCTAssertEqual(oncall.limits.end, .leader)
        let serial = Policy.resolve(config, for: SessionFacts(user: "ann", uid: 1000, groups: [], service: "login",
                                                              tty: "/dev/ttyS0"))
        XCTAssertEqual(serial.limits.exemption, .rule("serial-console"))
    }

    func testMissingFileIsTheBuiltInDefaults() throws {
        let path = directory.appendingPathComponent("absent.conf").path
        let result = ConfigLoader.load(path: path)
        XCTAssertEqual(result.errors, [])
        let config = try XCTUnwrap(result.config)
        XCTAssertEqual(config, Config.builtIn(path: path))
        XCTAssertFalse(config.fromFile)
        let limits = Policy.resolve(config, for: SessionFacts(user: "u", uid: 1, groups: ["g"], service: "sshd")).limits
        XCTAssertEqual(limits.idleTimeout, .seconds(900))
        XCTAssertEqual(limits.warnBefore, .seconds(60))
        XCTAssertEqual(limits.grace, .seconds(10))
        XCTAssertNil(limits.maxSession)
        XCTAssertNil(limits.exemption)
    }

    func testMissingFileIsAnErrorWhenRequired() {
        let path = directory.appendingPathComponent("absent.conf").path
        XCTAssertEqual(ConfigLoader.load(path: path, requireFile: true).errors.map(\.description),
                       ["\(path):1:1: file: no such file"])
    }

    func testDirectoryIsUnreadable() {
        let result = ConfigLoader.load(path: directory.path)
        XCTAssertNil(result.config)
        XCTAssertEqual(result.errors.first?.key, "file")
        XCTAssertTrue(result.errors.first?.message.contains("directory") ?? false, "\(result.errors)")
    }

    func testReadsAndParsesAFile() throws {
        let path = try write("ok.conf", Array("idle_timeout = \"30m\"\n".utf8))
        XCTAssertEqual(ConfigLoader.load(path: path).config?.defaults.idleTimeout, .seconds(1_800))
        let bad = try write("bad.conf", Array("\nidle_timeout = \"30s\"\n".utf8))
        XCTAssertEqual(ConfigLoader.load(path: bad).errors.map(\.description),
                       ["\(bad):2:1: idle_timeout: 30s is below the 60s minimum; set allow_short_timeouts = true for tests"])
    }

    func testInvalidUTF8IsReportedAtItsPosition() throws {
        let path = try write("latin1.conf", Array("# ok\n# caf".utf8) + [0xE9] + Array("\n".utf8))
        XCTAssertEqual(ConfigLoader.load(path: path).errors.map(\.description),
                       ["\(path):2:6: file: not valid UTF-8 here; save the file as UTF-8"])
    }

    func testOversizedFileIsRefused() throws {
        let path = try write("big.conf", [UInt8](repeating: UInt8(ascii: "#"), count: ConfigLoader.maximumSize + 1))
        XCTAssertTrue(ConfigLoader.load(path: path).errors.first?.message.contains("larger than 1024 KiB") ?? false)
    }
}
