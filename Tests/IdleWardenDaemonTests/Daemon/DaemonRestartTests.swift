import IdleWardenCore
import XCTest
@testable import IdleWardenDaemon

/// What survives a restart, and how time that passed (or a clock that was set) counts.
final class DaemonRestartTests: XCTestCase {
    private var harness: DaemonHarness!
    private var audit: MemoryAudit { harness.audit }

    override func setUpWithError() throws {
        harness = try DaemonHarness()
        harness.user("alice", uid: 1001)
    }

    override func tearDown() {
        harness = nil
    }

    /// Eight minutes idle, three minutes of downtime: the restored session is warned and ended at its old
    /// deadline, as if the daemon had never stopped.
    func testRestoredSessionKeepsItsIdleTimeAndDowntimeCountsAsIdle() throws {
        let login = try harness.sshLogin("alice")
        let deadline = TerminalInput.latestInput(atimeSeconds: harness.clock.now().seconds) + .seconds(15 * 60)
        harness.run(for: .seconds(8 * 60))
        try harness.restart(after: .seconds(3 * 60))
        // The state, saved before the first search, holds the open as the last input; the restored session's
        // first search takes its pty as the login's own, whose creation bucket may hide input until its end.
        let restore = try XCTUnwrap(audit.lines("restore", ["session": login.id]).first, audit.text)
        XCTAssertEqual(restore["idle"], String(660 - 8))
        XCTAssertEqual(try harness.status(of: login)?.terminals, [login.device!], "terminals found again")
        harness.run(until: deadline - .seconds(61))
        XCTAssertEqual(audit.count("warn"), 0)
        harness.run(until: deadline - .seconds(60))
        XCTAssertEqual(audit.count("warn", ["session": login.id]), 1)
        harness.run(until: deadline + .seconds(1))
        XCTAssertEqual(audit.lines("terminate", ["session": login.id]).first?["idle"], "900")
    }

    /// A warning given before a crash stands: the session is ended when the daemon is back, without a second
    /// warning.
    func testWarningSurvivesACrash() throws {
        let login = try harness.sshLogin("alice")
        harness.run(for: .seconds(14 * 60 + 10))
        XCTAssertEqual(audit.count("warn"), 1)
        try harness.crash(after: .seconds(10 * 60))
        XCTAssertEqual(try harness.status(of: login)?.state, "warned")
        harness.run(for: .seconds(1))
        XCTAssertEqual(audit.count("terminate", ["session": login.id]), 1)
        XCTAssertEqual(audit.count("warn"), 1)
    }

    /// Down past the deadline of a session it had not warned yet, the daemon warns it when it is back and ends
    /// it no sooner than `warn_before` later: every user gets the full warning.
    func testOverdueSessionIsWarnedFirstAfterARestart() throws {
        let login = try harness.sshLogin("alice")
        harness.run(for: .seconds(5 * 60))
        try harness.restart(after: .seconds(30 * 60))
        harness.run(for: .milliseconds(1))
        XCTAssertEqual(audit.count("warn", ["session": login.id]), 1)
        harness.run(for: .seconds(59))
        XCTAssertEqual(audit.count("terminate"), 0)
        harness.run(for: .seconds(2))
        XCTAssertEqual(audit.count("terminate", ["session": login.id]), 1)
    }

    /// A session whose leader exited while the daemon was down is dropped; the others are restored and watched.
    func testSessionsWhoseLeaderIsGoneAreDropped() throws {
        let gone = try harness.sshLogin("alice")
        let kept = try harness.sshLogin("alice")
        harness.run(for: .seconds(5))
        try harness.restart()
        harness.processes.exit(gone.leader.pid)
        try harness.restart()
        XCTAssertEqual(audit.lines("drop", ["session": gone.id]).first?["reason"], "leader-gone")
        XCTAssertEqual(audit.count("restore", ["session": kept.id]), 2)
        XCTAssertNil(harness.daemon.registry[gone.id])
        XCTAssertNotNil(harness.daemon.registry[kept.id])
        XCTAssertEqual(harness.handles.handles(of: kept.leader.pid).count, 1)
    }

