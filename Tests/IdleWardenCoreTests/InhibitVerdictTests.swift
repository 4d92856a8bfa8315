import XCTest
@testable import IdleWardenCore

/// `idlewarden inhibit` in the policy: a hold stops the idle clock while it lasts, within allow_inhibit and
/// max_inhibit, and the clock runs again from its end.
final class InhibitVerdictTests: XCTestCase {
    let opened = Instant(seconds: 1_000_000)
    let process = ProcessIdentity(pid: 4000, startTime: 77)

    func session(idle: Int64 = 600, warn: Int64 = 60, maxInhibit: Int64? = nil, allow: Bool = true) -> Session {
        var session = Session(
            id: "1", facts: SessionFacts(user: "alice", uid: 1001, groups: ["alice"], service: "sshd"),
            leader: ProcessIdentity(pid: 100, startTime: 5), sid: 100, openedAt: opened,
            limits: Limits(idleTimeout: .seconds(idle), warnBefore: .seconds(warn), allowInhibit: allow,
                           maxInhibit: maxInhibit.map { .seconds($0) }),
            terminals: ["/dev/pts/1"])
        session.terminalDiscovery = .settled
        return session
    }

    func at(_ offset: Int64) -> Instant { opened + .seconds(offset) }

    func testAnUnboundedHoldHasNoIdleDeadlineAndTheClockRunsFromItsEnd() {
        var held = session()
        held.inhibit(Inhibitor(process: process, why: "build", since: at(100)))
        XCTAssertTrue(held.isInhibited(now: at(100_000)))
        XCTAssertEqual(held.verdict(now: at(100_000)), .unchecked)
        XCTAssertEqual(held.release(process, now: at(5000))?.why, "build")
        XCTAssertFalse(held.isInhibited(now: at(5000)))
        XCTAssertEqual(held.verdict(now: at(5000)), .sleep(until: at(5000 + 540)))
        XCTAssertEqual(held.verdict(now: at(5540)), .warn(deadline: at(5600), reason: .idle))
    }

    func testAHoldTakesBackAnIdleWarning() {
        var warned = session()
        warned.warning = Warning(issuedAt: at(540), deadline: at(600), reason: .idle)
        warned.inhibit(Inhibitor(process: process, why: "", since: at(550)))
        XCTAssertNil(warned.warning)
        XCTAssertEqual(warned.verdict(now: at(600)), .unchecked)
    }

    /// `status` claims no idle end while a hold lasts (a max_session end still shows); once max_inhibit has run
    /// out, or the hold has ended, the idle end shows again.
    func testTheOutlookClaimsNoIdleEndWhileHeld() {
        var held = session(maxInhibit: 3600)
        held.inhibit(Inhibitor(process: process, why: "", since: at(10)))
        XCTAssertNil(held.outlook(now: at(20)))
        XCTAssertEqual(held.outlook(now: at(4000)), Outlook(warnAt: at(4140), endAt: at(4200), reason: .idle))
        held.limits.maxSession = .seconds(86_400)
        XCTAssertEqual(held.outlook(now: at(20)),
                       Outlook(warnAt: at(86_340), endAt: at(86_400), reason: .maxSession))
        held.limits.maxSession = nil
        _ = held.release(process, now: at(1000))
        XCTAssertEqual(held.outlook(now: at(1000)), Outlook(warnAt: at(1540), endAt: at(1600), reason: .idle))
    }

    /// max_inhibit counts from the last input: the hold stops holding then, and the session is warned and ended
    /// one idle_timeout later while the command still runs.
    func testMaxInhibitBoundsALiveHold() {
        var held = session(maxInhibit: 3600)
        held.inhibit(Inhibitor(process: process, why: "", since: at(10)))
        XCTAssertTrue(held.isInhibited(now: at(3599)))
        XCTAssertFalse(held.isInhibited(now: at(3600)))
        XCTAssertEqual(held.verdict(now: at(20)), .sleep(until: at(3600 + 540)))
        XCTAssertEqual(held.verdict(now: at(4140)), .warn(deadline: at(4200), reason: .idle))
    }

    /// Holds one after the other cannot reach past max_inhibit: they never move the last input.
    func testRepeatedHoldsCannotExtendPastMaxInhibit() {
        var held = session(maxInhibit: 3600)
        var time: Int64 = 0
        for number in 0..<10 {
            let next = ProcessIdentity(pid: 5000 + Int32(number), startTime: UInt64(number))
            held.inhibit(Inhibitor(process: next, why: "", since: at(time)))
            time += 1000
            held.release(next, now: at(time))
        }
        XCTAssertEqual(held.idleClockStart, at(3600))
        XCTAssertEqual(held.verdict(now: at(time)), .warn(deadline: at(time + 60), reason: .idle))
    }

    func testInputAfterAHoldMovesTheClockAsUsual() {
        var held = session()
        held.inhibit(Inhibitor(process: process, why: "", since: at(0)))
        held.release(process, now: at(1000))
        held.touch(now: at(2000))
        XCTAssertEqual(held.idleClockStart, at(2000))
        XCTAssertEqual(held.verdict(now: at(2000)), .sleep(until: at(2540)))
    }

    /// allow_inhibit = false (also when a reload sets it while a hold is live): the hold counts for nothing.
    func testAHoldThatPolicyDisallowsCountsForNothing() {
        var held = session(allow: false)
        held.inhibit(Inhibitor(process: process, why: "", since: at(0)))
        XCTAssertFalse(held.isInhibited(now: at(10)))
        XCTAssertEqual(held.verdict(now: at(540)), .warn(deadline: at(600), reason: .idle))
        held.limits.allowInhibit = true
        XCTAssertEqual(held.verdict(now: at(540)), .unchecked)
    }

    func testMaxSessionStillEndsAHeldSession() {
        var held = session()
        held.limits.maxSession = .seconds(7200)
        held.inhibit(Inhibitor(process: process, why: "", since: at(0)))
        XCTAssertEqual(held.verdict(now: at(7140)), .warn(deadline: at(7200), reason: .maxSession))
    }

    func testReleasingAProcessThatHoldsNothingChangesNothing() {
        var held = session()
        XCTAssertNil(held.release(process, now: at(10)))
        XCTAssertNil(held.heldUntil)
        XCTAssertEqual(held.idleClockStart, opened)
    }

    /// A state file written before inhibitors existed still loads, without holds.
    func testOlderStateWithoutInhibitorsDecodes() throws {
        let encoded = try JSONEncoder().encode(session())
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        XCTAssertNil(object["inhibitorList"], "an empty list is not written")
        var limits = try XCTUnwrap(object["limits"] as? [String: Any])
        limits["inhibitAllowed"] = nil
        object["limits"] = limits
        let decoded = try JSONDecoder().decode(Session.self, from: JSONSerialization.data(withJSONObject: object))
        XCTAssertEqual(decoded.inhibitors, [])
        XCTAssertTrue(decoded.limits.allowInhibit)
    }

    func testAHoldSurvivesARoundTrip() throws {
        var held = session(maxInhibit: 600)
        held.inhibit(Inhibitor(process: process, why: "copy", since: at(3)))
        let decoded = try JSONDecoder().decode(Session.self, from: JSONEncoder().encode(held))
        XCTAssertEqual(decoded, held)
    }
}
