import IdleWardenCore
import XCTest
@testable import IdleWardenDaemon

/// The policy as the daemon applies it to live sessions: rules by group and service, max_session, and
/// scope = "user".
final class DaemonPolicyTests: XCTestCase {
    private var audit: MemoryAudit { harness.audit }
    private var harness: DaemonHarness!

    override func tearDown() {
        harness = nil
    }

    private func start(_ config: String) throws {
        harness = try DaemonHarness(config: config)
    }

    /// The latest moment of the last input for a key press at `moment` (see `TerminalInput`).
    private func inputBound(_ moment: Instant) -> Instant {
        TerminalInput.latestInput(atimeSeconds: moment.seconds)
    }

    /// Two users in groups that rules give 15 and 40 minutes (the top level says 5 hours): each is warned and
    /// ended on its own schedule; status and the open and terminate lines name the limit and the rule.
    func testGroupRulesGiveUsersTheirOwnTimeouts() throws {
        try start("""
            idle_timeout = "5h"
            warn_before = "1m"

            [[rule]]
            name = "fast"
            groups = ["fast"]
            idle_timeout = "15m"

            [[rule]]
            name = "slow"
            groups = ["slow"]
            idle_timeout = "40m"
            """)
        harness.user("f", uid: 1001, groups: ["fast"])
        harness.user("s", uid: 1002, groups: ["slow"])
        let fast = try harness.sshLogin("f")
        let slow = try harness.sshLogin("s")
        let bound = inputBound(harness.clock.now())
        XCTAssertEqual(try harness.status(of: fast)?.idleTimeoutSeconds, 15 * 60)
        XCTAssertEqual(try harness.status(of: slow)?.idleTimeoutSeconds, 40 * 60)
        XCTAssertEqual(audit.lines("open", ["session": fast.id]).first?["idle_timeout"], "15m")
        XCTAssertEqual(audit.lines("open", ["session": slow.id]).first?["idle_timeout"], "40m")

        harness.run(until: bound + .seconds(15 * 60 + 1))
        XCTAssertEqual(audit.count("terminate", ["session": fast.id]), 1)
        harness.run(until: bound + .seconds(39 * 60 - 1))
        XCTAssertEqual(audit.count("warn", ["session": slow.id]), 0)
        harness.run(until: bound + .seconds(40 * 60 + 1))
        XCTAssertEqual(audit.lines("warn", ["session": slow.id]).first?["idle"], "2340")
        for (login, rule) in [(fast, "fast"), (slow, "slow")] {
            let line = try XCTUnwrap(audit.lines("terminate", ["session": login.id]).first, audit.text)
            XCTAssertTrue(line["rule"]?.contains(rule) == true, line.record.description)
            XCTAssertEqual(line["reason"], "idle")
        }
    }

    /// A `services` rule gives the ssh service 40 minutes; the same user's console login keeps 15.
    func testServiceRuleSetsAServiceTimeout() throws {
        try start(DaemonHarness.defaultConfig + """

            [[rule]]
            name = "ssh-long"
            services = ["sshd"]
            idle_timeout = "40m"
            """)
        harness.user("alice", uid: 1001)
        let ssh = try harness.sshLogin("alice")
        let console = try harness.consoleLogin("alice")
        XCTAssertEqual(try harness.status(of: ssh)?.idleTimeoutSeconds, 40 * 60)
        XCTAssertEqual(try harness.status(of: console)?.idleTimeoutSeconds, 15 * 60)
        harness.run(for: .seconds(30 * 60))
        XCTAssertEqual(audit.count("terminate", ["session": console.id]), 1)
        XCTAssertEqual(audit.count("warn", ["session": ssh.id]), 0)
        XCTAssertNotNil(harness.daemon.registry[ssh.id])
    }

    /// max_session ends a session that is never idle (a key every 3 minutes), warned about its maximum length
    /// first, with reason=max-session and the farewell naming the limit.
    func testMaxSessionEndsAnActiveSession() throws {
        try start(DaemonHarness.defaultConfig + """

            [[rule]]
            name = "capped"
            users = ["alice"]
            max_session = "25m"
            """)
        harness.user("alice", uid: 1001)
        let login = try harness.sshLogin("alice")
        let opened = harness.clock.now()
        while audit.count("terminate") == 0 && harness.clock.now() < opened + .seconds(30 * 60) {
            harness.type(in: login)
            harness.run(for: .seconds(3 * 60))
        }
        let warn = try XCTUnwrap(audit.lines("warn", ["session": login.id]).first, audit.text)
        XCTAssertEqual(warn["reason"], "max-session")
        XCTAssertEqual(warn["deadline"], String((opened + .seconds(25 * 60)).seconds))
        let end = try XCTUnwrap(audit.lines("terminate", ["session": login.id]).first, audit.text)
        XCTAssertEqual(end["reason"], "max-session")
        XCTAssertTrue(end["rule"]?.contains("capped") == true)
        XCTAssertLessThan(Int(end["idle"] ?? "") ?? .max, 15 * 60)
        let notices = harness.terminals.notices(on: login.device!)
        XCTAssertTrue(notices.first?.contains("maximum length of 25m") == true, notices.first ?? "none")
        XCTAssertTrue(notices.last?.contains("maximum session length of 25m reached") == true, notices.last ?? "")
        XCTAssertLessThanOrEqual(harness.clock.now(), opened + .seconds(27 * 60))
    }

    /// scope = "user": key presses in one of a user's sessions keep the other, idle one, unwarned; when both are
    /// idle, both end on the schedule of the last input in either.
    func testScopeUserTypingInOneSessionKeepsTheOther() throws {
        try start(DaemonHarness.defaultConfig + "\nscope = \"user\"\n")
        harness.user("alice", uid: 1001)
        let busy = try harness.sshLogin("alice")
        let idle = try harness.sshLogin("alice")
        let opened = harness.clock.now()
        var last = opened
        while harness.clock.now() < opened + .seconds(40 * 60) {
            harness.run(for: .seconds(4 * 60))
            harness.type(in: busy)
            last = harness.clock.now()
        }
        XCTAssertEqual(audit.count("warn"), 0)
        XCTAssertEqual(try harness.status(of: idle)?.state, "active")
        let deadline = inputBound(last) + .seconds(15 * 60)
        harness.run(until: deadline - .seconds(61))
        XCTAssertEqual(audit.count("warn"), 0)
        harness.run(until: deadline + .seconds(1))
        XCTAssertEqual(audit.count("terminate", ["session": busy.id]), 1)
        XCTAssertEqual(audit.count("terminate", ["session": idle.id]), 1)
        for login in [busy, idle] {
            XCTAssertEqual(audit.lines("terminate", ["session": login.id]).first?["idle"], "900")
        }
    }

    /// Without scope = "user", the same typing keeps only its own session.
    func testScopeSessionKeepsOnlyTheSessionTypedIn() throws {
        try start(DaemonHarness.defaultConfig)
        harness.user("alice", uid: 1001)
        let busy = try harness.sshLogin("alice")
        let idle = try harness.sshLogin("alice")
        let opened = harness.clock.now()
        while harness.clock.now() < opened + .seconds(20 * 60) {
            harness.run(for: .seconds(4 * 60))
            harness.type(in: busy)
        }
        XCTAssertEqual(audit.count("terminate", ["session": idle.id]), 1)
        XCTAssertEqual(audit.count("warn", ["session": busy.id]), 0)
    }
}
