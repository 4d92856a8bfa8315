import IdleWardenCore
import XCTest
@testable import IdleWardenDaemon

#if canImport(Glibc)
import Glibc
#endif

/// A session's way from open to close: warned when idle, kept by input, ended with HUP, TERM and KILL, closed
/// by its login or by its leader's exit. Policy of the harness: idle_timeout 15m, warn_before 1m, grace 10s.
final class DaemonLifecycleTests: XCTestCase {
    private var harness: DaemonHarness!
    private var audit: MemoryAudit { harness.audit }

    override func setUpWithError() throws {
        harness = try DaemonHarness()
        harness.user("alice", uid: 1001)
    }

    override func tearDown() {
        harness = nil
    }

    /// The latest moment the last input can have been, for a key press at `moment` (see `TerminalInput`).
    private func inputBound(_ moment: Instant) -> Instant {
        TerminalInput.latestInput(atimeSeconds: moment.seconds)
    }

    func testIdleSessionIsWarnedKeptByInputThenEndedWithHangupTerminateKillAndClosed() throws {
        // sshd's user process ignores SIGHUP; the shell catches SIGHUP and SIGTERM.
        let login = try harness.sshLogin("alice", reactions: (.ignoresHangup, .survivesUntilKill))
        let device = try XCTUnwrap(login.device)
        let opened = harness.clock.now()
        harness.run(for: .seconds(2))
        XCTAssertEqual(audit.lines("terminals", ["session": login.id]).last?["terminals"], device,
                       "the shell's pty, found below sshd after the open")
        XCTAssertEqual(try harness.status(of: login)?.state, "active")

        // Warned a minute before the deadline: the text reaches the terminal, the warning is audited.
        let deadline = inputBound(opened) + .seconds(15 * 60)
        harness.run(until: deadline - .seconds(61))
        XCTAssertEqual(audit.count("warn"), 0)
        harness.run(until: deadline - .seconds(60))
        let warn = try XCTUnwrap(audit.lines("warn", ["session": login.id]).first, audit.text)
        XCTAssertEqual(warn["reason"], "idle")
        XCTAssertEqual(warn["delivered"], "1/1")
        XCTAssertEqual(warn["deadline"], String(deadline.seconds))
        XCTAssertEqual(harness.terminals.notices(on: device).count, 1)
        XCTAssertTrue(harness.terminals.notices(on: device)[0].contains("Press any key to stay logged in"))
        let warned = try XCTUnwrap(harness.status(of: login))
        XCTAssertEqual(warned.state, "warned")
        XCTAssertEqual(warned.nextDeadline, deadline.seconds)

        // A key press answers it: seen at the deadline, the warning is cancelled and the session goes on.
        harness.run(for: .seconds(20))
        harness.type(in: login)
        let typed = harness.clock.now()
        harness.run(until: deadline)
        XCTAssertEqual(audit.lines("activity", ["session": login.id]).first?["result"], "warning-cancelled")
        XCTAssertEqual(audit.lines("activity", ["session": login.id]).first?["source"], "terminal")
        XCTAssertEqual(try harness.status(of: login)?.state, "active")
        XCTAssertEqual(audit.count("terminate"), 0)

        // Idle again: warned again, then the farewell, SIGHUP half a second later, SIGTERM and SIGKILL a grace apart.
        let end = inputBound(typed) + .seconds(15 * 60)
        harness.run(until: end - .milliseconds(1))
        XCTAssertEqual(audit.count("warn", ["session": login.id]), 2)
        XCTAssertEqual(audit.count("terminate"), 0)
        harness.run(until: end)
        XCTAssertTrue(harness.terminals.notices(on: device).last?.contains("logged out after") == true)
        XCTAssertEqual(try harness.status(of: login)?.state, "terminating")
        let (sshd, shell) = (login.processes[0].pid, login.processes[1].pid)
        XCTAssertEqual(harness.processes.signals.count, 0, "no signal before the farewell had time to arrive")
        harness.run(until: end + Termination.farewellDelay)
        XCTAssertEqual(harness.processes.signalNames(of: sshd), ["HUP"])
        XCTAssertEqual(harness.processes.signalNames(of: shell), ["HUP"])
        harness.run(until: end + Termination.farewellDelay + .seconds(10) - .milliseconds(1))
        XCTAssertEqual(harness.processes.signals.count, 2, "nothing more within the grace period")
        harness.run(until: end + Termination.farewellDelay + .seconds(10))
        XCTAssertEqual(harness.processes.signalNames(of: sshd), ["HUP", "TERM"])
        XCTAssertEqual(harness.processes.signalNames(of: shell), ["HUP", "TERM"])
        XCTAssertEqual(audit.count("terminate"), 0, "the shell still runs")
        harness.run(until: end + Termination.farewellDelay + .seconds(21))
        XCTAssertEqual(harness.processes.signalNames(of: shell), ["HUP", "TERM", "STOP", "KILL"],
                       "stopped first, so that it cannot fork away, then killed")
        XCTAssertNil(harness.processes.records[shell])
        let terminate = try XCTUnwrap(audit.lines("terminate", ["session": login.id]).first, audit.text)
        XCTAssertEqual(terminate["reason"], "idle")
        XCTAssertEqual(terminate["processes"], "2")
        XCTAssertEqual(terminate["ended_by"], "TERM:1,KILL:1")
        XCTAssertEqual(terminate.priority, LOG_NOTICE)
        XCTAssertEqual(harness.processes.signalNames(of: login.leader.pid), [], "the login process is never signalled")

        // sshd's monitor closes the session and exits.
        harness.logout(login)
        XCTAssertEqual(audit.lines("close", ["session": login.id]).map { $0["reason"] }, ["pam-close"])
        XCTAssertEqual(audit.trail(of: login.id),
                       ["open", "terminals", "warn", "activity", "warn", "terminate", "close"])
        XCTAssertTrue(harness.daemon.registry.isEmpty)
        XCTAssertEqual(harness.handles.open.count, 0, "every handle was closed")
    }

