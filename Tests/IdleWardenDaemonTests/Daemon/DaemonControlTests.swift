import IdleWardenCore
import IdleWardenWire
import XCTest
@testable import IdleWardenDaemon

#if canImport(Glibc)
import Glibc
#endif

/// The control socket's requests: who sees what in `status`, who may keep what alive, reload and sweep.
final class DaemonControlTests: XCTestCase {
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

    /// Each user sees their own sessions, root sees all, in the order they were opened; every field is filled.
    func testStatusShowsEachUserOnlyTheirOwnSessions() throws {
        let a1 = try harness.sshLogin("alice")
        let b = try harness.consoleLogin("bob")
        let a2 = try harness.sshLogin("alice", service: "sshd-other")
        harness.run(for: .seconds(30))
        XCTAssertEqual(try harness.status().map(\.id), [a1.id, b.id, a2.id])
        XCTAssertEqual(try harness.status(uid: 1001).map(\.id), [a1.id, a2.id])
        XCTAssertEqual(try harness.status(uid: 1002).map(\.id), [b.id])
        XCTAssertEqual(try harness.status(uid: 1003).map(\.id), [])
        let entry = try XCTUnwrap(harness.status(uid: 1001).last)
        XCTAssertEqual(entry.user, "alice")
        XCTAssertEqual(entry.uid, 1001)
        XCTAssertEqual(entry.service, "sshd-other")
        XCTAssertEqual(entry.tty, "ssh")
        XCTAssertEqual(entry.rhost, "192.0.2.7")
        XCTAssertEqual(entry.pid, a2.leader.pid)
        XCTAssertEqual(entry.terminals, [a2.device!])
        XCTAssertEqual(entry.idleSeconds, 30 - 8)
        XCTAssertEqual(entry.idleTimeoutSeconds, 900)
        XCTAssertEqual(entry.state, "active")
        XCTAssertEqual(try harness.status().first { $0.id == b.id }?.tty, String(b.device!.dropFirst(5)))
    }

    /// A status of many sessions is sent in several chunks, each fetched by the client that asked.
    func testLargeStatusComesInChunks() throws {
        for _ in 0..<300 { try harness.sshLogin("alice") }
        XCTAssertEqual(try harness.status().count, 300)
        XCTAssertEqual(try harness.status(uid: 1002).count, 0)
    }

    /// The owner's keepalive resets the idle clock (audited each time), so an idle session outlives its limit;
    /// another user is refused, naming the session or not; `status` is no activity: after the last keepalive the
    /// session ends on schedule.
    func testKeepaliveByOwnerIsAllowedByOthersRefused() throws {
        let login = try harness.sshLogin("alice")
        let until = harness.clock.now() + .seconds(30 * 60)
        var last = harness.clock.now()
        while harness.clock.now() < until {
            harness.run(for: .seconds(5 * 60))
            let reply = try harness.request(.keepalive(sessionID: nil), uid: 1001)
            XCTAssertTrue(reply.ok, reply.message ?? "")
            XCTAssertEqual(reply.sessions.map(\.id), [login.id])
            last = harness.clock.now()
        }
        XCTAssertEqual(audit.count("warn"), 0)
        XCTAssertEqual(audit.count("keepalive", ["session": login.id, "sender_uid": "1001"]), 6)

        for session in [login.id, nil] as [String?] {
            let refused = try harness.request(.keepalive(sessionID: session), uid: 1002)
            XCTAssertFalse(refused.ok)
            XCTAssertEqual(refused.sessions, [])
        }
        XCTAssertEqual(audit.count("keepalive", ["sender_uid": "1002", "result": "refused"]), 2)
        XCTAssertEqual(audit.lines("keepalive", ["sender_uid": "1002"]).first?.priority, LOG_WARNING)

        while harness.clock.now() < last + .seconds(14 * 60 + 30) {
            harness.run(for: .seconds(2))
            _ = try harness.status(uid: 1001)
        }
        XCTAssertEqual(audit.lines("warn", ["session": login.id]).first?["idle"], "840")
        harness.run(until: last + .seconds(15 * 60 + 1))
        XCTAssertEqual(audit.lines("terminate", ["session": login.id]).first?["idle"], "900")
    }

    /// `allow_keepalive = false` refuses with the policy named; root may keep any session alive.
    func testKeepaliveRefusedByPolicyAndRootMayKeepAnySessionAlive() throws {
        harness.writeConfig(DaemonHarness.defaultConfig + """

            [[rule]]
            name = "no-keepalive"
            users = ["bob"]
            allow_keepalive = false
            """)
        harness.daemon.reload()
        let a = try harness.sshLogin("alice")
        let b = try harness.sshLogin("bob")
        let refused = try harness.request(.keepalive(sessionID: nil), uid: 1002)
        XCTAssertFalse(refused.ok)
        XCTAssertTrue(refused.message?.contains("allow_keepalive = false") == true, refused.message ?? "")
        XCTAssertEqual(audit.lines("keepalive", ["session": b.id]).first?["reason"], "allow_keepalive-false")
        harness.run(for: .seconds(10 * 60))
        let root = try harness.request(.keepalive(sessionID: a.id), uid: 0)
        XCTAssertTrue(root.ok)
        XCTAssertEqual(try harness.status(of: a)?.idleSeconds, 0)
    }

