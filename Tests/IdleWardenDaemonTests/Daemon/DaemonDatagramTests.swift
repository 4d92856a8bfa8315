import IdleWardenCore
import IdleWardenWire
import XCTest
@testable import IdleWardenDaemon

#if canImport(Glibc)
import Glibc
#endif

/// What the daemon does with datagrams it must not act on: each is rejected with its reason and an audit
/// line, and the registry stays as it was.
final class DaemonDatagramTests: XCTestCase {
    private var harness: DaemonHarness!
    private var audit: MemoryAudit { harness.audit }

    override func setUpWithError() throws {
        harness = try DaemonHarness()
        harness.user("alice", uid: 1001)
    }

    override func tearDown() {
        harness = nil
    }

    private func leader() -> ProcessRecord {
        harness.processes.spawn("sshd", parent: harness.sshd.pid, uid: 0, sid: harness.sshd.sid)
    }

    private func open(_ pid: Int32, user: String = "alice") -> SessionEvent {
        SessionEvent(phase: .open, pid: pid, user: user, service: "sshd", tty: "ssh")
    }

    /// An open sent by a user (the kernel attests uid 1001) is rejected and registers nothing; the same datagram
    /// from root registers a session, and a close from the user does not end it.
    func testNonRootSenderIsRejected() throws {
        let process = leader()
        harness.send(open(process.pid), from: process.pid, uid: 1001)
        let reject = try XCTUnwrap(audit.lines("reject").last, audit.text)
        XCTAssertEqual(reject["reason"], "not-root")
        XCTAssertEqual(reject["sender_uid"], "1001")
        XCTAssertEqual(reject["detail"], "claimed-user=alice")
        XCTAssertEqual(reject.priority, LOG_WARNING)
        XCTAssertTrue(harness.daemon.registry.isEmpty)
        XCTAssertEqual(audit.count("open"), 0)

        harness.send(open(process.pid), from: process.pid)
        XCTAssertEqual(harness.daemon.registry.count, 1)
        var close = open(process.pid)
        close.phase = .close
        harness.send(close, from: process.pid, uid: 1001)
        XCTAssertEqual(harness.daemon.registry.count, 1)
        XCTAssertEqual(audit.count("reject", ["reason": "not-root"]), 2)
    }

    /// Every class of malformed datagram gets its own reason; none changes the registry, and the daemon still
    /// registers a well-formed open afterwards.
    func testEveryMalformedDatagramIsRejectedWithItsOwnReason() throws {
        let baseline = try harness.sshLogin("alice")
        let process = leader()
        let valid = DaemonHarness.encoded(open(process.pid))
        var badVersion = valid
        badVersion[2] = 2
        var badMagic = valid
        badMagic[0] = UInt8(ascii: "X")
        var badUTF8 = DatagramWriter(kind: .open)
        badUTF8.append(.pid, integer: UInt64(process.pid))
        try badUTF8.append(.user, bytes: Array("iwtest-".utf8) + [0xFF, 0xFE, 0xC0, 0xAF])
        try badUTF8.append(.service, text: "sshd")
        let recipes: [(String, [UInt8], String)] = [
            ("truncated header", Array("IW\u{1}".utf8), "truncated"),
            ("truncated field", valid + [FieldTag.rhost.rawValue, 0], "truncated"),
            ("oversized", valid + [UInt8](repeating: 0, count: 5000), "oversized"),
            ("bad version", badVersion, "bad-version"),
            ("bad magic", badMagic, "bad-magic"),
            ("lying length", Array(valid.prefix(4)) + [FieldTag.user.rawValue, 0x01, 0x2C] + Array("liar".utf8),
             "lying-length"),
            ("bad UTF-8", badUTF8.bytes, "bad-utf8"),
            ("unknown kind", Array(valid.prefix(3)) + [0x55] + valid.dropFirst(4), "unknown-kind"),
        ]
        let before = try harness.status()
        for (name, bytes, reason) in recipes {
            XCTAssertNil(harness.daemon.handle(bytes, from: Sender(pid: process.pid, uid: 0, gid: 0, address: [])))
            let line = try XCTUnwrap(audit.lines("reject").last, name)
            XCTAssertEqual(line["reason"], reason, name)
            XCTAssertEqual(line["sender_pid"], String(process.pid), name)
        }
        XCTAssertEqual(Set(audit.lines("reject").compactMap { $0["reason"] }).count, 7)
        XCTAssertEqual(try harness.status(), before)
        XCTAssertEqual(audit.count("open"), 1)

        harness.send(open(process.pid), from: process.pid)
        XCTAssertEqual(try harness.status().count, 2)
        harness.logout(baseline)
        XCTAssertEqual(try harness.status().count, 1)
    }

    /// The pid in an open must be the sender's, the process must be there, and the user must exist (with the
    /// uid given, if one is): otherwise nothing is registered.
    func testOpenThatDoesNotNameItsSenderOrAUserIsRejected() throws {
        let process = leader()
        harness.send(open(process.pid), from: process.pid + 1)
        XCTAssertEqual(audit.lines("reject").last?["reason"], "pid-mismatch")
        harness.send(open(99_999), from: 99_999)
        XCTAssertEqual(audit.lines("reject").last?["reason"], "leader-gone")
        var stale = open(process.pid)
        stale.startTime = process.startTime - 1
        harness.send(stale, from: process.pid)
        XCTAssertEqual(audit.lines("reject").last?["reason"], "leader-gone", "a start time that is not the process's")
        harness.send(open(process.pid, user: "mallory"), from: process.pid)
        XCTAssertEqual(audit.lines("reject").last?["reason"], "unknown-user")
        var wrongUID = open(process.pid)
        wrongUID.uid = 0
        harness.send(wrongUID, from: process.pid)
        XCTAssertEqual(audit.lines("reject").last?["detail"], "user=alice uid=0")
        XCTAssertTrue(harness.daemon.registry.isEmpty)
        XCTAssertEqual(harness.handles.open.count, 0)
    }

