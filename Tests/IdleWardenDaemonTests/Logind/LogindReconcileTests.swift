import IdleWardenCore
import IdleWardenWire
import XCTest
@testable import IdleWardenDaemon

/// logind's session list reconciles the registry at start-up, replayed from what a real systemd-logind 252
/// answered (three `su -l` sessions of user iwrec, uid 50000: c1 x11, c2 wayland, c3 tty; leaders 40, 43, 48).
final class LogindReconcileTests: XCTestCase {
    private var harness: DaemonHarness!
    private var recording: FakeLogind.Recording!
    private var audit: MemoryAudit { harness.audit }
    private let listCall = ["call", "org.freedesktop.login1", "/org/freedesktop/login1",
                            "org.freedesktop.login1.Manager", "ListSessions"]

    /// Debian 12's su-l and su, and a common-session with the module (with a per-service limit).
    static let debianPAM = [
        "/etc/pam.d/su-l": """
            #%PAM-1.0
            auth       include      su
            account    include      su
            password   include      su
            session    optional     pam_keyinit.so force revoke
            session    include      su
            """,
        "/etc/pam.d/su": """
            auth       sufficient pam_rootok.so
            session       required   pam_env.so readenv=1
            @include common-auth
            @include common-account
            @include common-session
            """,
        "/etc/pam.d/common-session": """
            session	[default=1]			pam_permit.so
            session	requisite			pam_deny.so
            session	required			pam_permit.so
            session	required	pam_unix.so
            session	optional	pam_systemd.so
            session	optional	pam_idlewarden.so idle_timeout=20m
            """,
    ]

    override func setUpWithError() throws {
        harness = try DaemonHarness()
        recording = try FakeLogind.Recording.load()
        harness.user("iwrec", uid: 50000)
    }

    override func tearDown() {
        harness = nil
    }

    /// The recorded session `kind` as it runs here: its leader (a root su) with the recorded pid, the user's shell
    /// below it on a pty, and the scope of the leader read from its recorded /proc/PID/cgroup.
    @discardableResult
    private func recordedLogin(_ kind: String) throws -> ProcessRecord {
        let recorded = try recording.session(kind)
        let leader = harness.processes.spawn("su", parent: 1, uid: 0, pid: recorded.leader)
        let pty = harness.terminals.openPTY(owner: 50000)
        harness.processes.spawn("bash", parent: leader.pid, uid: 50000, sid: nil, tty: pty.number)
        harness.logind.scopes[leader.pid] = try XCTUnwrap(LogindScope.parse(cgroupFile: recorded.cgroup))
        return leader
    }

    /// logind as recorded: the list of three, and the properties of each session.
    private func recordedLogind(list: String = "list-sessions") throws {
        harness.logind.answer(with: try recording.reply(list))
        for kind in ["x11", "wayland", "tty"] { harness.logind.answer(with: try recording.reply("details-\(kind)")) }
    }

    // MARK: Adoption

