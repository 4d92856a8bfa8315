import IdleWardenCore
import XCTest
@testable import IdleWardenDaemon

/// A desktop whose display cannot be read (its X authority replaced by a FIFO, a server that never answers): put
/// off while that lasts less than its idle_timeout, then treated as idle, audited, warned and ended (see
/// `UnobservableDisplay`). Policy of the harness: idle_timeout 15m, warn_before 1m.
final class UnobservableDesktopTests: XCTestCase {
    private var harness: DaemonHarness!
    private var audit: MemoryAudit { harness.audit }

    override func setUpWithError() throws {
        harness = try DaemonHarness()
        harness.user("alice", uid: 1001)
    }

    override func tearDown() {
        harness = nil
    }

    /// Never readable: first read 1 s after open (the first search for its terminals), put off at the warning
    /// time and asked again every 30 s, treated as idle once unreadable for 15 minutes, warned, ended a minute
    /// later: about when an idle desktop would have been.
    func testUnreadableDesktopIsEndedOnceUnreadableForItsIdleTimeout() throws {
        let login = try harness.desktopLogin("alice", display: ":5")
        let opened = harness.clock.now()
        harness.run(until: opened + .seconds(14 * 60))
        let unknown = try XCTUnwrap(audit.lines("display", ["result": "unknown"]).first, audit.text)
        XCTAssertEqual(unknown["session"], login.id)
        XCTAssertEqual(unknown["action"], "kept-alive-retry")
        XCTAssertEqual(audit.count("warn"), 0, "put off at the warning time")
        XCTAssertEqual(harness.daemon.registry.deadline(of: login.id), opened + .seconds(14 * 60 + 30))
        harness.run(until: opened + .seconds(15 * 60 + 30) - .milliseconds(1))
        XCTAssertEqual(audit.count("warn"), 0)
        XCTAssertEqual(audit.count("display", ["result": "unknown"]), 1)
        harness.run(until: opened + .seconds(15 * 60 + 30))
        let rule = try XCTUnwrap(audit.lines("display", ["result": "unobservable"]).first, audit.text)
        XCTAssertEqual(rule["unreadable_for"], String(15 * 60 + 29))
        XCTAssertEqual(rule["action"], "treated-as-idle")
        XCTAssertEqual(rule["idle"], String(15 * 60 + 30))
        let warn = try XCTUnwrap(audit.lines("warn", ["session": login.id]).first)
        XCTAssertEqual(warn["deadline"], String((opened + .seconds(16 * 60 + 30)).seconds))
        XCTAssertEqual(warn["desktop"], "xmessage")
        XCTAssertEqual(harness.desktops.notices.count, 1)
        harness.run(until: opened + .seconds(16 * 60 + 30))
        XCTAssertEqual(harness.processes.signalNames(of: login.processes[0].pid), [], "not before the farewell pause")
        harness.run(for: .seconds(1))
        XCTAssertEqual(harness.processes.signalNames(of: login.processes[0].pid), ["HUP"])
        XCTAssertEqual(audit.count("terminate", ["session": login.id]), 1)
        XCTAssertEqual(audit.count("display", ["result": "unobservable"]), 1, "audited once")
    }

    /// A display that can be read again in time (an X server restarting) is read as usual: nothing is treated as
    /// idle, and its input counts. A later run of failed reads has its own idle_timeout of grace.
    func testDisplayReadableAgainInTimeIsNotTreatedAsIdle() throws {
        let login = try harness.desktopLogin("alice", display: ":5")
        let opened = harness.clock.now()
        harness.run(until: opened + .seconds(14 * 60 + 1))
        XCTAssertEqual(audit.count("display", ["result": "unknown"]), 1)
        harness.desktops.readings[":5"] = .lastInput(harness.clock.now() - .seconds(3))
        harness.run(for: .seconds(30))
        XCTAssertEqual(audit.count("display", ["result": "reachable-again"]), 1)
        XCTAssertEqual(audit.count("warn"), 0)
        let used = harness.clock.now() - .seconds(33)
        harness.desktops.readings[":5"] = nil
        harness.run(until: used + .seconds(14 * 60))
        XCTAssertEqual(audit.count("display", ["result": "unknown"]), 2, audit.text)
        let failing = used + .seconds(14 * 60)
        harness.run(until: failing + .seconds(15 * 60) - .milliseconds(1))
        XCTAssertEqual(audit.count("warn"), 0, audit.text)
        XCTAssertEqual(audit.count("display", ["result": "unobservable"]), 0)
        harness.run(until: failing + .seconds(15 * 60 + 30 + 60 + 1))
        XCTAssertEqual(audit.count("display", ["result": "unobservable"]), 1)
        XCTAssertEqual(audit.count("terminate", ["session": login.id]), 1, audit.text)
    }

    /// One read that misses its deadline at the warning time (a busy host) is asked again a second later, not a
    /// quarter of idle_timeout later: the warning comes 1 s late and the end stays on time.
    func testOneFailedReadIsAskedAgainAfterASecond() throws {
        let login = try harness.desktopLogin("alice", display: ":5")
        let opened = harness.clock.now()
        harness.desktops.readings[":5"] = .lastInput(opened)
        harness.run(until: opened + .seconds(14 * 60) - .milliseconds(1))
        harness.desktops.readings[":5"] = nil
        harness.run(until: opened + .seconds(14 * 60))
        XCTAssertEqual(audit.count("display", ["result": "unknown"]), 1, audit.text)
        XCTAssertEqual(audit.count("warn"), 0)
        XCTAssertEqual(harness.daemon.registry.deadline(of: login.id), opened + .seconds(14 * 60 + 1))
        harness.desktops.readings[":5"] = .lastInput(opened)
        harness.run(until: opened + .seconds(14 * 60 + 1))
        XCTAssertEqual(audit.count("warn", ["session": login.id]), 1, audit.text)
        XCTAssertEqual(audit.count("display", ["result": "reachable-again"]), 1)
        harness.run(until: opened + .seconds(15 * 60 + 2))
        XCTAssertEqual(audit.count("terminate", ["session": login.id]), 1, audit.text)
    }
}