    /// A damaged or hand-edited state that holds one session twice (by id or by leader) restores the first and
    /// drops the other.
    func testDuplicateSessionsInTheStateAreDropped() throws {
        let login = try harness.sshLogin("alice")
        harness.run(for: .seconds(1))
        let session = try XCTUnwrap(harness.daemon.registry[login.id]?.session)
        let twin = Session(id: "7", facts: session.facts, leader: session.leader, sid: session.sid,
                           openedAt: session.openedAt, limits: session.limits)
        harness.kill()
        try StateStore(directory: harness.directory + "/state").save(
            savedAt: harness.clock.sample(), bootID: harness.clock.bootID(), nextSessionNumber: 8,
            sessions: [session, twin, session])
        try harness.start()
        XCTAssertEqual(audit.count("restore", ["session": login.id]), 1)
        XCTAssertEqual(audit.lines("drop").compactMap { $0["reason"] }, ["duplicate", "duplicate"])
        XCTAssertEqual(harness.daemon.registry.count, 1)
        XCTAssertEqual(harness.handles.open.count, 1)
    }

    /// Logins made while the daemon was down are adopted at start: one that utmp lists (its root login process
    /// leads it) and a shell below `login` that utmp does not list (the shell leads it). Their idle time is their
    /// terminals', and they end on that schedule.
    func testLoginsMadeWhileTheDaemonWasDownAreAdopted() throws {
        harness.user("bob", uid: 1002)
        harness.kill()
        let monitor = harness.processes.spawn("sshd", parent: harness.sshd.pid, uid: 0, sid: harness.sshd.sid)
        let child = harness.processes.spawn("sshd", parent: monitor.pid, uid: 1001, sid: monitor.sid)
        let pty = harness.terminals.openPTY(owner: 1001)
        harness.processes.spawn("bash", parent: child.pid, uid: 1001, tty: pty.number)
        harness.utmp = [LoginRecord(pid: monitor.pid, user: "alice", line: String(pty.device.dropFirst(5)),
                                    host: "192.0.2.9")]
        let console = harness.terminals.openPTY(owner: 1002)
        let login = harness.processes.spawn("login", parent: 1, uid: 0, tty: console.number)
        let shell = harness.processes.spawn("bash", parent: login.pid, uid: 1002, tty: console.number)
        let typed = harness.clock.now()
        harness.clock.advance(by: .seconds(5 * 60))
        try harness.start(adopt: true)

        let fromUTMP = try XCTUnwrap(audit.lines("adopt", ["user": "alice"]).first, audit.text)
        XCTAssertEqual(fromUTMP["source"], "utmp")
        XCTAssertEqual(fromUTMP["service"], "adopted")
        XCTAssertEqual(fromUTMP["rhost"], "192.0.2.9")
        XCTAssertEqual(fromUTMP["terminals"], pty.device)
        XCTAssertEqual(fromUTMP["pid"], String(monitor.pid))
        XCTAssertEqual(fromUTMP["idle"], String(5 * 60 - 8))
        let fromTerminal = try XCTUnwrap(audit.lines("adopt", ["user": "bob"]).first, audit.text)
        XCTAssertEqual(fromTerminal["source"], "terminal")
        XCTAssertEqual(fromTerminal["pid"], String(shell.pid))
        XCTAssertEqual(harness.daemon.registry.count, 2)

        harness.run(until: TerminalInput.latestInput(atimeSeconds: typed.seconds) + .seconds(15 * 60 + 1))
        XCTAssertEqual(audit.count("terminate"), 2)
        XCTAssertEqual(harness.processes.signalNames(of: monitor.pid), [], "a login process is never signalled")
        XCTAssertEqual(harness.processes.signalNames(of: shell.pid), ["HUP"], "an adopted shell leads its session")
    }

