import XCTest
@testable import IdleWardenCore

final class ClockSampleTests: XCTestCase {
    let start = ClockSample(wall: Instant(seconds: 1_800_000_000), boot: 50_000)

    func later(wall: Int64, boot: Int64) -> ClockSample {
        ClockSample(wall: start.wall + .seconds(wall), boot: start.boot + boot * 1000)
    }

    func testRunningClocksAreNoJump() {
        XCTAssertNil(later(wall: 600, boot: 600).jump(since: start))
        XCTAssertNil(later(wall: 601, boot: 600).jump(since: start), "NTP slew within tolerance")
    }

    func testSuspendIsElapsedTimeNotAJump() {
        // Eight hours of suspend: both clocks advance; the idle time counts.
        XCTAssertNil(later(wall: 8 * 3600, boot: 8 * 3600).jump(since: start))
    }

    func testJumpsForwardAndBackward() {
        XCTAssertEqual(later(wall: 3600 + 10, boot: 10).jump(since: start), .seconds(3600))
        XCTAssertEqual(later(wall: -3600 + 10, boot: 10).jump(since: start), .seconds(-3600))
    }

    /// A wall clock set one day ahead must not end a session that was active a minute ago, and one set back
    /// must not keep it alive for the extra time: after the shift, the verdict is what the boot clock says.
    func testShiftKeepsDeadlinesOnElapsedTime() {
        let opened = start.wall
        var session = Session(
            id: "1", facts: SessionFacts(user: "u", uid: 1, groups: [], service: "sshd"),
            leader: ProcessIdentity(pid: 2, startTime: 3), sid: 2, openedAt: opened,
            limits: Limits(idleTimeout: .seconds(600), warnBefore: .seconds(60)), terminals: ["/dev/pts/0"])
        session.terminalDiscovery = .settled
        session.observeRead(atimeSeconds: opened.seconds + 60)   // input at +60 s → bound +64 s
        for jump: Int64 in [86_400, -86_400] {
            var shifted = session
            let now = later(wall: 120 + jump, boot: 120)
            let detected = now.jump(since: start)
            XCTAssertEqual(detected, .seconds(jump))
            shifted.shift(by: detected!)
            XCTAssertEqual(shifted.verdict(now: now.wall), .sleep(until: now.wall + .seconds(64 + 540 - 120)))
            // New input after the jump is recognised even when the clock went back.
            XCTAssertTrue(shifted.observeRead(atimeSeconds: now.wall.seconds))
        }
    }

    /// The wall clock set back an hour after a key press: the read's atime, written in the old frame, now lies an
    /// hour ahead of the shifted last input. It has not changed since the last look, so it is not new input, and
    /// the deadline stays where the boot clock puts it (counted as input, it would lengthen the session by the
    /// jump).
    func testClockSetBackDoesNotTurnAnOldReadIntoNewInput() {
        let opened = start.wall
        var session = Session(
            id: "1", facts: SessionFacts(user: "u", uid: 1, groups: [], service: "sshd"),
            leader: ProcessIdentity(pid: 2, startTime: 3), sid: 2, openedAt: opened,
            limits: Limits(idleTimeout: .seconds(600), warnBefore: .seconds(60)), terminals: ["/dev/pts/0"])
        session.terminalDiscovery = .settled
        session.observeRead(atimeSeconds: opened.seconds + 60)   // input at +60 s → bound +64 s
        let seen = session.watchedTerminals[0].stamp
        let now = later(wall: 120 - 3600, boot: 120)
        session.shift(by: now.jump(since: start)!)
        XCTAssertFalse(session.look(at: ["/dev/pts/0": seen], now: now.wall).input)
        XCTAssertEqual(session.idle(now: now.wall), .seconds(120 - 64))
        XCTAssertEqual(session.verdict(now: now.wall), .sleep(until: now.wall + .seconds(64 + 540 - 120)))
    }
}