    /// Three logins opened while the daemon was down, through su-l, whose stack includes (su-l → su →
    /// @include common-session) the module: each is adopted with logind's facts, its logind id and scope, and the
    /// pam.d line's own limit; logind is asked once for the list and once per session.
    func testSessionsOfAServiceThatRunsTheModuleAreAdopted() throws {
        harness.pamFiles = Self.debianPAM
        for kind in ["x11", "wayland", "tty"] { try recordedLogin(kind) }
        try recordedLogind()
        try harness.restart(adopt: true)

        XCTAssertEqual(audit.count("adopt", ["source": "logind"]), 3, audit.text)
        let tty = try XCTUnwrap(audit.lines("adopt", ["logind_session": "c3"]).first, audit.text)
        XCTAssertEqual(tty["service"], "su-l")
        XCTAssertEqual(tty["user"], "iwrec")
        XCTAssertEqual(tty["pid"], "48")
        XCTAssertEqual(tty["scope"], "session-c3.scope")
        XCTAssertEqual(tty["type"], "tty")
        XCTAssertEqual(tty["pam"], "/etc/pam.d/common-session:6")
        XCTAssertEqual(audit.lines("adopt", ["logind_session": "c1"]).first?["type"], "x11")
        XCTAssertEqual(audit.lines("adopt", ["logind_session": "c2"]).first?["type"], "wayland")
        let reconcile = try XCTUnwrap(audit.lines("reconcile").last, audit.text)
        XCTAssertEqual(reconcile["sessions"], "3")
        XCTAssertEqual(reconcile["adopted"], "3")
        XCTAssertEqual(reconcile["skipped"], "0")
        XCTAssertEqual(harness.logind.calls.count, 4)

        let entry = try XCTUnwrap(try harness.status().first { $0.logindSession == "c3" })
        XCTAssertEqual(entry.scope, "/user.slice/user-50000.slice/session-c3.scope")
        XCTAssertEqual(entry.idleTimeoutSeconds, 20 * 60, "the pam.d line's idle_timeout=20m applies")
        XCTAssertEqual(entry.pid, 48)
        XCTAssertEqual(entry.terminals.count, 1, "the shell's pty is watched")
    }

    /// The same sessions through a service whose stack does not run the module: none is adopted, each skip is
    /// audited with its reason.
    func testSessionsOfAServiceWithoutTheModuleAreNotAdopted() throws {
        var files = Self.debianPAM
        files["/etc/pam.d/common-session"] = files["/etc/pam.d/common-session"]!
            .replacingOccurrences(of: "session\toptional\tpam_idlewarden.so idle_timeout=20m", with: "")
        harness.pamFiles = files
        for kind in ["x11", "wayland", "tty"] { try recordedLogin(kind) }
        try recordedLogind()
        try harness.restart(adopt: true)
        XCTAssertEqual(harness.daemon.registry.count, 0, audit.text)
        XCTAssertEqual(audit.count("adopt", ["result": "skipped", "reason": "no-module"]), 3, audit.text)
        XCTAssertEqual(audit.lines("reconcile").last?["skipped"], "3")
    }

    /// `adopt = "none"`: logind's sessions are listed and counted, never adopted or even looked at one by one.
    func testAdoptNoneAdoptsNothing() throws {
        harness.pamFiles = Self.debianPAM
        harness.writeConfig(DaemonHarness.defaultConfig + "\nadopt = \"none\"\n")
        for kind in ["x11", "wayland", "tty"] { try recordedLogin(kind) }
        try recordedLogind()
        try harness.restart(adopt: true)
        XCTAssertEqual(harness.daemon.registry.count, 0, audit.text)
        XCTAssertEqual(audit.count("adopt"), 0)
        XCTAssertEqual(audit.lines("reconcile").last?["adopt"], "none")
        XCTAssertEqual(harness.logind.calls, [listCall])
    }

    /// The daemon's `--no-adopt` wins over the config's default.
    func testNoAdoptOptionAdoptsNothing() throws {
        harness.pamFiles = Self.debianPAM
        try recordedLogin("tty")
        try recordedLogind()
        try harness.restart(adopt: false)
        XCTAssertEqual(harness.daemon.registry.count, 0, audit.text)
        XCTAssertEqual(audit.lines("reconcile").last?["adopt"], "none")
    }

    /// logind names a leader, but the kernel does not put that process in the session's scope (a pid reused
    /// since, another session's process): not adopted.
    func testLeaderOutsideTheSessionsScopeIsNotAdopted() throws {
        harness.pamFiles = Self.debianPAM
        let leader = try recordedLogin("tty")
        harness.logind.scopes[leader.pid] = LogindScope.parse(path: "/user.slice/user-50000.slice/session-c1.scope")
        try recordedLogind()
        try harness.restart(adopt: true)
        XCTAssertEqual(audit.count("adopt", ["logind_session": "c3", "result": "skipped",
                                             "reason": "leader-not-in-scope"]), 1, audit.text)
        XCTAssertEqual(audit.count("adopt", ["logind_session": "c3", "source": "logind", "result": "skipped"]), 1)
        XCTAssertNil(harness.daemon.registry.id(ofLeader: leader.identity))
    }

