import XCTest

@testable import IdleWardenCore

/// Every kind of mistake an admin can make in idlewarden.conf, each with the exact line:column the error must
/// point at (the offending key, or the list element) and a fragment of the message that tells what to do.
final class BadConfigTests: XCTestCase {
    private struct Case {
        let name: String
        let text: String
        let line: Int
        let column: Int
        let key: String
        let fragment: String
    }

    private let cases: [Case] = [
        Case(name: "idle below minimum", text: #"idle_timeout = "30s""#, line: 1, column: 1, key: "idle_timeout",
             fragment: "30s is below the 60s minimum; set allow_short_timeouts = true for tests"),
        Case(name: "typo with suggestion", text: "\n\nidle_timout = \"20m\"", line: 3, column: 1, key: "idle_timout",
             fragment: "unknown key; did you mean \"idle_timeout\"?"),
        Case(name: "integer duration", text: "  idle_timeout = 900", line: 1, column: 3, key: "idle_timeout",
             fragment: "expected a duration string such as \"15m\", found the integer 900; durations are strings with a unit: write \"900s\""),
        Case(name: "float duration", text: "grace = 1.5", line: 1, column: 1, key: "grace",
             fragment: "found the number 1.5; use whole numbers"),
        Case(name: "unquoted duration", text: "# c\nidle_timeout = 15m", line: 2, column: 18, key: "idle_timeout",
             fragment: "durations are strings: write idle_timeout = \"15m\""),
        Case(name: "unknown unit", text: #"signal_interval = "10x""#, line: 1, column: 1, key: "signal_interval",
             fragment: "unknown unit \"x\" in \"10x\""),
        Case(name: "signal interval too long", text: #"signal_interval = "10m""#, line: 1, column: 1,
             key: "signal_interval",
             fragment: "10m is outside the allowed range 1s to 5m"),
        Case(name: "grace zero", text: #"grace = "0s""#, line: 1, column: 1, key: "grace",
             fragment: "0s is outside the allowed range 1s to 5m"),
        Case(name: "old and new name together", text: "signal_interval = \"5s\"\n[[rule]]\ngrace = \"6s\"\nsignal_interval = \"7s\"",
             line: 3, column: 1, key: "grace",
             fragment: "grace is the old name of signal_interval, which is set too (line 4); remove grace"),
        Case(name: "rule's old name out of range", text: "[[rule]]\nusers = [\"a\"]\ngrace = \"6m\"", line: 3, column: 1,
             key: "grace", fragment: "6m is outside the allowed range 1s to 5m"),
        Case(name: "warn not before idle", text: "idle_timeout = \"5m\"\nwarn_before = \"5m\"", line: 2, column: 1,
             key: "warn_before", fragment: "5m is not shorter than idle_timeout (5m); shorten it, or use \"0s\""),
        Case(name: "short idle vs built-in warning", text: "allow_short_timeouts = true\nidle_timeout = \"30s\"",
             line: 2, column: 1, key: "idle_timeout",
             fragment: "30s is not longer than warn_before (1m, the built-in default)"),
        Case(name: "warn above built-in idle", text: "warn_before = \"20m\"", line: 1, column: 1, key: "warn_before",
             fragment: "20m is not shorter than idle_timeout (15m, the built-in default)"),
        Case(name: "top-level key after a rule", text: "[[rule]]\ngroups = [\"a\"]\nexempt = true\nscope = \"user\"",
             line: 4, column: 1, key: "scope",
             fragment: "comes after the [[rule]] header of rule 1, so TOML puts it inside that rule; move it above"),
        Case(name: "typo in second rule",
             text: "[[rule]]\nusers = [\"a\"]\nexempt = true\n\n[[rule]]\n  group = [\"b\"]\n  exempt = true",
             line: 6, column: 3, key: "group", fragment: "did you mean \"groups\"?"),
        Case(name: "bool as string", text: #"check_no_tty = "yes""#, line: 1, column: 1, key: "check_no_tty",
             fragment: "expected true or false, found the string \"yes\"; write true or false without quotes"),
        Case(name: "bad choice", text: #"activity = "output""#, line: 1, column: 1, key: "activity",
             fragment: "\"output\" is not a valid value; use \"input\" or \"input+output\""),
        Case(name: "choice of wrong type", text: "end = true", line: 1, column: 1, key: "end",
             fragment: "expected one of \"session\", \"leader\", found the boolean true"),
        Case(name: "bad glob element", text: "[[rule]]\nttys = [\"tty1\", \"ttyS[0-3\"]\nexempt = true",
             line: 2, column: 17, key: "ttys", fragment: "\"ttyS[0-3\" has a \"[\" without its closing \"]\""),
        Case(name: "empty match list", text: "[[rule]]\ngroups = []\nexempt = true", line: 2, column: 1,
             key: "groups", fragment: "an empty list matches no session"),
        Case(name: "single [rule] table", text: "[rule]\nexempt = true", line: 1, column: 2, key: "rule",
             fragment: "expected [[rule]] tables, found a table; write each rule under its own [[rule]] header"),
        Case(name: "duplicate rule name",
             text: "[[rule]]\nname = \"a\"\nexempt = true\n[[rule]]\nname = \"a\"\nexempt = false",
             line: 5, column: 1, key: "name", fragment: "\"a\" is already the name of rule 1 (/etc/idlewarden/test.conf:1)"),
        Case(name: "rule idle against inherited warning",
             text: "warn_before = \"10m\"\n[[rule]]\nusers = [\"x\"]\nidle_timeout = \"5m\"", line: 4, column: 1,
             key: "idle_timeout", fragment: "5m is not longer than warn_before (10m, inherited from the top level)"),
        Case(name: "rule warning against inherited idle",
             text: "idle_timeout = \"10m\"\n[[rule]]\nusers = [\"x\"]\nwarn_before = \"10m\"", line: 4, column: 1,
             key: "warn_before", fragment: "10m is not shorter than idle_timeout (10m, inherited from the top level)"),
        Case(name: "non-string list element", text: #"exclude_groups = ["a", 3]"#, line: 1, column: 24,
             key: "exclude_groups", fragment: "expected a string, found the integer 3"),
        Case(name: "empty name in list", text: #"exclude_users = ["bob", ""]"#, line: 1, column: 25,
             key: "exclude_users", fragment: "empty name in the list"),
        Case(name: "string instead of list", text: #"exclude_users = "bob""#, line: 1, column: 1, key: "exclude_users",
             fragment: "expected a list of strings such as [\"admins\"], found the string \"bob\"; write [\"bob\"]"),
        Case(name: "inline-table rule", text: #"rule = [{ users = ["a"], idle_timeout = "1s" }]"#, line: 1,
             column: 26, key: "idle_timeout", fragment: "1s is below the 60s minimum"),
        Case(name: "dotted unknown key in rule", text: "[[rule]]\nusers = [\"a\"]\nlimits.idle = \"5m\"", line: 3,
             column: 1, key: "limits", fragment: "unknown key; valid keys here are name, groups"),
        Case(name: "short max_session", text: #"max_session = "59s""#, line: 1, column: 1, key: "max_session",
             fragment: "59s is below the 60s minimum"),
        Case(name: "short max_session even when allowed",
             text: "allow_short_timeouts = true\nmax_session = \"0s\"", line: 2, column: 1, key: "max_session",
             fragment: "0s is below the 1s minimum"),
        Case(name: "negative", text: #"warn_before = "-1m""#, line: 1, column: 1, key: "warn_before",
             fragment: "\"-1m\" is negative"),
        Case(name: "quoted unknown key", text: #"  "idle timeout" = "5m""#, line: 1, column: 3, key: "idle timeout",
             fragment: "did you mean \"idle_timeout\"?"),
        Case(name: "rule key at top level", text: #"groups = ["a"]"#, line: 1, column: 1, key: "groups",
             fragment: "groups is only valid inside a [[rule]] table; to exempt whole groups use exclude_groups"),
        Case(name: "exempt at top level", text: "exempt = true", line: 1, column: 1, key: "exempt",
             fragment: "at the top level use exclude_users or exclude_groups"),
        Case(name: "CRLF line endings",
             text: "grace = \"1s\"\r\nidle_timeout = \"1m\"\r\nwarn_before = \"2m\"\r\n", line: 3, column: 1,
             key: "warn_before", fragment: "2m is not shorter than idle_timeout (1m)"),
        Case(name: "columns count code points", text: "# ééé\nexclude_users = [\"é\", 1]", line: 2, column: 23,
             key: "exclude_users", fragment: "found the integer 1"),
        Case(name: "key text inside a multi-line string is not a key",
             text: "[[rule]]\nname = \"\"\"a\nidle_timeout = \"1s\"\n\"\"\"\nusers = [\"x\"]\nidle_timeout = \"2s\"",
             line: 6, column: 1, key: "idle_timeout", fragment: "2s is below the 60s minimum"),
        Case(name: "section table", text: "idle_timeout = \"20m\"\n\n[limits]\nidle = \"5m\"", line: 3, column: 2,
             key: "limits", fragment: "unknown key; valid keys here are idle_timeout"),
        Case(name: "nested rule table", text: "[[rule]]\nusers = [\"a\"]\nexempt = true\n[rule.match]\nx = 1",
             line: 4, column: 7, key: "match", fragment: "unknown key"),
        Case(name: "rule name not a string", text: "[[rule]]\nname = 3\nexempt = true", line: 2, column: 1,
             key: "name", fragment: "expected a string, found the integer 3"),
        Case(name: "empty rule name", text: "[[rule]]\nname = \"\"\nexempt = true", line: 2, column: 1, key: "name",
             fragment: "empty name"),
        Case(name: "bad remote glob", text: "[[rule]]\nremote = [\"local\", \"10.0.[1-\"]\nexempt = true", line: 2,
             column: 20, key: "remote", fragment: "without its closing"),
        Case(name: "unknown session type", text: "[[rule]]\ntypes = [\"tty\", \"mir\"]\nexempt = true", line: 2,
             column: 17, key: "types", fragment: "\"mir\" is not a valid value; use \"tty\", \"x11\" or \"wayland\""),
        Case(name: "wrong rule element", text: "rule = [1]", line: 1, column: 9, key: "rule",
             fragment: "expected a [[rule]] table, found the integer 1"),
        Case(name: "NUL byte", text: "idle_timeout = \"15m\"\n\u{0}", line: 2, column: 1, key: "syntax",
             fragment: "NUL character"),
        Case(name: "duplicate key", text: "grace = \"1s\"\n  grace = \"2s\"", line: 2, column: 3, key: "grace",
             fragment: "cannot redefine existing string 'grace'"),
        Case(name: "unterminated header", text: "[[rule]\nexempt = true", line: 1, column: 8, key: "syntax",
             fragment: "expected ']'"),
    ]

