import XCTest

@testable import IdleWardenCore
import IdleWardenWire

final class PolicyTests: XCTestCase {
    private func config(_ text: String) throws -> Config {
        let result = ConfigParser.parse(text, path: "test.conf")
        return try XCTUnwrap(result.config, "\(result.errors)")
    }

    private func facts(
        user: String = "alice", groups: [String] = ["users"], service: String = "sshd", tty: String? = "ssh",
        rhost: String? = "10.0.0.7", arguments: [String] = []
    ) -> SessionFacts {
        SessionFacts(user: user, uid: 1000, groups: groups, service: service, tty: tty, rhost: rhost,
                     moduleArguments: arguments)
    }

    private let layered = """
        idle_timeout = "20m"
        signal_interval = "15s"

        [[rule]]
        name = "oncall"
        groups = ["oncall"]
        idle_timeout = "2h"

        [[rule]]
        services = ["sshd"]
        idle_timeout = "30m"
        warn_before = "5m"
        """

    func testFirstMatchingRuleThatSetsTheKeyWinsPerKey() throws {
        let resolution = Policy.resolve(try config(layered), for: facts(groups: ["oncall"]))
        XCTAssertEqual(resolution.limits.idleTimeout, .seconds(7_200))
        XCTAssertEqual(resolution.source(of: .idleTimeout), .rule(index: 1, name: "oncall", file: "test.conf", line: 4))
        XCTAssertEqual(resolution.limits.warnBefore, .seconds(300))
        XCTAssertEqual(resolution.source(of: .warnBefore), .rule(index: 2, name: nil, file: "test.conf", line: 9))
        XCTAssertEqual(resolution.limits.grace, .seconds(15))
        XCTAssertEqual(resolution.source(of: .signalInterval), .topLevel(at: SourceLocation(file: "test.conf", line: 2, column: 1)))
        XCTAssertEqual(resolution.source(of: .end), .builtInDefault)
        XCTAssertEqual(resolution.matchedRules, [1, 2])
        XCTAssertEqual(resolution.ignored, [])
    }

    func testRuleBeatsModuleArgumentWhichBeatsTopLevelWhichBeatsBuiltIn() throws {
        let config = try config(layered)
        let arguments = ["idle_timeout=45m", "warn_before=3m", "max_session=8h", "grace=20s"]

        let viaRule = Policy.resolve(config, for: facts(groups: ["oncall"], service: "login", arguments: arguments))
        XCTAssertEqual(viaRule.limits.idleTimeout, .seconds(7_200))
        XCTAssertEqual(viaRule.source(of: .idleTimeout), .rule(index: 1, name: "oncall", file: "test.conf", line: 4))
        XCTAssertEqual(viaRule.limits.warnBefore, .seconds(180))
        XCTAssertEqual(viaRule.source(of: .warnBefore), .moduleArgument("warn_before=3m"))

        let viaArgument = Policy.resolve(config, for: facts(service: "login", arguments: arguments))
        XCTAssertEqual(viaArgument.limits.idleTimeout, .seconds(2_700))
        XCTAssertEqual(viaArgument.source(of: .idleTimeout), .moduleArgument("idle_timeout=45m"))
        XCTAssertEqual(viaArgument.limits.maxSession, .seconds(28_800))
        XCTAssertEqual(viaArgument.source(of: .maxSession), .moduleArgument("max_session=8h"))
        XCTAssertEqual(viaArgument.limits.grace, .seconds(20))
        XCTAssertEqual(viaArgument.source(of: .signalInterval), .moduleArgument("grace=20s"), "the old name still works")

        let viaTopLevel = Policy.resolve(config, for: facts(service: "login"))
        XCTAssertEqual(viaTopLevel.limits.idleTimeout, .seconds(1_200))
        XCTAssertEqual(viaTopLevel.source(of: .idleTimeout), .topLevel(at: SourceLocation(file: "test.conf", line: 1, column: 1)))
        XCTAssertEqual(viaTopLevel.limits.warnBefore, .seconds(60))
        XCTAssertEqual(viaTopLevel.source(of: .warnBefore), .builtInDefault)
        XCTAssertNil(viaTopLevel.limits.maxSession)
        XCTAssertEqual(viaTopLevel.source(of: .maxSession), .builtInDefault)
        XCTAssertEqual(viaTopLevel.matchedRules, [])
    }

