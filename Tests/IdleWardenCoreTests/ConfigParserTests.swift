import XCTest

@testable import IdleWardenCore

final class ConfigParserTests: XCTestCase {
    private let full = """
        idle_timeout = "20m"   # comment
        warn_before = "2m"
        signal_interval = "30s"
        max_session = "12h"
        check_no_tty = true
        allow_short_timeouts = false
        exclude_users = ["root", "backup"]
        exclude_groups = ["kiosk"]
        scope = "user"
        allow_keepalive = false
        activity = "input+output"
        end = "leader"
        graphical = false

        [[rule]]
        name = "console"
        ttys = ["ttyS*"]
        exempt = true

        [[rule]]
        groups = ["oncall", "sre"]
        users = ["alice"]
        services = ["sshd"]
        types = ["tty"]
        remote = ["local", "*.Example.net"]
        idle_timeout = "2h"
        warn_before = "0"
        max_session = "1d"
        signal_interval = "5m"
        exempt = false
        check_no_tty = false
        allow_keepalive = true
        activity = "input"
        end = "session"
        """

    func testParsesEveryKey() throws {
        let result = ConfigParser.parse(full, path: "/x.conf")
        XCTAssertEqual(result.errors, [])
        let config = try XCTUnwrap(result.config)
        XCTAssertEqual(config.path, "/x.conf")
        XCTAssertTrue(config.fromFile)
        XCTAssertEqual(
            config.defaults,
            PolicySettings(
                idleTimeout: .seconds(1_200), warnBefore: .seconds(120), signalInterval: .seconds(30),
                maxSession: .seconds(43_200), checkNoTTY: true, allowKeepalive: false, activity: .inputAndOutput,
                end: .leader, graphical: false))
        XCTAssertFalse(config.allowShortTimeouts)
        XCTAssertEqual(config.excludeUsers, ["root", "backup"])
        XCTAssertEqual(config.excludeGroups, ["kiosk"])
        XCTAssertEqual(config.scope, .user)
        XCTAssertEqual(config.rules.count, 2)

        let console = config.rules[0]
        XCTAssertEqual(console.index, 1)
        XCTAssertEqual(console.name, "console")
        XCTAssertEqual(console.line, 15)
        XCTAssertEqual(console.ttys?.map(\.pattern), ["ttyS*"])
        XCTAssertNil(console.groups)
        XCTAssertEqual(console.settings, PolicySettings(exempt: true))

        let second = config.rules[1]
        XCTAssertEqual(second.index, 2)
        XCTAssertNil(second.name)
        XCTAssertEqual(second.label, "2")
        XCTAssertEqual(second.line, 20)
        XCTAssertEqual(second.groups, ["oncall", "sre"])
        XCTAssertEqual(second.users, ["alice"])
        XCTAssertEqual(second.services, ["sshd"])
        XCTAssertEqual(second.remote?.map(\.pattern), ["local", "*.Example.net"])
        XCTAssertEqual(second.remote?.first?.ignoresCase, true)
        XCTAssertEqual(second.ttys, nil)
        XCTAssertEqual(second.types, [.tty])
        XCTAssertEqual(
            second.settings,
            PolicySettings(
                idleTimeout: .seconds(7_200), warnBefore: .zero, signalInterval: .seconds(300), maxSession: .seconds(86_400),
                exempt: false, checkNoTTY: false, allowKeepalive: true, activity: .input, end: .session))
        XCTAssertEqual(result.warnings, [])
    }

    func testEmptyTextIsTheBuiltInDefaults() throws {
        let config = try XCTUnwrap(ConfigParser.parse("# nothing but a comment\n", path: "p").config)
        XCTAssertEqual(config, Config(path: "p"))
        XCTAssertEqual(Policy.resolve(config, for: SessionFacts(user: "u", uid: 1, groups: [], service: "sshd")).limits,
                       Limits())
    }

    func testUnknownKeySuggestions() {
        let cases: [(String, String?)] = [
            ("idle_timout", "idle_timeout"), ("IDLE_TIMEOUT", "idle_timeout"), ("idle-timeout", "idle_timeout"),
            ("timeout", "idle_timeout"), ("warn", "warn_before"), ("exclude_group", "exclude_groups"),
            ("max_sessions", "max_session"), ("signl_interval", "signal_interval"), ("scop", "scope"), ("ttl", nil),
            ("completely_unrelated", nil),
        ]
        for (key, expected) in cases {
            XCTAssertEqual(ConfigKeys.suggestion(for: key, among: ConfigKeys.topLevel), expected, key)
        }
        XCTAssertEqual(ConfigKeys.suggestion(for: "group", among: ConfigKeys.rule), "groups")
        XCTAssertEqual(ConfigKeys.suggestion(for: "service", among: ConfigKeys.rule), "services")
        XCTAssertEqual(ConfigKeys.suggestion(for: "tty", among: ConfigKeys.rule), "ttys")

        let result = ConfigParser.parse("[[rule]]\nusers = [\"a\"]\nexmept = true", path: "f")
        XCTAssertEqual(result.errors.map(\.description), ["f:3:1: exmept: unknown key; did you mean \"exempt\"?"])
    }

    func testUnknownKeyWithoutSuggestionListsValidKeys() {
        let result = ConfigParser.parse("frobnicate = 1", path: "f")
        XCTAssertEqual(result.errors.count, 1)
        XCTAssertEqual(
            result.errors.first?.description,
            "f:1:1: frobnicate: unknown key; valid keys here are " + ConfigKeys.topLevel.joined(separator: ", "))
    }

