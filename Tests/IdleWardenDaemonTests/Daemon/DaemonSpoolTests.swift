import IdleWardenCore
import IdleWardenWire
import XCTest
@testable import IdleWardenDaemon

/// What the daemon does with the records the PAM module spooled while it could not take them: each batch as the
/// spool hands it over (`Daemon.applySpooled`), on fake processes and terminals and a manual clock.
final class DaemonSpoolTests: XCTestCase {
    private var harness: DaemonHarness!
    private var audit: MemoryAudit { harness.audit }
    private var nextName = 1

    override func setUpWithError() throws {
        harness = try DaemonHarness()
        harness.user("alice", uid: 1001)
    }

    override func tearDown() {
        harness = nil
    }

    /// An ssh login as the module saw it while the daemon was down: its root monitor, the user's sshd and shell on
    /// a pty opened now.
    private func sshLoginWhileDown() -> (monitor: ProcessRecord, device: String) {
        let monitor = harness.processes.spawn("sshd", parent: harness.sshd.pid, uid: 0, sid: harness.sshd.sid)
        let child = harness.processes.spawn("sshd", parent: monitor.pid, uid: 1001, sid: monitor.sid)
        let pty = harness.terminals.openPTY(owner: 1001)
        harness.processes.spawn("bash", parent: child.pid, uid: 1001, tty: pty.number)
        return (monitor, pty.device)
    }

    /// The record the module spools for `phase` of the login led by `leader`, written at `at`.
    private func record(
        _ phase: IdleWardenWire.SessionPhase, _ leader: ProcessRecord, at: Instant, startTime: UInt64? = nil,
        namespace: UInt64 = DaemonSpoolTests.ownNamespace
    ) throws -> SessionSpool.Entry {
        let bytes = try SessionDatagram(
            phase: phase, pid: leader.pid, startTime: startTime ?? leader.startTime, pidNamespace: namespace,
            user: Array("alice".utf8),
            service: Array("sshd".utf8), tty: Array("ssh".utf8), rhost: Array("192.0.2.7".utf8)
        ).encoded()
        defer { nextName += 1 }
        let name = String(repeating: "0", count: 20 - String(nextName).count) + "\(nextName)-\(leader.pid)-\(phase)"
        return .record(SessionSpool.Record(name: name, bytes: bytes, writtenAt: at))
    }

    /// The daemon's PID namespace in these tests (an inode number, as /proc/self/ns/pid gives it).
    static let ownNamespace: UInt64 = 4_026_531_836

    private func apply(_ entries: [SessionSpool.Entry]) {
        harness.daemon.applySpooled(entries, pidNamespace: Self.ownNamespace)
    }

    /// A login made 5 minutes before the daemon reads its record: registered with source=spool, found with its
    /// terminal, and as idle as it has been since the login (the pty's atime is from then); it is warned and
    /// ended on that schedule, not 15 minutes after the daemon read it.
    func testLoginMadeWhileDownIsRegisteredWithItsIdleTime() throws {
        let madeAt = harness.clock.now()
        let login = sshLoginWhileDown()
        let open = try record(.open, login.monitor, at: madeAt)
        harness.clock.advance(by: .seconds(300))
        apply([open])

        let line = try XCTUnwrap(audit.lines("open").last, audit.text)
        XCTAssertEqual(line["source"], "spool")
        XCTAssertEqual(line["terminals"], login.device)
        let id = try XCTUnwrap(harness.daemon.registry.id(ofLeader: login.monitor.identity))
        let entry = try XCTUnwrap(harness.status().first { $0.id == id })
        XCTAssertEqual(entry.openedAt, madeAt.seconds)
        XCTAssertGreaterThanOrEqual(entry.idleSeconds, 300 - TerminalInput.atimeStep)

        // 15 minutes idle from the login (up to the end of its atime bucket), warned 1 minute before.
        harness.run(until: madeAt + .seconds(15 * 60 - 60 - 1))
        XCTAssertEqual(audit.count("warn"), 0)
        harness.run(until: madeAt + .seconds(15 * 60 + TerminalInput.atimeStep))
        XCTAssertEqual(audit.count("warn"), 1, audit.text)
        harness.run(until: madeAt + .seconds(15 * 60 + 2 * TerminalInput.atimeStep + 30))
        XCTAssertEqual(audit.count("terminate", ["session": id, "reason": "idle"]), 1, audit.text)
    }

