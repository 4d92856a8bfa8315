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

    private static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// etc/idlewarden.conf is what install.sh and the package put in /etc: it sets nothing (the built-in policy,
    /// root included), so check-config has nothing to warn about; every key is there, commented out, with a
    /// value that is valid once uncommented.
    func testInstalledConfigSetsNothing() throws {
        let path = Self.repository.appendingPathComponent("etc/idlewarden.conf").path
        let result = ConfigLoader.load(path: path, requireFile: true)
        XCTAssertEqual(result.errors.map(\.description), [])
        XCTAssertEqual(result.warnings, [])
        XCTAssertEqual(result.notes, [])
        XCTAssertEqual(result.nameReferences, [])
        let config = try XCTUnwrap(result.config)
        XCTAssertEqual(config.defaults, PolicySettings())
        XCTAssertEqual(config.rules, [])
        XCTAssertEqual(config.excludeUsers, [])
        XCTAssertEqual(config.excludeGroups, [])
        XCTAssertTrue(config.summary.hasSuffix("rules: none"), config.summary)
        let root = Policy.resolve(config, for: SessionFacts(user: "root", uid: 0, groups: ["root"], service: "sshd"))
        XCTAssertNil(root.limits.exemption, "root is policed by default")
        XCTAssertEqual(root.limits, Limits())

        let text = try String(contentsOfFile: path, encoding: .utf8)
        let active = text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.allSatisfy(\.isWhitespace) }
        XCTAssertEqual(active, [], "nothing active in the installed config")
        for key in Set(ConfigKeys.topLevel).subtracting(["rule"]) {
            XCTAssertTrue(text.contains("\n#\(key) = "), "the installed config does not show \(key)")
        }
        let uncommented = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix("#") && line.dropFirst().first.map { $0.isLetter || $0 == "[" } == true
                ? String(line.dropFirst()) : String(line)
        }.joined(separator: "\n")
        let all = ConfigParser.parse(uncommented, path: "uncommented")
        XCTAssertEqual(all.errors.map(\.description), [])
        XCTAssertEqual(all.config?.rules.map(\.label), ["serial-console", "contractors"])
    }

    /// The full example (installed under /usr/share/doc) must be accepted as it is: it is what admins copy.
    func testExampleConfigIsAccepted() throws {
        let example = Self.repository.appendingPathComponent("etc/examples/idlewarden.conf").path
        let result = ConfigLoader.load(path: example, requireFile: true)
        XCTAssertEqual(result.errors.map(\.description), [])
        XCTAssertEqual(result.warnings, [])
        XCTAssertEqual(result.notes, [])
        let config = try XCTUnwrap(result.config)
        XCTAssertTrue(config.fromFile)
        XCTAssertEqual(config.dropIns, [])
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
        XCTAssertEqual(limits.grace, .seconds(10), "signal_interval")
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
