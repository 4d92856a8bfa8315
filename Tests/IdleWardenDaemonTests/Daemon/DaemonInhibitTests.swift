import IdleWardenCore
import IdleWardenWire
import XCTest
@testable import IdleWardenDaemon

#if canImport(Glibc)
import Glibc
#endif

/// `idlewarden inhibit`: a process of the session's user inside the session holds it while it runs, within
/// allow_inhibit and max_inhibit; every other way of asking is refused and audited.
final class DaemonInhibitTests: XCTestCase {
    private var harness: DaemonHarness!
    private var audit: MemoryAudit { harness.audit }

    override func setUpWithError() throws {
        harness = try DaemonHarness()
        harness.user("alice", uid: 1001)
        harness.user("bob", uid: 1002)
    }

    override func tearDown() {
        harness = nil
    }

    /// Held for an hour past its 15 min limit while the command runs; shown by status; audited at start and end
    /// with the reason; after the end the idle clock runs from there: warned at 14 min, ended at 15 min.
    func testAHoldKeepsTheSessionUntilItsProcessExitsThenTheClockRuns() throws {
        let login = try harness.sshLogin("alice")
        let (process, reply) = try harness.inhibit(in: login, why: "nightly build")
        XCTAssertTrue(reply.ok, reply.message ?? "")
        let started = try XCTUnwrap(audit.lines("inhibit", ["session": login.id, "result": "started"]).first)
        XCTAssertEqual(started["why"], "nightly build")
        XCTAssertEqual(started["inhibitor_pid"], String(process.pid))
        XCTAssertEqual(started["max_inhibit"], "none")
        harness.run(for: .seconds(75 * 60))
        XCTAssertEqual(audit.count("warn"), 0)
        XCTAssertEqual(audit.count("terminate"), 0)
        let status = try XCTUnwrap(harness.status(uid: 1001).first)
        XCTAssertEqual(status.state, "inhibited")
        XCTAssertEqual(status.inhibitors.map(\.pid), [process.pid])
        XCTAssertEqual(status.inhibitors.first?.why, "nightly build")
        XCTAssertEqual(status.inhibitors.first?.holding, true)

        let released = harness.clock.now()
        harness.exits(process)
        let ended = try XCTUnwrap(audit.lines("inhibit", ["session": login.id, "result": "ended"]).first)
        XCTAssertEqual(ended["why"], "nightly build")
        XCTAssertEqual(ended["held"], String(75 * 60))
        XCTAssertEqual(try harness.status(uid: 1001).first?.state, "active")
        XCTAssertEqual(harness.handles.handles(of: process.pid), [], "the handle is closed")
        harness.run(until: released + .seconds(14 * 60 - 1))
        XCTAssertEqual(audit.count("warn"), 0)
        harness.run(until: released + .seconds(14 * 60))
        XCTAssertEqual(audit.count("warn", ["session": login.id]), 1)
        harness.run(until: released + .seconds(15 * 60 + 10))
        XCTAssertEqual(audit.count("terminate", ["session": login.id]), 1)
    }

    /// allow_inhibit = false for the session: refused with the policy named, audited as a warning, and the
    /// session ends on its usual schedule.
    func testRefusedWhenPolicyDisallowsIt() throws {
        harness.writeConfig(DaemonHarness.defaultConfig + """

            [[rule]]
            users = ["alice"]
            allow_inhibit = false
            """)
        harness.daemon.reload()
        let login = try harness.sshLogin("alice")
        let (_, reply) = try harness.inhibit(in: login, why: "please")
        XCTAssertFalse(reply.ok)
        XCTAssertTrue(reply.message?.contains("allow_inhibit = false") == true, reply.message ?? "")
        let refused = try XCTUnwrap(audit.lines("inhibit", ["session": login.id, "result": "refused"]).first)
        XCTAssertEqual(refused["reason"], "allow_inhibit-false")
        XCTAssertEqual(refused["why"], "please")
        XCTAssertEqual(refused.priority, LOG_WARNING)
        XCTAssertEqual(harness.handles.open.count, 1, "only the leader's handle")
        harness.run(for: .seconds(15 * 60 + 20))
        XCTAssertEqual(audit.count("terminate", ["session": login.id]), 1)
    }

    /// max_inhibit = 30m: the hold stops holding 30 min after the last input although the command runs on; the
    /// session is then warned and ended one idle_timeout later.
    func testMaxInhibitCapsAHold() throws {
        harness.writeConfig(DaemonHarness.defaultConfig + "\nmax_inhibit = \"30m\"\n")
        harness.daemon.reload()
        let login = try harness.sshLogin("alice")
        let opened = harness.clock.now()
        let (_, reply) = try harness.inhibit(in: login)
        XCTAssertTrue(reply.message?.contains("max_inhibit") == true, reply.message ?? "")
        harness.run(until: opened + .seconds(30 * 60 + 10))
        XCTAssertEqual(try harness.status(uid: 1001).first?.inhibitors.first?.holding, false)
        XCTAssertEqual(try harness.status(uid: 1001).first?.state, "active")
        // The last input counts from the end of the open's 8 s atime bucket.
        harness.run(until: opened + .seconds(44 * 60 + 7))
        XCTAssertEqual(audit.count("warn"), 0)
        harness.run(until: opened + .seconds(45 * 60 + 20))
        XCTAssertEqual(audit.count("warn", ["session": login.id]), 1)
        XCTAssertEqual(audit.count("terminate", ["session": login.id]), 1)
        // The end killed the inhibitor too; the event loop reports its handle readable.
        for handle in harness.handles.open.keys.sorted() where harness.handles.hasExited(handle) {
            harness.daemon.processExited(handle: handle)
        }
        XCTAssertEqual(audit.lines("inhibit", ["result": "ended"]).first?["reason"], "exited")
        XCTAssertEqual(harness.daemon.registry.indexSizes.inhibitors, 0)
    }