    /// All of a session's processes ignore SIGHUP (as LightDM's do): the end starts at SIGTERM.
    func testSessionIgnoringHangupIsSentTerminateFirst() throws {
        let login = try harness.sshLogin("alice", reactions: (.ignoresHangup, .ignoresHangup))
        harness.run(for: .seconds(16 * 60))
        XCTAssertEqual(harness.processes.signalNames(of: login.processes[1].pid), ["TERM"])
        XCTAssertEqual(audit.lines("terminate").first?["ended_by"], "TERM:2")
    }

    func testLeaderExitClosesTheSession() throws {
        let login = try harness.sshLogin("alice")
        harness.run(for: .seconds(30))
        for process in login.processes { harness.processes.exit(process.pid) }
        harness.leaderExits(login)
        let close = try XCTUnwrap(audit.lines("close", ["session": login.id]).first, audit.text)
        XCTAssertEqual(close["reason"], "leader-exit")
        XCTAssertEqual(close["idle"], String(30 - 8))
        XCTAssertTrue(harness.daemon.registry.isEmpty)
        XCTAssertEqual(harness.handles.open.count, 0)
        XCTAssertEqual(harness.daemon.registry.indexSizes.deadlines, 0)
    }

    /// sshd's monitor sends its close and exits before the daemon reads the record (it waited in its connection):
    /// the close still names the session, by the pid no other session has, and is a pam-close, not unknown.
    func testCloseReadAfterTheLoginProcessExitedClosesItsSession() throws {
        let login = try harness.sshLogin("alice")
        harness.user("bob", uid: 1002)
        let other = try harness.sshLogin("bob")
        for process in login.processes { harness.processes.exit(process.pid) }
        harness.processes.exit(login.leader.pid)
        harness.closeFromPAM(login)
        XCTAssertEqual(audit.lines("close", ["session": login.id]).map { $0["reason"] }, ["pam-close"], audit.text)
        XCTAssertEqual(audit.count("close", ["reason": "unknown-session"]), 0, audit.text)
        XCTAssertNotNil(harness.daemon.registry[other.id], "only the session that process led is closed")
    }

    /// Without a handle on the leader (no pidfds), its exit is found when the session comes due.
    func testLeaderFoundGoneWhenDueClosesTheSession() throws {
        harness.handles.unsupported = true
        let login = try harness.sshLogin("alice")
        XCTAssertNil(harness.daemon.registry[login.id]?.leaderHandle)
        harness.run(for: .seconds(30))
        harness.processes.exit(login.leader.pid)
        harness.run(for: .seconds(15 * 60))
        XCTAssertEqual(audit.lines("close", ["session": login.id]).first?["reason"], "leader-exit")
        XCTAssertEqual(audit.count("warn"), 0)
    }

    /// The login closes while its processes are still being ended: the close waits, so the trail reads terminate
    /// (with the true outcome) then close, each once, however the leader's exit and the close interleave.
    func testCloseDuringAnEndIsAuditedAfterTheTerminate() throws {
        let login = try harness.sshLogin("alice", reactions: (.exits, .survivesUntilKill))
        harness.run(for: .seconds(15 * 60 + 9))
        harness.run(for: .seconds(1))
        XCTAssertEqual(harness.processes.signalNames(of: login.processes[1].pid), ["HUP"])
        // sshd's user process is gone: its monitor closes the session and exits, the shell lives on.
        harness.closeFromPAM(login)
        harness.leaderExits(login)
        XCTAssertEqual(audit.count("close"), 0, "the close waits for the end")
        XCTAssertEqual(audit.count("terminate"), 0)
        XCTAssertEqual(harness.handles.handles(of: login.leader.pid), [], "the exited leader left the loop")
        harness.run(for: .seconds(30))
        XCTAssertEqual(audit.trail(of: login.id).suffix(2), ["terminate", "close"])
        XCTAssertEqual(audit.count("terminate"), 1)
        XCTAssertEqual(audit.count("close"), 1)
        XCTAssertEqual(audit.lines("terminate").first?["ended_by"], "HUP:1,KILL:1")
        XCTAssertTrue(harness.daemon.registry.isEmpty)
        XCTAssertEqual(harness.handles.open.count, 0)
    }