    /// At a restart, utmp lists what root's tmux server wrote for its panes (its own pid, `tmux(PID).%N` as the
    /// host) and what a screen started from a root shell wrote: neither is a login, and neither is adopted or ever
    /// signalled; alice's ssh login (its monitor leads an audit session of its own) is adopted and ended.
    func testRootMultiplexerUTMPEntriesAreNotAdopted() throws {
        harness.user("root", uid: 0)
        harness.kill()
        let monitor = harness.processes.spawn("sshd", parent: harness.sshd.pid, uid: 0, sid: harness.sshd.sid,
                                              audit: 41)
        let child = harness.processes.spawn("sshd", parent: monitor.pid, uid: 1001, sid: monitor.sid)
        let loginPTY = harness.terminals.openPTY(owner: 1001)
        harness.processes.spawn("bash", parent: child.pid, uid: 1001, tty: loginPTY.number)
        // tmux's server daemonizes: init is its parent, it has no terminal, it stays in the audit session of the
        // root login it was started from (gone since).
        let server = harness.processes.spawn("tmux: server", parent: 1, uid: 0, audit: 50,
                                             reaction: .survivesUntilKill)
        var panes: [ProcessRecord] = []
        var records = [LoginRecord(pid: monitor.pid, user: "alice", line: String(loginPTY.device.dropFirst(5)),
                                   host: "192.0.2.9")]
        for index in 0..<2 {
            let pty = harness.terminals.openPTY(owner: 0)
            panes.append(harness.processes.spawn("bash", parent: server.pid, uid: 0, tty: pty.number,
                                                 reaction: .survivesUntilKill))
            records.append(LoginRecord(pid: server.pid, user: "root", line: String(pty.device.dropFirst(5)),
                                       host: "tmux(\(server.pid)).%\(index)"))
        }
        // A screen started from a root shell, attached: its parent is the shell, in the same audit session.
        let rootPTY = harness.terminals.openPTY(owner: 0)
        let shell = harness.processes.spawn("bash", parent: 1, uid: 0, tty: rootPTY.number, audit: 52,
                                            reaction: .survivesUntilKill)
        let screen = harness.processes.spawn("screen", parent: shell.pid, uid: 0, tty: rootPTY.number,
                                             reaction: .survivesUntilKill)
        let screenPTY = harness.terminals.openPTY(owner: 0)
        let window = harness.processes.spawn("bash", parent: screen.pid, uid: 0, tty: screenPTY.number,
                                             reaction: .survivesUntilKill)
        records.append(LoginRecord(pid: screen.pid, user: "root", line: String(screenPTY.device.dropFirst(5)),
                                   host: ":pts/9:S.0"))
        harness.utmp = records
        try harness.start(adopt: true)

        let adopted = audit.lines("adopt")
        XCTAssertEqual(adopted.map { $0["pid"] ?? "" }, [String(monitor.pid)], audit.text)
        XCTAssertEqual(adopted.first?["source"], "utmp")
        harness.run(for: .seconds(3 * 3600))
        XCTAssertEqual(audit.count("terminate"), 1, "alice's login alone")
        for process in [server, shell, screen, window] + panes {
            XCTAssertEqual(harness.processes.signalNames(of: process.pid), [], "\(process.name) \(process.pid)")
            XCTAssertTrue(harness.processes.isAlive(process.identity), "\(process.name) \(process.pid)")
        }
    }

    /// Session ids go on after a restart: a new login never reuses the id of one restored or closed before.
    func testSessionNumbersGoOnAfterARestart() throws {
        let first = try harness.sshLogin("alice")
        harness.logout(first)
        try harness.restart()
        let second = try harness.sshLogin("alice")
        XCTAssertEqual(Int(second.id), Int(first.id)! + 1)
    }

    /// A wall clock set forwards by a day neither ends the session at once nor warns it early: it is warned and
    /// ended on the boot clock's schedule. One set back is audited and ends nothing at once either.
    func testClockJumpIsNotIdleTime() throws {
        let login = try harness.sshLogin("alice")
        let deadline = TerminalInput.latestInput(atimeSeconds: harness.clock.now().seconds) + .seconds(15 * 60)
        harness.run(for: .seconds(5 * 60))
        harness.clock.setWall(by: .seconds(24 * 3600))
        harness.run(for: .milliseconds(1))
        XCTAssertEqual(audit.lines("clock-jump").first?["jump"], "86400")
        XCTAssertEqual(audit.lines("clock-jump").first?["sessions"], "1")
        XCTAssertEqual(audit.count("warn"), 0)
        XCTAssertEqual(try harness.status(of: login)?.idleSeconds, 5 * 60 - 8)
        let shifted = deadline + .seconds(24 * 3600)
        harness.run(until: shifted - .seconds(61))
        XCTAssertEqual(audit.count("warn"), 0)
        harness.run(until: shifted - .seconds(60))
        XCTAssertEqual(audit.count("warn"), 1)
        harness.run(until: shifted + .seconds(1))
        XCTAssertEqual(audit.count("terminate", ["session": login.id]), 1)

        let other = try harness.sshLogin("alice")
        harness.run(for: .seconds(60))
        let idle = try harness.status(of: other)?.idleSeconds
        harness.clock.setWall(by: .seconds(-3600))
        harness.run(for: .milliseconds(1))
        XCTAssertEqual(audit.lines("clock-jump").last?["jump"], "-3600")
        XCTAssertEqual(try harness.status(of: other)?.idleSeconds, idle)
        XCTAssertEqual(audit.count("warn", ["session": other.id]), 0)
    }