    /// Input after the login and before the daemon read the record counts.
    func testInputBeforeTheDaemonReadTheRecordCounts() throws {
        let madeAt = harness.clock.now()
        let login = sshLoginWhileDown()
        let open = try record(.open, login.monitor, at: madeAt)
        harness.clock.advance(by: .seconds(600))
        harness.terminals.type(on: login.device)
        harness.clock.advance(by: .seconds(60))
        apply([open])
        let id = try XCTUnwrap(harness.daemon.registry.id(ofLeader: login.monitor.identity))
        let entry = try XCTUnwrap(harness.status().first { $0.id == id })
        XCTAssertLessThanOrEqual(entry.idleSeconds, 60)
    }

    /// A login that began and ended while the daemon could not hear it (its open and close in one batch) is
    /// recorded once and registers nothing; a close read in a later batch than its open ends the session.
    func testCloseInTheSameBatchCancelsItsOpen() throws {
        let now = harness.clock.now()
        let first = sshLoginWhileDown()
        apply([
            try record(.open, first.monitor, at: now), try record(.close, first.monitor, at: now + .seconds(3)),
        ])
        XCTAssertTrue(harness.daemon.registry.isEmpty)
        XCTAssertEqual(audit.count("open"), 0)
        let cancel = try XCTUnwrap(audit.lines("spool-cancel").first, audit.text)
        XCTAssertEqual(cancel["user"], "alice")
        XCTAssertEqual(cancel["pid"], String(first.monitor.pid))
        XCTAssertEqual(cancel["opened"], String(now.seconds))
        XCTAssertEqual(cancel["closed"], String(now.seconds + 3))

        let second = sshLoginWhileDown()
        apply([try record(.open, second.monitor, at: now)])
        XCTAssertEqual(harness.daemon.registry.count, 1)
        apply([try record(.close, second.monitor, at: now + .seconds(5))])
        XCTAssertTrue(harness.daemon.registry.isEmpty)
        XCTAssertEqual(audit.count("close", ["reason": "pam-close"]), 1, audit.text)
    }

    /// Sessions opened and closed one after the other by the same process (a program that runs many PAM sessions)
    /// pair up in order: each close cancels the open just before it.
    func testRepeatedSessionsOfOneProcessPairInOrder() throws {
        let now = harness.clock.now()
        let login = sshLoginWhileDown()
        apply([
            try record(.open, login.monitor, at: now), try record(.close, login.monitor, at: now),
            try record(.open, login.monitor, at: now), try record(.close, login.monitor, at: now),
            try record(.open, login.monitor, at: now),
        ])
        XCTAssertEqual(audit.count("spool-cancel"), 2)
        XCTAssertEqual(audit.count("open", ["source": "spool"]), 1)
        XCTAssertEqual(harness.daemon.registry.count, 1)
    }

    /// The pid of a record read late may name another process by now: a start time that does not match is a login
    /// that is gone, and nothing is registered for the process that holds the pid now.
    func testRecordOfAProcessThatIsGoneRegistersNothing() throws {
        let login = sshLoginWhileDown()
        apply([try record(.open, login.monitor, at: harness.clock.now(),
                                                startTime: login.monitor.startTime - 1)])
        XCTAssertTrue(harness.daemon.registry.isEmpty)
        XCTAssertEqual(audit.lines("reject").last?["reason"], "leader-gone", audit.text)
    }

