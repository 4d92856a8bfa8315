import XCTest
@testable import IdleWardenCore

/// The deadline rules, driven by a manual clock: time is only ever a value passed in.
final class SessionVerdictTests: XCTestCase {
    let opened = Instant(seconds: 1_000_000)  // a multiple of 8, so atime buckets line up with the numbers below

    func session(idle: Int64 = 600, warn: Int64 = 60, max: Int64? = nil, terminals: [String] = ["/dev/pts/1"])
        -> Session
    {
        var session = Session(
            id: "1", facts: SessionFacts(user: "alice", uid: 1001, groups: ["alice"], service: "sshd"),
            leader: ProcessIdentity(pid: 100, startTime: 5), sid: 100, openedAt: opened,
            limits: Limits(idleTimeout: .seconds(idle), warnBefore: .seconds(warn), maxSession: max.map { .seconds($0) }),
            terminals: terminals)
        session.terminalDiscovery = .settled
        return session
    }

    func at(_ offset: Int64) -> Instant { opened + .seconds(offset) }

    func testSleepsUntilWarnTime() {
        XCTAssertEqual(session().verdict(now: at(10)), .sleep(until: at(540)))
    }

    func testWarnsExactlyAtWarnTime() {
        XCTAssertEqual(session().verdict(now: at(540)), .warn(deadline: at(600), reason: .idle))
        XCTAssertEqual(session().verdict(now: at(539)), .sleep(until: at(540)))
    }

    func testTerminatesExactlyAtDeadlineNotBefore() {
        var warned = session()
        warned.warning = Warning(issuedAt: at(540), deadline: at(600), reason: .idle)
        XCTAssertEqual(warned.verdict(now: at(599)), .sleep(until: at(600)))
        XCTAssertEqual(warned.verdict(now: at(600)), .terminate(reason: .idle))
    }

    func testInputBoundIsEndOfAtimeBucket() {
        var session = session()
        // atime 1_000_100 lies in the bucket [1_000_096, 1_000_104): input may have happened until 1_000_104.
        XCTAssertTrue(session.observeRead(atimeSeconds: opened.seconds + 100))
        XCTAssertEqual(session.lastInput, at(104))
        XCTAssertEqual(session.verdict(now: at(110)), .sleep(until: at(104 + 540)))
    }

    func testInputAfterWarningCancelsIt() {
        var session = session()
        session.observeRead(atimeSeconds: opened.seconds + 1)
        session.warning = Warning(issuedAt: at(548), deadline: at(608), reason: .idle)
        XCTAssertFalse(session.observeRead(atimeSeconds: opened.seconds + 1), "same atime is no input")
        XCTAssertNotNil(session.warning)
        XCTAssertTrue(session.observeRead(atimeSeconds: opened.seconds + 550))
        XCTAssertNil(session.warning)
        XCTAssertEqual(session.verdict(now: at(560)), .sleep(until: at(552 + 540)))
    }

    func testInputExactlyAtWarnTimeMovesTheDeadline() {
        var session = session()
        XCTAssertTrue(session.observeRead(atimeSeconds: opened.seconds + 540))
        XCTAssertEqual(session.verdict(now: at(540)), .sleep(until: at(544 + 540)))
    }

    func testOverdueSessionStillGetsItsFullWarning() {
        // The daemon was stopped past the deadline: warn now, end no earlier than warnBefore later.
        var session = session()
        XCTAssertEqual(session.verdict(now: at(5000)), .warn(deadline: at(5060), reason: .idle))
        session.warning = Warning(issuedAt: at(5000), deadline: at(5060), reason: .idle)
        XCTAssertEqual(session.verdict(now: at(5059)), .sleep(until: at(5060)))
        XCTAssertEqual(session.verdict(now: at(5060)), .terminate(reason: .idle))
    }

    func testNoWarningConfigured() {
        let session = session(warn: 0)
        XCTAssertEqual(session.verdict(now: at(599)), .sleep(until: at(600)))
        XCTAssertEqual(session.verdict(now: at(600)), .terminate(reason: .idle))
    }

    func testClockGoingBackwardsNeverEndsEarly() {
        var session = session()
        session.observeRead(atimeSeconds: opened.seconds + 300)
        XCTAssertEqual(session.verdict(now: at(-3600)), .sleep(until: at(304 + 540)))
        XCTAssertEqual(session.idle(now: at(-3600)), .zero)
    }

    func testOldTerminalAtimeIsNotInput() {
        var session = session()
        XCTAssertFalse(session.observeRead(atimeSeconds: opened.seconds - 3600))
        XCTAssertEqual(session.lastInput, opened)
    }

    func testExemptSessionIsNeverDue() {
        var session = session()
        session.limits.exemption = .group("oncall")
        XCTAssertEqual(session.verdict(now: at(1_000_000)), .exempt)
    }

    /// No terminal: searched 1, 3 and 10 s after open, then whenever a session with one would be warned (every
    /// idle_timeout − warn_before from its last input), never idle-checked itself unless check_no_tty says so.
    func testSessionWithoutTerminalIsSearchedAgainButNotIdleChecked() {
        var session = session(terminals: [])
        session.terminalDiscovery = .pending(attempt: 0)
        XCTAssertEqual(session.verdict(now: at(0)), .sleep(until: at(1)))
        session.terminalDiscovery = .settled
        XCTAssertFalse(session.isIdleChecked)
        XCTAssertEqual(session.verdict(now: at(10)), .sleep(until: at(540)))
        XCTAssertEqual(session.verdict(now: at(540)), .sleep(until: at(1080)))
        XCTAssertEqual(session.verdict(now: at(100_000)), .sleep(until: at(186 * 540)))
        session.touch(now: at(100_000))
        XCTAssertEqual(session.verdict(now: at(100_000)), .sleep(until: at(100_540)), "a keepalive restarts it")
        session.limits.checkNoTTY = true
        XCTAssertEqual(session.verdict(now: at(100_600)), .warn(deadline: at(100_660), reason: .idle))
    }

    /// A desktop with `graphical = false` is neither idle-checked nor searched for terminals.
    func testUncheckedDesktopIsNeverDue() {
        var session = session(terminals: [])
        session.facts.tty = ":0"
        session.limits.graphical = false
        XCTAssertEqual(session.verdict(now: at(100_000)), .unchecked)
    }

    func testMaxSessionEndsAnActiveSession() {
        var session = session(max: 3600)
        session.observeRead(atimeSeconds: opened.seconds + 3590)
        XCTAssertEqual(session.verdict(now: at(3540)), .warn(deadline: at(3600), reason: .maxSession))
        session.warning = Warning(issuedAt: at(3540), deadline: at(3600), reason: .maxSession)
        XCTAssertFalse(session.observeRead(atimeSeconds: opened.seconds + 3590))
        session.touch(now: at(3595))
        XCTAssertNotNil(session.warning, "input does not cancel a max-session warning")
        XCTAssertEqual(session.verdict(now: at(3600)), .terminate(reason: .maxSession))
    }

    func testKeepaliveResetsTheIdleClock() {
        var session = session()
        session.warning = Warning(issuedAt: at(540), deadline: at(600), reason: .idle)
        session.touch(now: at(550))
        XCTAssertNil(session.warning)
        XCTAssertEqual(session.verdict(now: at(551)), .sleep(until: at(550 + 540)))
    }
}
