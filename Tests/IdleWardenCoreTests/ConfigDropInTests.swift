import Foundation
import XCTest

@testable import IdleWardenCore

/// The main file and its drop-ins (conf.d/*.conf beside it), read from disk and merged as idlewarden.conf(5)
/// says: in byte order of the names, a top-level key from the last file that sets it, exclusion lists added up
/// (an empty list empties them), rules appended, every position naming its file.
final class ConfigDropInTests: XCTestCase {
    private var directory: URL!
    private var main: String { directory.appendingPathComponent("idlewarden.conf").path }
    private var confD: URL { directory.appendingPathComponent("conf.d") }

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("idlewarden-dropins-\(UUID())")
        try FileManager.default.createDirectory(at: confD, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: directory)
    }

    @discardableResult
    private func dropIn(_ name: String, _ text: String) throws -> String {
        let url = confD.appendingPathComponent(name)
        try text.write(to: url, atomically: false, encoding: .utf8)
        return url.path
    }

    private func writeMain(_ text: String) throws {
        try text.write(toFile: main, atomically: false, encoding: .utf8)
    }

    private func facts(_ user: String = "alice", groups: [String] = ["users"]) -> SessionFacts {
        SessionFacts(user: user, uid: 1000, groups: groups, service: "sshd", tty: "ssh")
    }

    /// Two drop-ins set idle_timeout: the one whose name sorts last wins, and explain names its file and line.
    func testLaterFileWinsAndExplainNamesTheFile() throws {
        try writeMain("idle_timeout = \"30m\"\nwarn_before = \"2m\"\n")
        let early = try dropIn("10-base.conf", "# base\nidle_timeout = \"20m\"\n")
        let late = try dropIn("90-site.conf", "\n\nidle_timeout = \"12m\"\n")
        let result = ConfigLoader.load(path: main)
        XCTAssertEqual(result.errors.map(\.description), [])
        let config = try XCTUnwrap(result.config)
        XCTAssertEqual(config.files, [main, early, late])
        XCTAssertEqual(config.defaults.idleTimeout, .seconds(720))
        XCTAssertEqual(config.defaults.warnBefore, .seconds(120), "a key no drop-in sets keeps the main file's value")
        let resolution = Policy.resolve(config, for: facts())
        XCTAssertEqual(resolution.source(of: .idleTimeout), .topLevel(at: SourceLocation(file: late, line: 3, column: 1)))
        XCTAssertEqual(resolution.settings.first { $0.key == .idleTimeout }?.description,
                       "idle_timeout = 12m  (config top level, \(late):3)")
        XCTAssertEqual(resolution.source(of: .warnBefore), .topLevel(at: SourceLocation(file: main, line: 2, column: 1)))
        XCTAssertTrue(config.summary.contains("drop-in \(early)\ndrop-in \(late)\n"), config.summary)
    }

    /// The keys of issue 18 merge like every other: a drop-in's lock_command (top level only), lock_after,
    /// warn_again, warn_message, allow_inhibit and max_inhibit win over the main file's; one it does not set keeps
    /// the main file's; a relative lock_command is an error at the drop-in's line.
    func testDesktopAndInhibitKeysMergeFromDropIns() throws {
        try writeMain("lock_command = [\"/usr/bin/xdg-screensaver\", \"lock\"]\nlock_after = \"5m\"\nmax_inhibit = \"8h\"\n")
        try dropIn("50-site.conf", """
            lock_command = ["/usr/bin/i3lock", "-n"]
            warn_again = "20s"
            warn_message = "{user}: {stay}"
            allow_inhibit = false
            """)
        let config = try XCTUnwrap(ConfigLoader.load(path: main).config)
        XCTAssertEqual(config.lockCommand, ["/usr/bin/i3lock", "-n"])
        XCTAssertEqual(config.defaults.lockAfter, .seconds(300))
        XCTAssertEqual(config.defaults.maxInhibit, .seconds(8 * 3600))
        XCTAssertEqual(config.defaults.warnAgain, .seconds(20))
        XCTAssertEqual(config.defaults.warnMessage?.text, "{user}: {stay}")
        XCTAssertEqual(config.defaults.allowInhibit, false)
        XCTAssertFalse(Policy.resolve(config, for: facts()).limits.allowInhibit)

        let relative = try dropIn("60-bad.conf", "\nlock_command = [\"i3lock\"]\n")
        let result = ConfigLoader.load(path: main)
        XCTAssertNil(result.config)
        XCTAssertEqual(result.errors.count, 1, "\(result.errors)")
        XCTAssertTrue(result.errors[0].description.hasPrefix("\(relative):2:"), "\(result.errors)")
        XCTAssertTrue(result.errors[0].description.contains("lock_command"), "\(result.errors)")
    }

    /// Names sort byte by byte (not by locale, not by number); only *.conf that is not hidden counts.
    func testOnlyConfFilesInByteOrder() throws {
        try writeMain("")
        for name in ["b.conf", "B.conf", "a.conf", "10.conf", "9.conf", ".hidden.conf", "x.conf~", "y.conf.dpkg-old",
                     "README", ".conf"] {
            try dropIn(name, "# \(name)\n")
        }
        let config = try XCTUnwrap(ConfigLoader.load(path: main).config)
        XCTAssertEqual(config.dropIns.map { ($0 as NSString).lastPathComponent },
                       ["10.conf", "9.conf", "B.conf", "a.conf", "b.conf"])
    }

    /// exclude lists add up across files; an empty list empties what came before it.
    func testExclusionListsAddUpAndAnEmptyListEmptiesThem() throws {
        try writeMain("exclude_users = [\"root\", \"backup\"]\nexclude_groups = [\"kiosk\"]\n")
        let add = try dropIn("20-add.conf", "exclude_users = [\"backup\", \"nagios\"]\nexclude_groups = [\"dba\"]\n")
        var config = try XCTUnwrap(ConfigLoader.load(path: main).config)
        XCTAssertEqual(config.excludeUsers, ["root", "backup", "nagios"])
        XCTAssertEqual(config.excludeGroups, ["kiosk", "dba"])
        XCTAssertEqual(Policy.resolve(config, for: facts("nagios")).source(of: .exempt),
                       .excludeUsers(user: "nagios", at: SourceLocation(file: add, line: 1, column: 28)))

        let reset = try dropIn("30-reset.conf", "exclude_users = []\n")
        config = try XCTUnwrap(ConfigLoader.load(path: main).config)
        XCTAssertEqual(config.excludeUsers, [], "root is policed again")
        XCTAssertEqual(config.excludeGroups, ["kiosk", "dba"], "exclude_groups untouched")
        XCTAssertNil(Policy.resolve(config, for: facts("root", groups: ["root"])).limits.exemption)

        try dropIn("40-again.conf", "exclude_users = [\"root\"]\n")
        config = try XCTUnwrap(ConfigLoader.load(path: main).config)
        XCTAssertEqual(config.excludeUsers, ["root"])
        XCTAssertEqual(config.locations.excludedUsers["root"]?.file, directory.appendingPathComponent("conf.d/40-again.conf").path)
        _ = reset
    }

    /// Rules are appended in file order and numbered across the files: the main file's rule is tried first.
    func testRulesAreAppendedAndNumberedAcrossFiles() throws {
        try writeMain("[[rule]]\nname = \"ops\"\ngroups = [\"ops\"]\nidle_timeout = \"2h\"\n")
        let path = try dropIn("50-more.conf", """
            [[rule]]
            name = "ops-later"
            groups = ["ops"]
            idle_timeout = "3h"
            warn_before = "5m"

            [[rule]]
            name = "dev"
            groups = ["dev"]
            idle_timeout = "1h"
            """)
        let config = try XCTUnwrap(ConfigLoader.load(path: main).config)
        XCTAssertEqual(config.rules.map(\.index), [1, 2, 3])
        XCTAssertEqual(config.rules.map(\.label), ["ops", "ops-later", "dev"])
        XCTAssertEqual(config.rules.map(\.file), [main, path, path])
        XCTAssertEqual(config.rules.map(\.line), [1, 1, 7])
        let ops = Policy.resolve(config, for: facts(groups: ["ops"]))
        XCTAssertEqual(ops.limits.idleTimeout, .seconds(7_200), "the main file's rule comes first")
        XCTAssertEqual(ops.source(of: .idleTimeout), .rule(index: 1, name: "ops", file: main, line: 1))
        XCTAssertEqual(ops.limits.warnBefore, .seconds(300), "a key only the later rule sets comes from it")
        XCTAssertEqual(ops.source(of: .warnBefore).description, "rule 2 \"ops-later\" (\(path):1)")
    }

    func testRuleNamesAreUniqueAcrossFiles() throws {
        try writeMain("[[rule]]\nname = \"ops\"\ngroups = [\"ops\"]\nexempt = true\n")
        let path = try dropIn("50-x.conf", "[[rule]]\nname = \"ops\"\nusers = [\"a\"]\nexempt = true\n")
        XCTAssertEqual(ConfigLoader.load(path: main).errors.map(\.description), [
            "\(path):2:1: name: \"ops\" is already the name of rule 1 (\(main):1); rule names must be unique so "
                + "that explain and the audit log are unambiguous",
        ])
    }

    /// Every file's errors are reported, each with its own file, the main file's first; one broken drop-in makes
    /// the whole config refused (the daemon keeps the one in force).
    func testErrorsOfEveryFileWithTheirFile() throws {
        try writeMain("idle_timeout = \"5\"\n")
        let syntax = try dropIn("10-a.conf", "idle_timeout = 15m\n")
        let key = try dropIn("20-b.conf", "\n[[rule]]\nusers = [\"a\"]\nidel_timeout = \"5m\"\n")
        let result = ConfigLoader.load(path: main)
        XCTAssertNil(result.config)
        XCTAssertEqual(result.errors.map { "\($0.location.file):\($0.location.line): \($0.key)" }, [
            "\(main):1: idle_timeout", "\(syntax):1: idle_timeout", "\(key):4: idel_timeout",
        ])
    }

    /// Bounds are checked on the merged values, at the key that breaks them.
    func testBoundsAcrossFiles() throws {
        try writeMain("warn_before = \"10m\"\n")
        let path = try dropIn("50-short.conf", "idle_timeout = \"5m\"\n")
        XCTAssertEqual(ConfigLoader.load(path: main).errors.map(\.description), [
            "\(main):1:1: warn_before: 10m is not shorter than idle_timeout (5m, \(path):1); shorten it, or use \"0s\" "
                + "for no warning",
        ])

        try writeMain("idle_timeout = \"30s\"\nwarn_before = \"0s\"\n")
        try FileManager.default.removeItem(atPath: path)
        XCTAssertEqual(ConfigLoader.load(path: main).errors.first?.key, "idle_timeout")
        try dropIn("50-tests.conf", "allow_short_timeouts = true\n")
        let result = ConfigLoader.load(path: main)
        XCTAssertEqual(result.errors, [], "allow_short_timeouts in a drop-in lifts the minimum of the main file")
        XCTAssertEqual(result.warnings.map(\.key), ["allow_short_timeouts"])
    }

    /// Without the main file, the drop-ins apply over the built-in defaults; without conf.d, nothing changes.
    func testDropInsWithoutMainFileAndMainFileWithoutDropIns() throws {
        let path = try dropIn("50-x.conf", "idle_timeout = \"20m\"\n")
        var config = try XCTUnwrap(ConfigLoader.load(path: main).config)
        XCTAssertFalse(config.fromFile)
        XCTAssertEqual(config.dropIns, [path])
        XCTAssertEqual(config.defaults.idleTimeout, .seconds(1_200))
        XCTAssertEqual(ConfigLoader.load(path: main, requireFile: true).errors.map(\.key), ["file"])

        try FileManager.default.removeItem(at: confD)
        try writeMain("idle_timeout = \"25m\"\n")
        config = try XCTUnwrap(ConfigLoader.load(path: main).config)
        XCTAssertEqual(config.files, [main])
        XCTAssertEqual(config.defaults.idleTimeout, .seconds(1_500))
    }

    /// A drop-in that cannot be read is an error at that file, not silently skipped (the admin meant it to apply).
    func testUnreadableDropInIsAnError() throws {
        try writeMain("")
        let path = confD.appendingPathComponent("50-dir.conf").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        let result = ConfigLoader.load(path: main)
        XCTAssertNil(result.config)
        XCTAssertEqual(result.errors.map(\.location.file), [path])
        XCTAssertEqual(result.errors.first?.key, "file")
    }

    /// `grace`, the old name of signal_interval, still works anywhere, with a note (not a warning).
    func testOldNameIsReadWithANote() throws {
        try writeMain("grace = \"20s\"\n[[rule]]\nusers = [\"a\"]\ngrace = \"30s\"\n")
        let result = ConfigLoader.load(path: main)
        XCTAssertEqual(result.errors, [])
        XCTAssertEqual(result.warnings, [])
        XCTAssertEqual(result.notes.map(\.description), [
            "\(main):1:1: grace: grace is the old name of signal_interval; it is read as signal_interval, rename it "
                + "when you next edit the file",
            "\(main):4:1: grace: grace is the old name of signal_interval; it is read as signal_interval, rename it "
                + "when you next edit the file",
        ])
        let config = try XCTUnwrap(result.config)
        XCTAssertEqual(config.defaults.signalInterval, .seconds(20))
        XCTAssertEqual(config.rules.first?.settings.signalInterval, .seconds(30))
        XCTAssertEqual(Policy.resolve(config, for: facts("a")).limits.grace, .seconds(30))
    }

    /// The full example and the example drop-in of the repository, installed together as a fleet would.
    func testExampleDropInOverTheExample() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        try FileManager.default.removeItem(atPath: main.replacingOccurrences(of: "idlewarden.conf", with: "conf.d"))
        try FileManager.default.createDirectory(at: confD, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: repository.appendingPathComponent("etc/examples/idlewarden.conf").path,
                                         toPath: main)
        try FileManager.default.copyItem(
            atPath: repository.appendingPathComponent("etc/examples/drop-in/50-site.conf").path,
            toPath: confD.appendingPathComponent("50-site.conf").path)
        let result = ConfigLoader.load(path: main)
        XCTAssertEqual(result.errors.map(\.description), [])
        let config = try XCTUnwrap(result.config)
        XCTAssertEqual(config.defaults.idleTimeout, .seconds(600))
        XCTAssertEqual(config.auditFormat, .json)
        XCTAssertEqual(config.rules.last?.label, "builders")
        XCTAssertEqual(config.rules.last?.index, config.rules.count)
    }
}