    /// A session whose leader is gone (the recorded x11 and wayland leaders were never started here) is
    /// skipped; a closing session (only leftovers of a login that ended) too.
    func testGoneAndClosingSessionsAreNotAdopted() throws {
        harness.pamFiles = Self.debianPAM
        try recordedLogin("tty")
        try recordedLogind()
        let details = try recording.reply("details-tty")
        harness.logind.replies[details.arguments] =
            (0, details.output.replacingOccurrences(of: "\"active\"", with: "\"closing\""))
        try harness.restart(adopt: true)
        XCTAssertEqual(harness.daemon.registry.count, 0, audit.text)
        XCTAssertEqual(audit.count("adopt", ["reason": "leader-gone"]), 2, audit.text)
        XCTAssertEqual(audit.count("adopt", ["logind_session": "c3", "reason": "closing"]), 1, audit.text)
    }

    /// A module line that names another daemon's socket reports to that daemon: its sessions are not this one's.
    func testSessionsOfAModuleLineForAnotherSocketAreNotAdopted() throws {
        var files = Self.debianPAM
        files["/etc/pam.d/common-session"] = files["/etc/pam.d/common-session"]!
            .replacingOccurrences(of: "idle_timeout=20m", with: "socket=/run/other/session.sock")
        harness.pamFiles = files
        try recordedLogin("tty")
        try recordedLogind()
        try harness.restart(adopt: true)
        XCTAssertEqual(audit.count("adopt", ["logind_session": "c3", "reason": "other-socket"]), 1, audit.text)
    }

    /// A session the module registered before the daemon knew its logind id (a state saved by an older daemon) is
    /// recognised by its leader: not adopted a second time, and its logind id and scope are taken.
    func testRegisteredSessionIsNotAdoptedTwice() throws {
        harness.pamFiles = Self.debianPAM
        let leader = try recordedLogin("tty")
        harness.send(SessionEvent(phase: .open, pid: leader.pid, user: "iwrec", service: "su-l", tty: "pts/0"),
                     from: leader.pid)
        let id = try XCTUnwrap(harness.daemon.registry.id(ofLeader: leader.identity), audit.text)
        XCTAssertNil(harness.daemon.registry[id]?.session.logindScope, "no XDG_SESSION_ID was reported")
        try recordedLogind()
        try harness.restart(adopt: true)
        XCTAssertEqual(audit.count("adopt", ["source": "logind", "logind_session": "c3"]), 0, audit.text)
        XCTAssertEqual(harness.daemon.registry.count, 1)
        XCTAssertEqual(harness.daemon.registry[id]?.session.logindScope?.sessionID, "c3")
    }

    /// logind's list cannot be read (no bus): that is audited, nothing is dropped, and the adoption from utmp
    /// applies as where logind does not run.
    func testUnreadableListIsAuditedAndTheUtmpAdoptionApplies() throws {
        harness.logind.isPresent = true
        harness.logind.replies[listCall] = (1, try recording.reply("no-bus").output)
        harness.utmp = [try utmpLogin()]
        try harness.restart(adopt: true)
        let line = try XCTUnwrap(audit.lines("reconcile", ["result": "failed"]).first, audit.text)
        XCTAssertTrue(line["reason"]?.contains("Failed to connect to bus") == true, audit.text)
        XCTAssertEqual(audit.count("adopt", ["source": "utmp"]), 1, audit.text)
    }