    /// An end whose processes are all gone is audited at once; the session stays (status: terminating) until its
    /// login closes it, and a later close does not audit the end again.
    func testEndedSessionWaitsForItsCloseAndIsAuditedOnce() throws {
        let login = try harness.sshLogin("alice")
        harness.run(for: .seconds(16 * 60))
        XCTAssertEqual(audit.count("terminate"), 1)
        XCTAssertEqual(try harness.status(of: login)?.state, "terminating")
        XCTAssertNil(harness.daemon.registry.deadline(of: login.id), "nothing more to do until the close")
        harness.run(for: .seconds(60))
        harness.logout(login)
        XCTAssertEqual(audit.count("terminate"), 1)
        XCTAssertEqual(audit.count("close"), 1)
    }

    func testExemptUserIsNeverWarnedOrEnded() throws {
        harness.writeConfig(DaemonHarness.defaultConfig + "\nexclude_users = [\"root\", \"bob\"]\nexclude_groups = [\"kiosk\"]\n")
        try harness.restart()
        harness.user("bob", uid: 1002)
        harness.user("carol", uid: 1003, groups: ["kiosk"])
        let bob = try harness.sshLogin("bob")
        let carol = try harness.consoleLogin("carol")
        let alice = try harness.sshLogin("alice")
        harness.run(for: .seconds(3 * 3600))
        XCTAssertEqual(audit.lines("exempt", ["session": bob.id]).first?["reason"], "user:bob")
        XCTAssertEqual(audit.lines("exempt", ["session": carol.id]).first?["reason"], "group:kiosk")
        XCTAssertEqual(audit.count("exempt", ["session": alice.id]), 0)
        for login in [bob, carol] {
            let entry = try XCTUnwrap(harness.status(of: login))
            XCTAssertEqual(entry.state, "exempt")
            XCTAssertNotNil(entry.exemptReason)
            XCTAssertNil(entry.nextDeadline)
            XCTAssertEqual(audit.count("warn", ["session": login.id]), 0)
            XCTAssertEqual(audit.count("terminate", ["session": login.id]), 0)
            XCTAssertEqual(harness.terminals.notices(on: login.device!), [])
        }
        XCTAssertEqual(audit.count("terminate", ["session": alice.id]), 1, "the control user is ended")
    }

    /// A login without a terminal (`ssh host command`, sftp) is looked for a terminal 1, 3 and 10 s after open,
    /// then shown as no-tty and not idle-checked, but searched again every idle_timeout − warn_before; with
    /// `check_no_tty` it is ended from its open.
    func testSessionWithoutTerminalIsNotIdleChecked() throws {
        let login = try harness.sshLogin("alice", tty: false)
        let opened = harness.clock.now()
        harness.run(for: .seconds(11))
        XCTAssertEqual(audit.lines("terminals", ["session": login.id]).last?["terminals"], "none")
        XCTAssertEqual(audit.lines("terminals", ["session": login.id]).last?["idle_check"], "off")
        XCTAssertEqual(try harness.status(of: login)?.state, "no-tty")
        XCTAssertEqual(harness.daemon.registry.deadline(of: login.id), opened + .seconds(14 * 60))
        harness.run(for: .seconds(24 * 3600))
        XCTAssertEqual(audit.count("warn"), 0)
        XCTAssertEqual(audit.count("terminals", ["session": login.id]), 1, "nothing found, nothing new to say")

        harness.writeConfig(DaemonHarness.defaultConfig + "\ncheck_no_tty = true\n")
        harness.daemon.reload()
        harness.user("bob", uid: 1002)
        let checked = try harness.sshLogin("bob", tty: false)
        harness.run(for: .seconds(15 * 60 + 1))
        let end = try XCTUnwrap(audit.lines("terminate", ["session": checked.id]).first, audit.text)
        XCTAssertEqual(end["idle"], "900")
        XCTAssertEqual(audit.lines("warn", ["session": checked.id]).first?["terminals"], "none")
    }

    /// A second open from the same leader (a login process that registers again) replaces the first session.
    func testOpenFromARegisteredLeaderReplacesItsSession() throws {
        let login = try harness.sshLogin("alice")
        harness.send(.init(phase: .open, pid: login.leader.pid, user: "alice", service: "sshd", tty: "ssh"),
                     from: login.leader.pid)
        XCTAssertEqual(harness.daemon.registry.count, 1)
        XCTAssertNotEqual(harness.daemon.registry.id(ofLeader: login.leader.identity), login.id)
        XCTAssertNil(harness.daemon.registry[login.id])
        XCTAssertEqual(harness.handles.handles(of: login.leader.pid).count, 1, "one watch on the leader")
    }
}