    func testExclusionsWinOverRulesAndArguments() throws {
        let config = try config("""
            exclude_users = ["root"]
            exclude_groups = ["kiosk", "wheel"]
            [[rule]]
            groups = ["wheel"]
            exempt = false
            idle_timeout = "5m"
            """)
        let grouped = Policy.resolve(config, for: facts(groups: ["users", "wheel", "kiosk"], arguments: ["exempt"]))
        XCTAssertEqual(grouped.limits.exemption, .group("kiosk"))
        XCTAssertEqual(grouped.source(of: .exempt), .excludeGroups(group: "kiosk", at: SourceLocation(file: "test.conf", line: 2, column: 19)))
        XCTAssertEqual(grouped.limits.idleTimeout, .seconds(300), "other keys still resolve, for explain")

        let root = Policy.resolve(config, for: facts(user: "root", groups: ["root"]))
        XCTAssertEqual(root.limits.exemption, .user("root"))
        XCTAssertEqual(root.source(of: .exempt), .excludeUsers(user: "root", at: SourceLocation(file: "test.conf", line: 1, column: 18)))
        XCTAssertEqual(root.value(of: .exempt), "true (user:root)")

        let plain = Policy.resolve(config, for: facts())
        XCTAssertNil(plain.limits.exemption)
        XCTAssertEqual(plain.value(of: .exempt), "false")
    }

    func testExemptFromRuleAndFromModuleArgument() throws {
        let config = try config("""
            [[rule]]
            name = "console"
            ttys = ["ttyS*"]
            exempt = true
            [[rule]]
            services = ["su"]
            exempt = false
            """)
        let console = Policy.resolve(config, for: facts(service: "login", tty: "/dev/ttyS1", rhost: nil))
        XCTAssertEqual(console.limits.exemption, .rule("console"))
        XCTAssertEqual(console.source(of: .exempt), .rule(index: 1, name: "console", file: "test.conf", line: 1))

        let argument = Policy.resolve(config, for: facts(service: "login", arguments: ["exempt"]))
        XCTAssertEqual(argument.limits.exemption, .moduleArgument)
        XCTAssertEqual(argument.source(of: .exempt), .moduleArgument("exempt"))

        let ruleSaysNo = Policy.resolve(config, for: facts(service: "su", arguments: ["exempt"]))
        XCTAssertNil(ruleSaysNo.limits.exemption)
        XCTAssertEqual(ruleSaysNo.source(of: .exempt), .rule(index: 2, name: nil, file: "test.conf", line: 5))
    }

    func testInvalidModuleArgumentsAreIgnoredAndReported() throws {
        let config = try config("warn_before = \"2m\"")
        let resolution = Policy.resolve(config, for: facts(arguments: [
            "debug", "socket=/run/x.sock", "require_daemon",
            "idle_timeout=30s", "idle_timeout", "max_session=10", "grace=1h", "warn_before=20m", "exempt=yes",
            "activity=input", "frobnicate=1",
        ]))
        XCTAssertEqual(resolution.limits, Limits(warnBefore: .seconds(120)))
        XCTAssertEqual(resolution.ignored.map(\.description), [
            "module argument idle_timeout=30s: idle_timeout ignored: 30s is below the 60s minimum; set allow_short_timeouts = true for tests",
            "module argument idle_timeout: idle_timeout ignored: needs a value, e.g. idle_timeout=30m",
            "module argument max_session=10: max_session ignored: \"10\" has no unit; write \"10s\" for seconds or \"10m\" for minutes",
            "module argument grace=1h: grace ignored: 1h is outside the allowed range 1s to 5m",
            "module argument exempt=yes: exempt ignored: exempt takes no value; write just exempt",
            "module argument activity=input: activity ignored: not a pam.d policy argument; use idle_timeout=, warn_before=, max_session=, signal_interval= or exempt (other keys belong in idlewarden.conf)",
            "module argument frobnicate=1: frobnicate ignored: not a pam.d policy argument; use idle_timeout=, warn_before=, max_session=, signal_interval= or exempt (other keys belong in idlewarden.conf)",
            "module argument warn_before=20m: warn_before ignored: 20m is not shorter than idle_timeout (15m); shorten it, or use \"0s\" for no warning",
        ])
        XCTAssertEqual(resolution.source(of: .warnBefore), .topLevel(at: SourceLocation(file: "test.conf", line: 1, column: 1)))
        XCTAssertEqual(resolution.source(of: .idleTimeout), .builtInDefault)
    }