    /// A reload that shortens idle_timeout from 60m to 15m, 26 minutes into the session's idleness (past the new
    /// limit): the session is warned at once and ended no sooner than warn_before later, with the new limit in
    /// the terminate line.
    func testReloadShorteningTheLimitStillGivesTheFullWarning() throws {
        harness.writeConfig("idle_timeout = \"60m\"\nwarn_before = \"1m\"\n")
        harness.daemon.reload()
        let login = try harness.sshLogin("alice")
        harness.run(for: .seconds(26 * 60))
        XCTAssertEqual(audit.count("warn"), 0)
        harness.writeConfig(DaemonHarness.defaultConfig)
        let reply = try harness.request(.reload)
        XCTAssertTrue(reply.ok)
        XCTAssertEqual(reply.message, "config reloaded")
        XCTAssertEqual(audit.lines("config-reload").last?["sessions"], "1")
        harness.run(for: .milliseconds(1))
        XCTAssertEqual(audit.count("warn", ["session": login.id]), 1)
        harness.run(for: .seconds(59))
        XCTAssertEqual(audit.count("terminate"), 0)
        harness.run(for: .seconds(2))
        XCTAssertEqual(audit.lines("terminate", ["session": login.id]).first?["idle_timeout"], "15m")
    }

    /// A broken config (SIGHUP or `idlewarden reload`) is refused whole: the error names FILE:LINE and the key,
    /// the reply carries it, and the session is warned and ended on the old limit.
    func testBrokenConfigIsRefusedAndTheOldLimitsStay() throws {
        let login = try harness.sshLogin("alice")
        harness.writeConfig("idle_timeout = \"300m\"\ngrace = \"3x\"\n")
        XCTAssertFalse(harness.daemon.reload().isEmpty)
        let reply = try harness.request(.reload)
        XCTAssertFalse(reply.ok)
        XCTAssertEqual(reply.message, "config has errors; the old config stays in force")
        let error = try XCTUnwrap(audit.lines("config-error").last)
        XCTAssertTrue(error["error"]?.hasPrefix("\(harness.configPath):2:") == true, error.record.description)
        XCTAssertTrue(error["error"]?.contains("grace") == true)
        XCTAssertEqual(error["result"], "old-config-kept")
        XCTAssertEqual(reply.lines.first, error["error"])
        XCTAssertEqual(audit.count("config-reload"), 0)
        harness.run(for: .seconds(16 * 60))
        XCTAssertEqual(audit.lines("terminate", ["session": login.id]).first?["idle_timeout"], "15m")
    }

    /// Only root may reload, sweep or read the metrics.
    func testReloadSweepAndMetricsAreRootOnly() throws {
        for action in [.reload, .sweep(dryRun: true), .metrics] as [ControlRequest.Action] {
            let reply = try harness.request(action, uid: 1001)
            XCTAssertFalse(reply.ok)
            XCTAssertEqual(reply.message, "only root may reload, sweep or read the metrics")
        }
        XCTAssertEqual(audit.count("reject", ["reason": "not-root", "sender_uid": "1001"]), 3)
        XCTAssertEqual(audit.count("sweep"), 0)
    }

    /// A dry run lists what the daemon would do and changes nothing; a sweep does it now.
    func testSweepDryRunChangesNothingSweepWarnsWhatIsDue() throws {
        let login = try harness.sshLogin("alice")
        let quiet = try harness.sshLogin("bob", tty: false)
        harness.run(for: .seconds(11))
        harness.clock.advance(by: .seconds(14 * 60))
        let dry = try harness.request(.sweep(dryRun: true))
        XCTAssertEqual(dry.lines.count, 2)
        XCTAssertTrue(dry.lines[0].hasPrefix("session \(login.id) (alice): would warn now (idle)"), dry.lines[0])
        // No terminal: not idle-checked, searched for one again when a session with one would be warned.
        XCTAssertEqual(dry.lines[1], "session \(quiet.id) (bob): would look again in 13m49s")
        XCTAssertEqual(audit.count("warn"), 0)
        XCTAssertEqual(try harness.status(of: login)?.state, "active")
        let sweep = try harness.request(.sweep(dryRun: false))
        XCTAssertTrue(sweep.lines[0].hasPrefix("session \(login.id) (alice): next: "), sweep.lines[0])
        XCTAssertEqual(audit.count("warn", ["session": login.id]), 1)
        XCTAssertEqual(audit.lines.map(\.event).suffix(3), ["sweep", "warn", "sweep"])
    }
}