    /// The attacks: alice names bob's session; alice asks from a process outside any of her sessions; bob's
    /// process inside alice's session (after `su bob`) asks for alice's; a process of alice that is gone by the
    /// time the daemon looks. Each is refused and audited; bob's session ends on schedule.
    func testAUserCannotHoldSomeoneElsesSessionOrFromOutside() throws {
        let alice = try harness.sshLogin("alice")
        let bob = try harness.sshLogin("bob")

        let named = try harness.inhibit(in: alice, session: bob.id).reply
        XCTAssertFalse(named.ok)
        XCTAssertEqual(audit.lines("inhibit", ["session": bob.id, "result": "refused"]).first?["reason"],
                       "not-own-session")

        let outside = try harness.inhibit(in: alice, parent: 1).reply
        XCTAssertFalse(outside.ok)
        XCTAssertEqual(audit.lines("inhibit", ["sender_uid": "1001", "result": "refused"]).last?["reason"],
                       "not-in-session")

        let asBob = try harness.inhibit(in: alice, uid: 1002).reply
        XCTAssertFalse(asBob.ok)
        XCTAssertEqual(audit.lines("inhibit", ["sender_uid": "1002", "result": "refused"]).last?["reason"],
                       "not-in-session")

        let gone = try harness.request(.inhibit(why: nil, sessionID: nil), uid: 1001, pid: 9999)
        XCTAssertFalse(gone.ok)
        XCTAssertEqual(audit.count("inhibit", ["result": "started"]), 0)
        XCTAssertEqual(harness.daemon.registry.indexSizes.inhibitors, 0)

        harness.run(for: .seconds(15 * 60 + 20))
        XCTAssertEqual(audit.count("terminate", ["session": bob.id]), 1)
        XCTAssertEqual(audit.count("terminate", ["session": alice.id]), 1)
    }

    /// A user's holds are bounded per session (each costs the daemon a descriptor).
    func testHoldsPerSessionAreBounded() throws {
        let login = try harness.sshLogin("alice")
        for _ in 0..<Daemon.inhibitorsPerSession {
            XCTAssertTrue(try harness.inhibit(in: login).reply.ok)
        }
        let extra = try harness.inhibit(in: login).reply
        XCTAssertFalse(extra.ok)
        XCTAssertEqual(audit.lines("inhibit", ["result": "refused"]).last?["reason"], "too-many")
        XCTAssertEqual(harness.daemon.registry.indexSizes.inhibitors, Daemon.inhibitorsPerSession)
    }

    /// A hold cancels a pending idle warning, as input does (audited on the start line).
    func testAHoldTakesBackTheWarning() throws {
        let login = try harness.sshLogin("alice")
        harness.run(for: .seconds(14 * 60 + 8))
        XCTAssertEqual(audit.count("warn"), 1)
        XCTAssertTrue(try harness.inhibit(in: login).reply.ok)
        XCTAssertEqual(audit.lines("inhibit", ["result": "started"]).first?["warning"], "cancelled")
        harness.run(for: .seconds(60 * 60))
        XCTAssertEqual(audit.count("terminate"), 0)
    }

    /// The session closes while held: every index lets go of the hold and its handle is closed.
    func testClosingAHeldSessionReleasesEverything() throws {
        let login = try harness.sshLogin("alice")
        let (process, _) = try harness.inhibit(in: login)
        harness.logout(login)
        XCTAssertEqual(harness.daemon.registry.indexSizes.inhibitors, 0)
        XCTAssertEqual(harness.handles.handles(of: process.pid), [])
        XCTAssertEqual(harness.handles.open.count, 0)
    }

    /// A restart keeps a hold whose process still runs, and ends (audited) one whose process exited meanwhile.
    func testARestartKeepsLiveHoldsAndEndsGoneOnes() throws {
        let first = try harness.sshLogin("alice")
        let second = try harness.sshLogin("alice")
        let (kept, _) = try harness.inhibit(in: first, why: "kept")
        let (lost, _) = try harness.inhibit(in: second, why: "lost")
        harness.processes.exit(lost.pid)
        try harness.restart(after: .seconds(60))
        XCTAssertEqual(audit.lines("inhibit", ["result": "ended", "reason": "gone-at-restart"]).map { $0["why"] },
                       ["lost"])
        XCTAssertEqual(harness.handles.handles(of: kept.pid).count, 1)
        harness.run(for: .seconds(60 * 60))
        XCTAssertEqual(audit.count("terminate", ["session": second.id]), 1)
        XCTAssertEqual(audit.count("terminate", ["session": first.id]), 0)
        harness.exits(kept)
        XCTAssertEqual(audit.lines("inhibit", ["result": "ended", "reason": "exited"]).map { $0["why"] }, ["kept"])
    }
}