    /// What is not a record of the module is audited and applied to nothing: a file the spool refused, a record
    /// without a start time, a record that does not decode, a control request.
    func testWhatIsNotARecordIsAuditedAndIgnored() throws {
        let login = sshLoginWhileDown()
        let withoutStart = try SessionDatagram(
            phase: .open, pid: login.monitor.pid, user: Array("alice".utf8), service: Array("sshd".utf8)).encoded()
        let request = try ControlRequest(requestID: 1, action: .status, chunk: 0).encoded()
        let at = harness.clock.now()
        apply([
            .refused(name: "notes.txt", reason: "unexpected-name"),
            .record(SessionSpool.Record(name: "00000000000000000001-1-open", bytes: withoutStart, writtenAt: at)),
            .record(SessionSpool.Record(name: "00000000000000000002-1-open", bytes: [0x49, 0x57, 1], writtenAt: at)),
            .record(SessionSpool.Record(name: "00000000000000000003-1-open", bytes: request, writtenAt: at)),
        ])
        XCTAssertEqual(audit.lines("spool-reject").map { $0["reason"] ?? "" },
                       ["unexpected-name", "no-start-time", "truncated", "not-a-session"])
        XCTAssertEqual(audit.lines("spool-reject").map { $0.priority }, Array(repeating: LOG_WARNING, count: 4))
        XCTAssertTrue(harness.daemon.registry.isEmpty)
    }

    /// A record written in another PID namespace (a container that sees the spool through a bind mount) names a pid
    /// of that namespace: refused as a datagram from one is, even when a process of this host has that pid and
    /// start time, and its close cancels nothing; a record without a namespace is not the module's.
    func testRecordFromAnotherPIDNamespaceIsRefused() throws {
        let login = sshLoginWhileDown()
        let now = harness.clock.now()
        let withoutNamespace = try SessionDatagram(
            phase: .open, pid: login.monitor.pid, startTime: login.monitor.startTime, user: Array("alice".utf8),
            service: Array("sshd".utf8)).encoded()
        apply([
            try record(.open, login.monitor, at: now, namespace: Self.ownNamespace + 1),
            try record(.close, login.monitor, at: now, namespace: Self.ownNamespace + 1),
            .record(SessionSpool.Record(name: "00000000000000000099-1-open", bytes: withoutNamespace, writtenAt: now)),
        ])
        XCTAssertTrue(harness.daemon.registry.isEmpty)
        let rejects = audit.lines("reject")
        XCTAssertEqual(rejects.map { $0["reason"] ?? "" }, ["foreign-pid-namespace", "foreign-pid-namespace"], audit.text)
        XCTAssertEqual(rejects.first?["sender_pid"], String(login.monitor.pid))
        XCTAssertTrue(rejects.first?["detail"]?.contains("claimed-user=alice") == true, audit.text)
        XCTAssertEqual(audit.count("spool-cancel"), 0)
        XCTAssertEqual(audit.lines("spool-reject").map { $0["reason"] ?? "" }, ["no-pid-namespace"])

        apply([try record(.open, login.monitor, at: now)])
        XCTAssertEqual(audit.lines("open").last?["source"], "spool", "the same login from this namespace registers")
    }

    /// A session registered before a crash and closed while the daemon was down: the restarted daemon restores it,
    /// then the spooled close ends it.
    func testSpooledCloseEndsARestoredSession() throws {
        let login = try harness.sshLogin("alice")
        harness.daemon.saveStateIfNeeded(now: harness.clock.now(), force: true)
        try harness.crash(after: .seconds(30))
        XCTAssertEqual(harness.daemon.registry.count, 1)
        apply([try record(.close, login.leader, at: harness.clock.now() - .seconds(10))])
        XCTAssertTrue(harness.daemon.registry.isEmpty)
        XCTAssertEqual(audit.count("close", ["session": login.id, "reason": "pam-close"]), 1, audit.text)
    }
}