    func testShortTimeoutsAllowedDownToOneSecondWithWarning() throws {
        let text = """
            allow_short_timeouts = true
            idle_timeout = "5s"
            warn_before = "2s"
            max_session = "30s"
            """
        let result = ConfigParser.parse(text, path: "f")
        let config = try XCTUnwrap(result.config, "\(result.errors)")
        XCTAssertEqual(config.defaults.idleTimeout, .seconds(5))
        XCTAssertEqual(config.defaults.maxSession, .seconds(30))
        XCTAssertEqual(result.warnings.map(\.description),
                       ["f:1:1: allow_short_timeouts: timeouts below 60s are allowed; meant for tests and demos, not production"])
    }

    func testRuleThatSetsNothingIsAWarningNotAnError() throws {
        let result = ConfigParser.parse("\n[[rule]]\nname = \"noop\"\nusers = [\"a\"]", path: "f")
        XCTAssertNotNil(result.config)
        XCTAssertEqual(result.warnings, [.ruleSetsNothing(SourceLocation(file: "f", line: 2, column: 1), rule: 1)])
    }

    func testLookupWarningsPointAtEachName() {
        let text = """
            exclude_users = ["root", "ghost"]
            exclude_groups = ["nogroup"]
            [[rule]]
            users = ["alice", "phantom"]
            groups = ["wheel", "nogroup"]
            exempt = true
            """
        let result = ConfigParser.parse(text, path: "f")
        XCTAssertNotNil(result.config)
        let warnings = result.lookupWarnings(
            userExists: { ["root", "alice"].contains($0) }, groupExists: { $0 == "wheel" })
        XCTAssertEqual(warnings.map(\.description), [
            "f:1:26: exclude_users: no user \"ghost\" on this system; check the spelling",
            "f:2:19: exclude_groups: no group \"nogroup\" on this system; check the spelling",
            "f:4:19: users: no user \"phantom\" on this system; check the spelling",
            "f:5:20: groups: no group \"nogroup\" on this system; check the spelling",
        ])
    }

    func testLookupWarningsAreAvailableEvenWhenTheFileHasErrors() {
        let result = ConfigParser.parse("exclude_users = [\"ghost\"]\ngrace = \"1h\"", path: "f")
        XCTAssertNil(result.config)
        XCTAssertEqual(result.lookupWarnings(userExists: { _ in false }, groupExists: { _ in true }).count, 1)
    }

    func testSummaryShowsDefaultsSourcesExclusionsAndRules() throws {
        let config = try XCTUnwrap(ConfigParser.parse(full, path: "/x.conf").config)
        let summary = config.summary
        for line in [
            "config /x.conf",
            "  idle_timeout = 20m  (config top level, /x.conf:1)",
            "  max_session = 12h  (config top level, /x.conf:4)",
            "  scope = user",
            "  exclude_users = [root, backup]",
            "  exclude_groups = [kiosk]",
            "  rule 1 \"console\" (/x.conf:15): when ttys = [ttyS*]: exempt = true",
            "  rule 2 (/x.conf:20): when groups = [oncall, sre], users = [alice], services = [sshd], types = [tty], "
                + "remote = [local, *.Example.net]: exempt = false, idle_timeout = 2h, warn_before = 0s, signal_interval = 5m, "
                + "max_session = 1d, check_no_tty = false, allow_keepalive = true, activity = input, end = session",
        ] {
            XCTAssertTrue(summary.contains(line + "\n") || summary.hasSuffix(line), "missing \(line) in\n\(summary)")
        }
        let builtIn = Config.builtIn(path: "/nope").summary
        XCTAssertTrue(builtIn.hasPrefix("config /nope (no such file: built-in defaults)\n"), builtIn)
        XCTAssertTrue(builtIn.contains("  idle_timeout = 15m  (built-in default)\n"), builtIn)
        XCTAssertTrue(builtIn.contains("  warn_before = 1m  (built-in default)\n"), builtIn)
        XCTAssertTrue(builtIn.contains("  max_session = none  (built-in default)\n"), builtIn)
        XCTAssertTrue(builtIn.hasSuffix("rules: none"), builtIn)
    }

    /// `adopt`: "module" by default, "none" to adopt nothing; any other value is an error that lists both.
    func testAdoptKey() throws {
        XCTAssertEqual(try XCTUnwrap(ConfigParser.parse("", path: "f").config).adopt, .module)
        XCTAssertEqual(try XCTUnwrap(ConfigParser.parse("adopt = \"none\"", path: "f").config).adopt, .none)
        XCTAssertEqual(try XCTUnwrap(ConfigParser.parse("adopt = \"module\"", path: "f").config).adopt, .module)
        let bad = ConfigParser.parse("adopt = \"all\"", path: "f")
        XCTAssertNil(bad.config)
        let message = bad.errors.map(\.description).joined()
        XCTAssertTrue(message.hasPrefix("f:1:1: adopt:") && message.contains("module") && message.contains("none"), message)
        let misplaced = ConfigParser.parse("[[rule]]\nusers = [\"a\"]\nadopt = \"none\"", path: "f")
        XCTAssertTrue(misplaced.errors.map(\.description).joined().contains("adopt is a top-level setting"),
                      "\(misplaced.errors)")
        XCTAssertTrue(try XCTUnwrap(ConfigParser.parse("adopt = \"none\"", path: "f").config).summary
            .contains("  adopt = none\n"))
    }
}
