import XCTest
@testable import IdleWardenCore

/// `lock_after`: a desktop is locked once per idle spell, before its warning and end, which keep their schedule.
final class LockVerdictTests: XCTestCase {
    let opened = Instant(seconds: 1_000_000)
    func at(_ offset: Int64) -> Instant { opened + .seconds(offset) }

    func desktop(lockAfter: Int64? = 300, tty: String = ":0") -> Session {
        var session = Session(
            id: "1", facts: SessionFacts(user: "alice", uid: 1001, groups: ["alice"], service: "lightdm", tty: tty),
            leader: ProcessIdentity(pid: 100, startTime: 5), sid: 100, openedAt: opened,
            limits: Limits(idleTimeout: .seconds(600), warnBefore: .seconds(60), lockAfter: lockAfter.map { .seconds($0) }))
        session.terminalDiscovery = .settled
        return session
    }

    func testLockedAtLockAfterThenWarnedAndEndedOnSchedule() {
        var session = desktop()
        XCTAssertEqual(session.verdict(now: at(10)), .sleep(until: at(300)))
        XCTAssertEqual(session.verdict(now: at(300)), .lock)
        session.lockedFor = session.lastInput
        XCTAssertEqual(session.verdict(now: at(300)), .sleep(until: at(540)))
        XCTAssertEqual(session.verdict(now: at(540)), .warn(deadline: at(600), reason: .idle))
    }

    /// Unlocking is input: the idle clock moves, and the next idle spell is locked again.
    func testInputAfterTheLockStartsANewSpell() {
        var session = desktop()
        session.lockedFor = session.lastInput
        session.touch(now: at(400))
        XCTAssertEqual(session.verdict(now: at(401)), .sleep(until: at(700)))
        XCTAssertEqual(session.verdict(now: at(700)), .lock)
    }

    /// A terminal has no locker: no lock verdict at all; a hold by `idlewarden inhibit` does not stop a lock.
    func testTerminalsAreNotLockedAndHoldsDoNotStopALock() {
        let terminal = desktop(tty: "pts/3")
        XCTAssertNil(terminal.lockMoment)
        var held = desktop()
        held.inhibit(Inhibitor(process: ProcessIdentity(pid: 9, startTime: 9), why: "", since: at(0)))
        XCTAssertEqual(held.verdict(now: at(300)), .lock)
        held.lockedFor = held.lastInput
        XCTAssertEqual(held.verdict(now: at(10_000)), .unchecked)
    }

    func testAnExemptSessionIsNeverLocked() {
        var session = desktop()
        session.limits.exemption = .user("alice")
        XCTAssertEqual(session.verdict(now: at(300)), .exempt)
    }

    func testLockAfterMustComeBeforeTheEnd() throws {
        let bad = ConfigParser.parse("idle_timeout = \"10m\"\n[[rule]]\ntypes = [\"x11\"]\nlock_after = \"10m\"", path: "f")
        XCTAssertNil(bad.config)
        XCTAssertTrue(bad.errors.first?.description.hasPrefix("f:4:1: lock_after: 10m is not shorter than idle_timeout")
                      == true, "\(bad.errors)")
        let command = ConfigParser.parse("lock_command = [\"i3lock\"]", path: "f")
        XCTAssertTrue(command.errors.first?.description.contains("absolute path") == true, "\(command.errors)")
        let good = try XCTUnwrap(ConfigParser.parse("""
            lock_command = ["/usr/bin/i3lock", "-n"]
            [[rule]]
            types = ["x11"]
            lock_after = "5m"
            """, path: "f").config)
        XCTAssertEqual(good.lockCommand, ["/usr/bin/i3lock", "-n"])
        let facts = SessionFacts(user: "a", uid: 1, groups: [], service: "lightdm", tty: ":0")
        XCTAssertEqual(Policy.resolve(good, for: facts).limits.lockAfter, .seconds(300))
        XCTAssertTrue(good.summary.contains("lock_command = [\"/usr/bin/i3lock\", \"-n\"]"), good.summary)
    }
}
