import XCTest
@testable import IdleWardenCore

/// A session's looks at its terminals: baselines, input, forgeries, terminals found and lost.
final class TerminalLookTests: XCTestCase {
    let opened = Instant(seconds: 1_000_000)  // a multiple of 8

    func session(terminals: [String] = ["/dev/pts/1"], settled: Bool = true) -> Session {
        var session = Session(
            id: "1", facts: SessionFacts(user: "alice", uid: 1001, groups: ["alice"], service: "sshd"),
            leader: ProcessIdentity(pid: 100, startTime: 5), sid: 100, openedAt: opened,
            limits: Limits(idleTimeout: .seconds(600), warnBefore: .seconds(60)), terminals: terminals)
        if settled { session.terminalDiscovery = .settled }
        return session
    }

    func at(_ offset: Int64) -> Instant { opened + .seconds(offset) }

    /// The login's own pty, made a moment after the open: typing in its first bucket does not move its atime, so
    /// the first search counts the end of that bucket.
    func testTheLoginsOwnTerminalCountsTheRestOfItsFirstBucket() {
        var session = session(terminals: [], settled: false)
        let created = FileTime(seconds: opened.seconds, nanoseconds: 300_000_000)
        let pty = TerminalStamp(access: created, modification: created, change: created, owner: 1001)
        XCTAssertTrue(session.setTerminals(["/dev/pts/1": pty], now: at(1)))
        XCTAssertEqual(session.lastInput, at(8))
        XCTAssertEqual(session.watchedTerminals.first?.stamp, pty)
        XCTAssertFalse(session.setTerminals(["/dev/pts/1": pty], now: at(2)), "nothing new")
    }

    /// A terminal found after the first searches (a `script` started later) is a baseline only: otherwise a user
    /// could open a new pty before each look and be credited every time.
    func testALaterTerminalCountsNothingAtFirstSight() {
        var session = session(terminals: [])
        let created = FileTime(seconds: at(599).seconds, nanoseconds: 1)
        let pty = TerminalStamp(access: created, modification: created, change: created, owner: 1001)
        session.setTerminals(["/dev/pts/7": pty], now: at(600))
        XCTAssertEqual(session.lastInput, opened)
        XCTAssertEqual(session.verdict(now: at(600)), .warn(deadline: at(660), reason: .idle))
        var pressed = pty
        pressed.access = FileTime(seconds: at(610).seconds)
        XCTAssertTrue(session.look(at: ["/dev/pts/7": pressed], now: at(620)).input)
        XCTAssertEqual(session.lastInput, at(616))
    }

    func testForgeryIsReportedAndNeverCounts() {
        var session = session()
        session.watchFirstTerminal(.read(at: at(10).seconds))
        for second in stride(from: Int64(20), through: 500, by: 4) {
            var touched = session.watchedTerminals[0].stamp
            touched.access = FileTime(seconds: at(second).seconds, nanoseconds: 999)
            touched.change = touched.access
            let look = session.look(at: ["/dev/pts/1": touched], now: at(second + 1))
            XCTAssertFalse(look.input)
            XCTAssertEqual(look.forgeries.map(\.reason), [.fractionalTime])
            XCTAssertEqual(look.forgeries.first?.seen, touched)
            XCTAssertEqual(look.unsettled, ["/dev/pts/1"])
        }
        XCTAssertEqual(session.lastInput, opened)
        XCTAssertEqual(session.verdict(now: at(540)), .warn(deadline: at(600), reason: .idle))
    }

    func testInputCancelsAnIdleWarningAndAGoneTerminalIsUnsettled() {
        var session = session(terminals: ["/dev/pts/1", "/dev/pts/2"])
        session.watchedTerminals = [
            WatchedTerminal(path: "/dev/pts/1", stamp: .read(at: at(1).seconds)),
            WatchedTerminal(path: "/dev/pts/2", stamp: .read(at: at(2).seconds)),
        ]
        session.warning = Warning(issuedAt: at(540), deadline: at(600), reason: .idle)
        var pressed = TerminalStamp.read(at: at(1).seconds)
        pressed.access = FileTime(seconds: at(570).seconds)
        let look = session.look(at: ["/dev/pts/1": pressed], now: at(600))
        XCTAssertTrue(look.input)
        XCTAssertNil(session.warning)
        XCTAssertEqual(session.lastInput, at(576))
        XCTAssertEqual(look.unsettled, ["/dev/pts/2"])
        XCTAssertEqual(session.watchedTerminals.map(\.path), ["/dev/pts/1"])
        XCTAssertEqual(session.watchedTerminals[0].lastInput, at(576))
    }