    /// Where logind's list is read, it alone decides: a login utmp lists but logind does not (a service without
    /// pam_systemd) is not adopted.
    func testWhereLogindListsTheUtmpAdoptionDoesNotRun() throws {
        harness.logind.answer(with: try recording.reply("list-sessions-none"))
        harness.utmp = [try utmpLogin()]
        try harness.restart(adopt: true)
        XCTAssertEqual(audit.count("adopt"), 0, audit.text)
        XCTAssertEqual(audit.lines("reconcile").last?["sessions"], "0")
    }

    /// An ssh login with its shell on a pty, which utmp lists (the daemon did not register it).
    private func utmpLogin() throws -> LoginRecord {
        let monitor = harness.processes.spawn("sshd", parent: harness.sshd.pid, uid: 0, sid: harness.sshd.sid)
        let child = harness.processes.spawn("sshd", parent: monitor.pid, uid: 50000, sid: monitor.sid)
        let pty = harness.terminals.openPTY(owner: 50000)
        harness.processes.spawn("bash", parent: child.pid, uid: 50000, tty: pty.number)
        return LoginRecord(pid: monitor.pid, user: "iwrec", line: String(pty.device.dropFirst(5)), host: nil)
    }

    // MARK: Dropping

    /// A session registered with its logind id (c2), whose logind session is gone while the daemon was down:
    /// dropped at start, though its leader still runs; the sessions logind still lists stay.
    func testSessionLogindNoLongerListsIsDropped() throws {
        harness.pamFiles = Self.debianPAM
        var ids: [String: String] = [:]
        for kind in ["wayland", "tty"] {
            let leader = try recordedLogin(kind)
            let recorded = try recording.session(kind)
            harness.send(SessionEvent(phase: .open, pid: leader.pid, user: "iwrec", service: "su-l",
                                      xdgSessionID: recorded.id), from: leader.pid)
            ids[kind] = try XCTUnwrap(harness.daemon.registry.id(ofLeader: leader.identity), audit.text)
        }
        harness.logind.answer(with: try recording.reply("list-sessions-one-stopped"))
        try harness.restart(adopt: true)
        let drop = try XCTUnwrap(audit.lines("drop", ["session": ids["wayland"]!]).first, audit.text)
        XCTAssertEqual(drop["reason"], "logind-gone")
        XCTAssertEqual(drop["logind_session"], "c2")
        XCTAssertEqual(audit.count("restore", ["session": ids["tty"]!]), 1)
        XCTAssertEqual(audit.lines("reconcile").last?["dropped"], "1")
        XCTAssertEqual(harness.daemon.registry.count, 1)
    }

    // MARK: Open

    /// At open, the logind id the module reports is taken with the scope its leader is in only when they agree
    /// (and the scope is the user's): a claimed id that the cgroup does not confirm is not the login's.
    func testOpenTakesTheLogindScopeOnlyWhenTheCgroupConfirmsIt() throws {
        let confirmed = try recordedLogin("tty")
        harness.send(SessionEvent(phase: .open, pid: confirmed.pid, user: "iwrec", service: "su-l",
                                  xdgSessionID: "c3"), from: confirmed.pid)
        let open = try XCTUnwrap(audit.lines("open", ["pid": "48"]).first, audit.text)
        XCTAssertEqual(open["logind_session"], "c3")
        XCTAssertEqual(open["scope"], "session-c3.scope")
        XCTAssertEqual(open["xdg_session"], "c3")

        let claimed = try recordedLogin("x11")
        harness.send(SessionEvent(phase: .open, pid: claimed.pid, user: "iwrec", service: "su-l",
                                  xdgSessionID: "c9"), from: claimed.pid)
        let other = try XCTUnwrap(audit.lines("open", ["pid": "40"]).first, audit.text)
        XCTAssertNil(other["logind_session"])
        XCTAssertEqual(other["xdg_session"], "c9")
        let id = try XCTUnwrap(harness.daemon.registry.id(ofLeader: claimed.identity))
        XCTAssertNil(harness.daemon.registry[id]?.session.logindScope)
        XCTAssertNil(try harness.status().first { $0.pid == 40 }?.logindSession)
    }
}