    /// A close for a session the daemon does not know is audited as such; a reply sent to the daemon is rejected.
    func testUnknownCloseAndStrayReply() throws {
        let process = leader()
        var close = open(process.pid)
        close.phase = .close
        harness.send(close, from: process.pid)
        XCTAssertEqual(audit.lines("close").last?["reason"], "unknown-session")
        let reply = try ReplyChunk(requestID: 1, index: 0, isFinal: true, payload: []).encoded()
        harness.daemon.handle(reply, from: Sender(pid: 77, uid: 1001, gid: 1001, address: []))
        XCTAssertEqual(audit.lines("reject").last?["reason"], "unexpected-reply")
    }

    /// A module argument the policy cannot take is logged with the session and leaves the config's value.
    func testBadModuleArgumentIsLoggedAndIgnored() throws {
        let login = try harness.sshLogin("alice", overrides: ["idle_timeout=5s"])
        XCTAssertEqual(audit.lines("config-error", ["session": login.id]).count, 1)
        XCTAssertEqual(try harness.status(of: login)?.idleTimeoutSeconds, 900)
        let custom = try harness.sshLogin("alice", overrides: ["idle_timeout=30m"])
        XCTAssertEqual(try harness.status(of: custom)?.idleTimeoutSeconds, 1800)
        XCTAssertEqual(audit.lines("open", ["session": custom.id]).first?["idle_timeout"], "30m")
    }

    /// A login program of a container on the host that sees the session socket (a bind mount) is another
    /// machine's: its open and close change nothing here.
    func testLoginProgramInAnotherPIDNamespaceIsRefused() throws {
        let registered = try harness.sshLogin("alice")
        let containerInit = harness.processes.spawn("systemd", parent: 1, uid: 0, namespace: .nested(depth: 1))
        let containerSSHD = harness.processes.spawn("sshd", parent: containerInit.pid, uid: 0)
        harness.send(open(containerSSHD.pid), from: containerSSHD.pid)
        XCTAssertEqual(audit.lines("reject").last?["reason"], "foreign-pid-namespace", audit.text)
        XCTAssertNil(harness.daemon.registry.id(ofLeader: containerSSHD.identity))
        var close = open(registered.leader.pid)
        close.phase = .close
        harness.send(close, from: containerSSHD.pid)
        XCTAssertEqual(audit.count("reject", ["reason": "foreign-pid-namespace"]), 2)
        XCTAssertEqual(harness.daemon.registry.count, 1)
        XCTAssertEqual(audit.count("close"), 0)
    }

    /// PAM_RHOST with a newline (a hostile reverse DNS name): the session is registered, with the rhost kept
    /// escaped in the registry, in status and in the audit line (one line, no forged event).
    func testRhostWithANewlineIsStoredEscaped() throws {
        let process = leader()
        var event = open(process.pid)
        event.rhost = "evil\nevent=close user=root"
        harness.send(event, from: process.pid)
        let id = try XCTUnwrap(harness.daemon.registry.id(ofLeader: process.identity), audit.text)
        let stored = "evil\\x0Aevent=close user=root"
        XCTAssertEqual(harness.daemon.registry[id]?.session.facts.rhost, stored)
        XCTAssertEqual(try harness.status().first?.rhost, stored)
        let line = try XCTUnwrap(audit.lines("open").first)
        XCTAssertEqual(line["rhost"], stored)
        XCTAssertFalse(line.record.description.contains("\n"))
        XCTAssertEqual(audit.count("reject"), 0)
    }

    /// A case-insensitive name service (sssd, LDAP) takes `ALICE` for the account `alice`: the session is
    /// alice's, for the rules (a `users` rule for `alice` applies) and in the audit, which keeps the name as typed
    /// beside it.
    func testLoginNameIsTheAccountsOwnSpelling() throws {
        harness.writeConfig(DaemonHarness.defaultConfig + """

            [[rule]]
            name = "alice-long"
            users = ["alice"]
            idle_timeout = "2h"
            """)
        try harness.restart()
        harness.accounts.foldsCase = true
        let process = leader()
        harness.send(open(process.pid, user: "ALICE"), from: process.pid)
        let id = try XCTUnwrap(harness.daemon.registry.id(ofLeader: process.identity), audit.text)
        let session = try XCTUnwrap(harness.daemon.registry[id]?.session)
        XCTAssertEqual(session.facts.user, "alice")
        XCTAssertEqual(session.limits.idleTimeout, .seconds(2 * 3600), "the rule for alice applies")
        let line = try XCTUnwrap(audit.lines("open").first)
        XCTAssertEqual(line["user"], "alice")
        XCTAssertEqual(line["pam_user"], "ALICE")
        XCTAssertEqual(try harness.status(uid: 1001).map(\.user), ["alice"])
        // Spelled as the account is, the audit says nothing more.
        let second = leader()
        harness.send(open(second.pid), from: second.pid)
        XCTAssertNil(audit.lines("open").last?["pam_user"])
    }
}