    func testEachBadFileGivesItsLineColumnKeyAndMessage() {
        for testCase in cases {
            let result = ConfigParser.parse(testCase.text, path: "/etc/idlewarden/test.conf")
            XCTAssertNil(result.config, testCase.name)
            guard let error = result.errors.first else {
                XCTFail("\(testCase.name): no error")
                continue
            }
            XCTAssertEqual(result.errors.count, 1, "\(testCase.name): \(result.errors)")
            XCTAssertEqual(error.location.file, "/etc/idlewarden/test.conf", testCase.name)
            XCTAssertEqual(error.location.line, testCase.line, "\(testCase.name): \(error)")
            XCTAssertEqual(error.location.column, testCase.column, "\(testCase.name): \(error)")
            XCTAssertEqual(error.key, testCase.key, "\(testCase.name): \(error)")
            XCTAssertTrue(error.message.contains(testCase.fragment), "\(testCase.name): \(error)")
            XCTAssertEqual(
                error.description,
                "/etc/idlewarden/test.conf:\(testCase.line):\(testCase.column): \(testCase.key): \(error.message)")
        }
    }

    func testAllErrorsAreCollectedInFileOrder() {
        let text = """
            warn_before = "20m"
            grace = "1x"
            scope = "global"

            [[rule]]
            groups = "admins"
            idle_timeout = 30
            exempt = "true"
            """
        let result = ConfigParser.parse(text, path: "f")
        XCTAssertNil(result.config)
        XCTAssertEqual(result.errors.map(\.location.line), [1, 2, 3, 6, 7, 8], "\(result.errors)")
        XCTAssertEqual(result.errors.map(\.key),
                       ["warn_before", "grace", "scope", "groups", "idle_timeout", "exempt"])
    }
}