    /// The wall clock set back an hour after a key press. The terminal's atime, still in the old frame, has not
    /// changed, so it is not new input: the session is warned and ended when the boot clock says, not an hour
    /// later (before, every recorded time moved with the jump but the atime did not, and the unchanged atime
    /// counted as input an hour ahead).
    func testClockSetBackDoesNotLengthenASession() throws {
        let login = try harness.sshLogin("alice")
        harness.run(for: .seconds(60))
        harness.type(in: login)
        let deadline = TerminalInput.latestInput(atimeSeconds: harness.clock.now().seconds) + .seconds(15 * 60)
        harness.run(for: .seconds(5 * 60))
        harness.setClock(by: .seconds(-3600))
        XCTAssertEqual(audit.lines("clock-jump").last?["jump"], "-3600")
        let shifted = deadline - .seconds(3600)
        harness.run(until: shifted - .seconds(61))
        XCTAssertEqual(audit.count("warn"), 0)
        harness.run(until: shifted - .seconds(60))
        XCTAssertEqual(audit.count("warn", ["session": login.id]), 1)
        harness.run(until: shifted + .seconds(1))
        XCTAssertEqual(audit.lines("terminate", ["session": login.id]).first?["idle"], "900", audit.text)
    }

    /// The wall clock set back an hour while a session is being ended (SIGHUP sent, its shell ignores it): the
    /// SIGTERM still follows `grace` later as the boot clock counts, not an hour and `grace` later.
    func testClockSetBackDuringAnEndDoesNotDelayItsSignals() throws {
        let login = try harness.sshLogin("alice", reactions: (.exits, .ignoresHangup))
        let shell = login.processes[1].pid
        let hangup = TerminalInput.latestInput(atimeSeconds: harness.clock.now().seconds) + .seconds(15 * 60)
            + Termination.farewellDelay
        harness.run(until: hangup)
        XCTAssertEqual(harness.processes.signalNames(of: shell), ["HUP"], audit.text)
        harness.setClock(by: .seconds(-3600))
        harness.run(for: .seconds(10) - .milliseconds(1))
        XCTAssertEqual(harness.processes.signalNames(of: shell), ["HUP"], "not before grace")
        harness.run(for: .seconds(1))
        XCTAssertEqual(harness.processes.signalNames(of: shell), ["HUP", "TERM"], audit.text)
        XCTAssertEqual(audit.count("terminate", ["session": login.id]), 1, audit.text)
    }

    /// A key press the daemon has not looked at yet when the clock is set forwards was made before the jump: it
    /// counts at the moment it happened, so the jump takes no idle time away either (the session is not warned
    /// early).
    func testInputBeforeAClockSetCountsWhenItHappened() throws {
        let login = try harness.sshLogin("alice")
        harness.run(for: .seconds(5 * 60))
        harness.type(in: login)
        let deadline = TerminalInput.latestInput(atimeSeconds: harness.clock.now().seconds) + .seconds(15 * 60)
        harness.run(for: .seconds(60))
        harness.setClock(by: .seconds(3600))
        let shifted = deadline + .seconds(3600)
        harness.run(until: shifted - .seconds(61))
        XCTAssertEqual(audit.count("warn"), 0, audit.text)
        harness.run(until: shifted - .seconds(60))
        XCTAssertEqual(audit.count("warn", ["session": login.id]), 1)
        harness.run(until: shifted + .seconds(1))
        XCTAssertEqual(audit.lines("terminate", ["session": login.id]).first?["idle"], "900")
    }

    /// The daemon was down when the clock was set back, after a key press it never saw: that atime now lies an
    /// hour ahead. It counts as input now at the latest (clamped), never later: the session is ended 15 minutes
    /// after the restart, not an hour and 15 minutes.
    func testAtimeAheadOfTheClockCountsAsNowNotLater() throws {
        let login = try harness.sshLogin("alice")
        harness.run(for: .seconds(5 * 60))
        harness.type(in: login)
        harness.run(for: .seconds(60))
        harness.kill()
        harness.clock.setWall(by: .seconds(-3600))
        harness.clock.advance(by: .seconds(60))
        try harness.start()
        let restarted = harness.clock.now()
        XCTAssertEqual(try harness.status(of: login)?.idleSeconds, 0)
        harness.run(until: restarted + .seconds(15 * 60 + 8))
        XCTAssertEqual(audit.count("terminate", ["session": login.id]), 1, audit.text)
    }

    /// While the daemon was down the wall clock was set (same boot): that jump is not idle time either.
    func testClockSetDuringDowntimeIsNotIdleTime() throws {
        let login = try harness.sshLogin("alice")
        harness.run(for: .seconds(60))
        harness.daemon.saveStateIfNeeded(now: harness.clock.now(), force: true)
        harness.clock.setWall(by: .seconds(3600))
        try harness.restart(after: .seconds(60))
        // Two minutes since the open (the last input the state holds), not an hour and two minutes.
        XCTAssertEqual(try harness.status(of: login)?.idleSeconds, 120)
    }
}