    /// The module forwards the policy overrides of `ModuleArgument`; the daemon applies each one, and skips the
    /// module's own options without a report.
    func testEveryArgumentTheModuleForwardsIsApplied() throws {
        let values = ["socket": "/run/x.sock", "idle_timeout": "30m", "warn_before": "1m", "max_session": "8h",
                      "signal_interval": "10s", "grace": "10s"]
        for argument in ModuleArgument.allCases {
            let name = "\(argument.name)"
            let written = argument.takesValue ? "\(name)=\(try XCTUnwrap(values[name], "a value for \(name)"))" : name
            let resolution = Policy.resolve(try config(""), for: facts(arguments: [written]))
            XCTAssertEqual(resolution.ignored.map(\.description), [], written)
            if argument.isPolicyOverride {
                let key = try XCTUnwrap(PolicyKey(rawValue: ConfigKeys.aliases[name] ?? name), name)
                XCTAssertEqual(resolution.source(of: key), .moduleArgument(written))
            }
        }
    }

    func testShortModuleArgumentsAreAcceptedWhenTheConfigAllowsThem() throws {
        let config = try config("allow_short_timeouts = true\nwarn_before = \"0s\"")
        let resolution = Policy.resolve(config, for: facts(arguments: ["idle_timeout=20s", "idle_timeout=30s"]))
        XCTAssertEqual(resolution.limits.idleTimeout, .seconds(30))
        XCTAssertEqual(resolution.source(of: .idleTimeout), .moduleArgument("idle_timeout=30s"))
        XCTAssertEqual(resolution.ignored.map(\.description),
                       ["module argument idle_timeout=20s: idle_timeout ignored: overridden by the later idle_timeout=30s on the same line"])
    }

    func testWarningThatWouldComeAfterTheDeadlineFallsThrough() throws {
        let config = try config("""
            allow_short_timeouts = true
            [[rule]]
            groups = ["a"]
            warn_before = "10m"
            [[rule]]
            groups = ["b"]
            idle_timeout = "5m"
            [[rule]]
            groups = ["c"]
            idle_timeout = "50s"
            warn_before = "0s"
            """)
        let both = Policy.resolve(config, for: facts(groups: ["a", "b"]))
        XCTAssertEqual(both.limits.idleTimeout, .seconds(300))
        XCTAssertEqual(both.limits.warnBefore, .seconds(60))
        XCTAssertEqual(both.source(of: .warnBefore), .builtInDefault)
        XCTAssertEqual(both.ignored, [IgnoredValue(
            source: .rule(index: 1, name: nil, file: "test.conf", line: 2), key: "warn_before",
            reason: "10m is not shorter than idle_timeout (5m); shorten it, or use \"0s\" for no warning")])

        let short = Policy.resolve(config, for: facts(groups: ["c"], arguments: ["warn_before=55s"]))
        XCTAssertEqual(short.limits.idleTimeout, .seconds(50))
        XCTAssertEqual(short.limits.warnBefore, .zero)
        XCTAssertEqual(short.source(of: .warnBefore), .rule(index: 3, name: nil, file: "test.conf", line: 8))

        let nothingFits = Policy.resolve(config, for: facts(groups: ["a"], arguments: ["idle_timeout=40s"]))
        XCTAssertEqual(nothingFits.limits.idleTimeout, .seconds(40))
        XCTAssertEqual(nothingFits.limits.warnBefore, .zero, "no warning rather than one after the deadline")
        XCTAssertEqual(nothingFits.ignored.count, 2)
    }