    /// `scope = "user"`: another session reads this one's terminals without taking what it sees as seen.
    func testInputReadForAnotherSessionIsNotTakenAsSeen() {
        var session = session()
        session.watchFirstTerminal(.read(at: at(10).seconds))
        var pressed = session.watchedTerminals[0].stamp
        pressed.access = FileTime(seconds: at(100).seconds)
        XCTAssertEqual(session.terminalInput(at: ["/dev/pts/1": pressed], now: at(101)), at(104))
        XCTAssertEqual(session.watchedTerminals[0].stamp.access, FileTime(seconds: at(10).seconds))
        XCTAssertTrue(session.look(at: ["/dev/pts/1": pressed], now: at(101)).input)
        XCTAssertEqual(session.terminalInput(at: ["/dev/pts/1": pressed], now: at(200)), at(104),
                       "input counted at an earlier look still counts for the others")
        var touched = pressed
        touched.access = FileTime(seconds: at(300).seconds, nanoseconds: 3)
        touched.change = touched.access
        XCTAssertEqual(session.terminalInput(at: ["/dev/pts/1": touched], now: at(301)), at(104))
    }

    /// Where output counts, the daemon's own notice (a write: mtime) is taken as the baseline, not as use.
    func testOwnNoticeIsAbsorbedWhereOutputCounts() {
        var session = session()
        session.limits.activity = .inputAndOutput
        session.watchFirstTerminal(.read(at: at(10).seconds))
        var noticed = session.watchedTerminals[0].stamp
        noticed.modification = FileTime(seconds: at(540).seconds)
        session.absorbOwnOutput(["/dev/pts/1": noticed])
        XCTAssertFalse(session.look(at: ["/dev/pts/1": noticed], now: at(541)).input)
    }

    func testOwnership() {
        var session = session()
        session.pamTerminalOwner = 1000
        XCTAssertTrue(TerminalOwnership.counts(owner: 1001, isPAMTerminal: false, of: session))
        XCTAssertFalse(TerminalOwnership.counts(owner: 1000, isPAMTerminal: false, of: session))
        XCTAssertTrue(TerminalOwnership.counts(owner: 1000, isPAMTerminal: true, of: session), "su's caller")
        XCTAssertFalse(TerminalOwnership.counts(owner: 0, isPAMTerminal: true, of: session))
        XCTAssertFalse(TerminalOwnership.counts(owner: 1002, isPAMTerminal: true, of: session))
    }

    func testNextSearchIsOnTheWarningScheduleFromTheLastInput() {
        let interval = Duration.seconds(540)
        XCTAssertEqual(TerminalDiscovery.nextSearch(lastInput: opened, every: interval, after: at(10)), at(540))
        XCTAssertEqual(TerminalDiscovery.nextSearch(lastInput: opened, every: interval, after: at(540)), at(1080))
        XCTAssertEqual(TerminalDiscovery.nextSearch(lastInput: opened, every: interval, after: at(-50)), at(540))
        XCTAssertEqual(TerminalDiscovery.nextSearch(lastInput: opened, every: .zero, after: at(3)), at(4),
                       "never more often than every second")
    }

    func testUnobservableDisplayRule() {
        let long = Duration.seconds(3600)
        XCTAssertEqual(UnobservableDisplay.retryDelay(unreadableFor: long, idleTimeout: .seconds(15)), .seconds(5))
        XCTAssertEqual(UnobservableDisplay.retryDelay(unreadableFor: long, idleTimeout: .seconds(15 * 60)), .seconds(30))
        XCTAssertEqual(UnobservableDisplay.retryDelay(unreadableFor: long, idleTimeout: .seconds(60)), .seconds(15))
        let backoff = [0, 1, 2, 4, 8, 16, 32].map {
            UnobservableDisplay.retryDelay(unreadableFor: .seconds($0), idleTimeout: .seconds(15 * 60))
        }
        XCTAssertEqual(backoff, [1, 1, 2, 4, 8, 16, 30].map { Duration.seconds($0) },
                       "a first failure is asked again after 1 s, then ever later, up to the cap")
        let limit = Duration.seconds(600)
        XCTAssertFalse(UnobservableDisplay.isTreatedAsIdle(unreadableSince: at(0), now: at(599), idleTimeout: limit))
        XCTAssertTrue(UnobservableDisplay.isTreatedAsIdle(unreadableSince: at(0), now: at(600), idleTimeout: limit))
    }
}