    func testMatchingIsAndAcrossKeysOrWithinAList() throws {
        let config = try config("""
            [[rule]]
            users = ["alice", "bob"]
            services = ["sshd"]
            remote = ["*.EXAMPLE.net", "local"]
            ttys = ["pts/*", "ssh"]
            idle_timeout = "1h"
            """)
        let rule = config.rules[0]
        XCTAssertTrue(rule.matches(facts(user: "bob", rhost: "host.example.NET")))
        XCTAssertTrue(rule.matches(facts(tty: "/dev/pts/4", rhost: nil)))
        XCTAssertTrue(rule.matches(facts(rhost: "")))
        XCTAssertFalse(rule.matches(facts(user: "carol", rhost: nil)))
        XCTAssertFalse(rule.matches(facts(service: "login", rhost: nil)))
        XCTAssertFalse(rule.matches(facts(rhost: "10.0.0.7")))
        XCTAssertFalse(rule.matches(facts(tty: nil, rhost: nil)), "no terminal never matches ttys")
        XCTAssertFalse(rule.matches(facts(tty: "tty1", rhost: nil)))
        XCTAssertFalse(rule.matches(facts(rhost: "local")), "the word local is not a host name")

        let everything = Rule(index: 1, line: 1, settings: PolicySettings(signalInterval: .seconds(5)))
        XCTAssertTrue(everything.matches(facts(tty: nil, rhost: nil)))
        XCTAssertTrue(Rule(index: 1, line: 1, groups: ["x", "wheel"]).matches(facts(groups: ["wheel"])))
        XCTAssertFalse(Rule(index: 1, line: 1, groups: ["x"]).matches(facts(groups: [])))
    }

    func testExplainDataListsEveryKeyWithValueAndSource() throws {
        let config = try config(layered)
        let resolution = Policy.resolve(config, for: facts(groups: ["oncall"], arguments: ["max_session=8h"]))
        XCTAssertEqual(resolution.settings.map(\.key), PolicyKey.allCases)
        XCTAssertEqual(resolution.description, """
            exempt = false  (built-in default)
            idle_timeout = 2h  (rule 1 "oncall" (test.conf:4))
            lock_after = none  (built-in default)
            warn_before = 5m  (rule 2 (test.conf:9))
            warn_again = none  (built-in default)
            warn_message = built-in  (built-in default)
            signal_interval = 15s  (config top level, test.conf:2)
            max_session = 8h  (module argument max_session=8h)
            check_no_tty = false  (built-in default)
            allow_keepalive = true  (built-in default)
            activity = input  (built-in default)
            end = session  (built-in default)
            graphical = true  (built-in default)
            allow_inhibit = true  (built-in default)
            max_inhibit = none  (built-in default)
            matched rules: 1, 2
            """)
    }

    /// allow_inhibit and max_inhibit: top level and per rule, first matching rule wins, shown by explain with
    /// their sources; max_inhibit has the bounds of a timeout.
    func testInhibitKeysResolvePerRuleAndAreBounded() throws {
        let config = try config("""
            max_inhibit = "4h"

            [[rule]]
            name = "lab"
            groups = ["lab"]
            allow_inhibit = false

            [[rule]]
            users = ["alice"]
            max_inhibit = "30m"
            """)
        let lab = Policy.resolve(config, for: facts(groups: ["lab"]))
        XCTAssertFalse(lab.limits.allowInhibit)
        XCTAssertEqual(lab.source(of: .allowInhibit), .rule(index: 1, name: "lab", file: "test.conf", line: 3))
        XCTAssertEqual(lab.limits.maxInhibit, .seconds(1800))
        XCTAssertTrue(lab.description.contains("allow_inhibit = false  (rule 1 \"lab\" (test.conf:3))"), lab.description)
        XCTAssertTrue(lab.description.contains("max_inhibit = 30m  (rule 2 (test.conf:8))"), lab.description)
        let other = Policy.resolve(config, for: facts(user: "bob"))
        XCTAssertTrue(other.limits.allowInhibit)
        XCTAssertEqual(other.source(of: .allowInhibit), .builtInDefault)
        XCTAssertEqual(other.limits.maxInhibit, .seconds(4 * 3600))
        XCTAssertEqual(other.source(of: .maxInhibit), .topLevel(at: SourceLocation(file: "test.conf", line: 1, column: 1)))
        let builtIn = Policy.resolve(.builtIn(), for: facts())
        XCTAssertEqual(builtIn.value(of: .maxInhibit), "none")
        XCTAssertEqual(builtIn.value(of: .allowInhibit), "true")

        let bad = ConfigParser.parse("max_inhibit = \"10s\"\n[[rule]]\nallow_inhibit = \"no\"", path: "f")
        XCTAssertNil(bad.config)
        XCTAssertEqual(bad.errors.count, 2, "\(bad.errors)")
        XCTAssertTrue(bad.errors.contains { $0.description.hasPrefix("f:1:") && $0.description.contains("max_inhibit") },
                      "\(bad.errors)")
        XCTAssertTrue(bad.errors.contains { $0.description.hasPrefix("f:3:") && $0.description.contains("allow_inhibit") },
                      "\(bad.errors)")
    }
}
