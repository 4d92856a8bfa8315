import IdleWardenCore
import IdleWardenWire
import XCTest
@testable import IdleWardenDaemon

#if canImport(Glibc)
import Glibc
#endif

/// Nothing outlives an ended session: the processes are listed again before each signal step, the SIGKILL step
/// first freezes the session (its logind scope, or SIGSTOP to each member) so that nothing forks away, and only
/// the session's own processes are reached. Policy of the harness: idle_timeout 15m, warn_before 1m, grace 10s.
final class DaemonEndTests: XCTestCase {
    private var harness: DaemonHarness!
    private var audit: MemoryAudit { harness.audit }
    private var processes: FakeProcesses { harness.processes }

    override func setUpWithError() throws {
        harness = try DaemonHarness()
        harness.user("alice", uid: 1001)
    }

    override func tearDown() {
        harness = nil
    }

    /// The processes of `uid` that still run.
    private func left(_ uid: UInt32) -> [ProcessRecord] {
        processes.records.values.filter { $0.realUID == uid }.sorted { $0.pid < $1.pid }
    }

    /// Idle past the limit, the warning and the whole end (two grace periods and the freeze).
    private func runPastTheEnd() {
        harness.run(for: .seconds(16 * 60 + 30))
    }

    /// A shell that restarts itself with `setsid` from its SIGHUP and SIGTERM traps (its parent exits, init adopts
    /// the new one) is found again at each step through the login's audit session, and killed, also after the
    /// login process closed the session and exited.
    func testSetsidRespawnerIsFoundAgainAndKilled() throws {
        let login = try harness.sshLogin("alice", reactions: (.exits, .respawns), auditSession: 42)
        let deadline = TerminalInput.latestInput(atimeSeconds: harness.clock.now().seconds) + .seconds(15 * 60)
        harness.run(until: deadline + .seconds(2))
        XCTAssertEqual(processes.signalNames(of: login.processes[1].pid), ["HUP"])
        // sshd's user process is gone: the monitor closes the session and exits; the respawn runs on.
        harness.closeFromPAM(login)
        harness.leaderExits(login)
        harness.run(for: .seconds(60))
        XCTAssertEqual(left(1001), [], "nothing of the user is left")
        XCTAssertEqual(audit.trail(of: login.id).suffix(2), ["terminate", "close"])
        let terminate = try XCTUnwrap(audit.lines("terminate", ["session": login.id]).first, audit.text)
        XCTAssertEqual(terminate["members"], "tree")
        XCTAssertEqual(terminate["found_later"], "2", "the respawn after SIGHUP and the one after SIGTERM")
        XCTAssertEqual(terminate["ended_by"], "HUP:2,TERM:1,KILL:1",
                       "sshd's process and the shell at SIGHUP, the first respawn at SIGTERM, the last one killed")
        XCTAssertEqual(processes.signalNames(of: login.leader.pid), [], "the login process is never signalled")
    }

    /// Without an audit session of its own (pam_loginuid not in the stack) the respawner is still found while it
    /// stays in a sid the session leads, or below a process found before.
    func testForkingProcessIsStoppedBeforeAnythingIsKilled() throws {
        let login = try harness.sshLogin("alice", reactions: (.ignoresHangup, .forks))
        runPastTheEnd()
        XCTAssertEqual(left(1001), [], "nothing of the user is left: \(left(1001))")
        // Every fork the handlers made was caught, and no KILL went out before every member was stopped.
        let kill = try XCTUnwrap(processes.events.firstIndex { $0.hasPrefix("KILL") }, "\(processes.events)")
        let stops = processes.events.indices.filter { processes.events[$0].hasPrefix("STOP") }
        let killed = Set(processes.events.filter { $0.hasPrefix("KILL") }.map { $0.dropFirst(5) })
        XCTAssertEqual(Set(stops.map { processes.events[$0].dropFirst(5) }), killed,
                       "each process killed was stopped first: \(processes.events)")
        XCTAssertTrue(stops.allSatisfy { $0 < kill }, "every STOP before the first KILL: \(processes.events)")
        let terminate = try XCTUnwrap(audit.lines("terminate", ["session": login.id]).first)
        XCTAssertEqual(terminate["found_later"], "3", "one child forked at SIGHUP, two at SIGTERM")
        XCTAssertNil(terminate["frozen"])
    }

    /// On a logind host the login's own scope is the member list and is frozen before SIGKILL: freeze, then KILL of
    /// each process of the user, then thaw (the login process, root's, in the same scope, goes on and closes the
    /// session; it is never signalled).
    func testScopeIsFrozenThenItsProcessesKilledThenThawed() throws {
        let login = try harness.sshLogin("alice", reactions: (.exits, .respawns), auditSession: 7, scope: true)
        let scope = FakeControlGroups.scopePath(uid: 1001, number: 7)
        // A process that daemonized out of the tree, in another audit session but still in the scope: only the
        // scope names it.
        let stray = processes.spawn("stray", parent: 1, uid: 1001, audit: 99, cgroup: scope, reaction: .survivesUntilKill)
        runPastTheEnd()
        XCTAssertEqual(left(1001), [])
        XCTAssertNotNil(processes.records[login.leader.pid], "the login process lives on")
        XCTAssertEqual(processes.signalNames(of: login.leader.pid), [])
        let freeze = try XCTUnwrap(processes.events.firstIndex(of: "freeze \(scope)"), "\(processes.events)")
        let thaw = try XCTUnwrap(processes.events.lastIndex(of: "thaw \(scope)"), "\(processes.events)")
        let kills = processes.events.indices.filter { processes.events[$0].hasPrefix("KILL") }
        XCTAssertFalse(kills.isEmpty)
        XCTAssertTrue(kills.allSatisfy { freeze < $0 && $0 < thaw }, "\(processes.events)")
        XCTAssertTrue(processes.frozenScopes.isEmpty, "the scope is thawed")
        XCTAssertEqual(processes.signalNames(of: stray.pid), ["HUP", "TERM", "KILL"], "frozen, not stopped")
        let terminate = try XCTUnwrap(audit.lines("terminate", ["session": login.id]).first)
        XCTAssertEqual(terminate["members"], "scope")
        XCTAssertEqual(terminate["scope"], scope)
        XCTAssertEqual(terminate["frozen"], "scope")
    }

    /// A daemon started by hand inside a login it ends must not freeze its own scope: SIGSTOP instead.
    func testScopeHoldingTheDaemonIsNeverFrozen() throws {
        let login = try harness.sshLogin("alice", reactions: (.exits, .survivesUntilKill), auditSession: 7, scope: true)
        processes.cgroupPaths[getpid()] = FakeControlGroups.scopePath(uid: 1001, number: 7)
        defer { processes.cgroupPaths[getpid()] = nil }
        runPastTheEnd()
        XCTAssertEqual(left(1001), [])
        XCTAssertTrue(harness.cgroups.freezes.isEmpty, "\(harness.cgroups.freezes)")
        XCTAssertEqual(processes.signalNames(of: login.processes[1].pid), ["HUP", "TERM", "STOP", "KILL"])
    }

    /// `su -l alice` from alice's own ssh shell: su shares the caller's audit session and scope (pam_loginuid is
    /// not in su's stack; pam_systemd makes no session inside one). Its end reaches su's shell only: the caller's
    /// shell, same uid, same audit session, same scope, lives on and gets no signal.
    func testSuInsideALoginReachesNeitherTheCallersAuditSessionNorItsScope() throws {
        let ssh = try harness.sshLogin("alice", auditSession: 7, scope: true)
        let callerShell = ssh.processes[1]
        let su = processes.spawn("su", parent: callerShell.pid, uid: 0, sid: callerShell.sid, tty: callerShell.ttyNumber)
        harness.send(SessionEvent(phase: .open, pid: su.pid, user: "alice", service: "su-l", tty: "pts/0",
                                  overrides: ["idle_timeout=2m"]), from: su.pid)
        let suID = try XCTUnwrap(harness.daemon.registry.id(ofLeader: su.identity), audit.text)
        let suShell = processes.spawn("bash", parent: su.pid, uid: 1001, sid: callerShell.sid,
                                      tty: callerShell.ttyNumber, reaction: .survivesUntilKill)
        harness.run(for: .seconds(3 * 60))
        XCTAssertEqual(audit.count("terminate", ["session": suID]), 1, audit.text)
        XCTAssertEqual(audit.count("terminate", ["session": ssh.id]), 0)
        XCTAssertNil(processes.records[suShell.pid])
        XCTAssertTrue(processes.isAlive(callerShell.identity), "the caller's shell lives on")
        XCTAssertEqual(processes.signalNames(of: callerShell.pid), [])
        XCTAssertEqual(processes.signalNames(of: ssh.processes[0].pid), [])
        XCTAssertEqual(audit.lines("terminate", ["session": suID]).first?["members"], "tree")
        XCTAssertTrue(harness.cgroups.freezes.isEmpty, "the caller's scope is never frozen")
    }

    /// end = "leader": only the login shell's process group, listed again at each step (what the shell forks in
    /// its group ends too); a detached tmux server (its own sid and group) lives on.
    func testEndLeaderReachesOnlyTheLoginShellsGroup() throws {
        harness.writeConfig(DaemonHarness.defaultConfig + "\nend = \"leader\"\n")
        try harness.restart()
        let login = try harness.consoleLogin("alice", reaction: .forks)
        let shell = login.processes[0]
        let tmux = processes.spawn("tmux", parent: 1, uid: 1001, reaction: .survivesUntilKill)
        runPastTheEnd()
        XCTAssertTrue(processes.isAlive(tmux.identity), "the detached tmux server lives on")
        XCTAssertEqual(processes.signalNames(of: tmux.pid), [])
        XCTAssertEqual(left(1001).map(\.pid), [tmux.pid], "the shell and what it forked in its group are gone")
        XCTAssertNil(processes.records[shell.pid])
        let terminate = try XCTUnwrap(audit.lines("terminate", ["session": login.id]).first, audit.text)
        XCTAssertEqual(terminate["end"], "leader")
        XCTAssertEqual(terminate["found_later"], "3")
    }

    /// A container on the host started from the session (its processes in a PID namespace below the daemon's,
    /// its init root's) is another machine: never signalled, nor anything below it, even its user with the
    /// session's uid, and even where it sits in the session's scope (systemd-nspawn --keep-unit). A namespace the
    /// user made (unshare -Upf: entered by a process of the user) is the user's: it ends with the session, also
    /// once its maker is gone.
    func testProcessesInAnotherPIDNamespaceAreReachedOnlyWhenTheUserMadeIt() throws {
        let login = try harness.sshLogin("alice", auditSession: 7, scope: true)
        let shell = login.processes[1]
        let sudo = processes.spawn("sudo", parent: shell.pid, uid: 0, sid: shell.sid)
        let nspawn = processes.spawn("systemd-nspawn", parent: sudo.pid, uid: 0, sid: shell.sid)
        let containerInit = processes.spawn("systemd", parent: nspawn.pid, uid: 0, namespace: .nested(depth: 1))
        let containerSSHD = processes.spawn("sshd", parent: containerInit.pid, uid: 0)
        let containerShell = processes.spawn("bash", parent: containerSSHD.pid, uid: 1001, reaction: .survivesUntilKill)
        let unshare = processes.spawn("unshare", parent: shell.pid, uid: 1001, sid: shell.sid)
        let sandbox = processes.spawn("bash", parent: unshare.pid, uid: 1001, namespace: .nested(depth: 1),
                                      reaction: .survivesUntilKill)
        let sandboxChild = processes.spawn("sleep", parent: sandbox.pid, uid: 1001, reaction: .survivesUntilKill)
        let unreadable = processes.spawn("bash", parent: shell.pid, uid: 1001, sid: shell.sid,
                                         namespace: .unknown, reaction: .survivesUntilKill)
        // The maker of the user's namespace is gone: its first process is init's now.
        processes.exit(unshare.pid)
        runPastTheEnd()
        for untouched in [containerInit, containerSSHD, containerShell, unreadable] {
            XCTAssertEqual(processes.signalNames(of: untouched.pid), [], "\(untouched.name) \(untouched.pid)")
            XCTAssertTrue(processes.isAlive(untouched.identity))
        }
        XCTAssertEqual(processes.signalNames(of: nspawn.pid), [], "root's")
        XCTAssertNil(processes.records[sandbox.pid], "the user's own namespace ended with the session")
        XCTAssertNil(processes.records[sandboxChild.pid])
        XCTAssertEqual(audit.lines("terminate", ["session": login.id]).first?["members"], "scope")
    }

    /// The daemon out of descriptors while sessions end: no pidfd can be opened and /proc cannot be read. A leader
    /// whose state is unknown is not taken for gone (its session is neither closed nor ended blind), the ends'
    /// processes are signalled when descriptors come back, and an end holds none between its steps however many
    /// run at once.
    func testEndsSurviveDescriptorExhaustionAndHoldNoDescriptors() throws {
        var logins: [DaemonHarness.Login] = []
        for _ in 0..<40 {
            logins.append(try harness.sshLogin("alice", reactions: (.exits, .survivesUntilKill)))
        }
        XCTAssertEqual(harness.handles.open.count, 40, "one watch per leader")
        let deadline = TerminalInput.latestInput(atimeSeconds: harness.clock.now().seconds) + .seconds(15 * 60)
        harness.run(until: deadline - .seconds(30))
        XCTAssertEqual(audit.count("warn"), 40)
        // Out of descriptors over the deadline and both signal steps (SIGHUP at +0.5 s, SIGTERM at +10.5 s).
        processes.unreadable = [logins[0].leader.pid]
        harness.handles.openFailure = EMFILE
        harness.run(until: deadline + .seconds(15))
        XCTAssertEqual(audit.count("close"), 0, "no session closed for a leader that could not be read")
        XCTAssertEqual(harness.daemon.registry[logins[0].id]?.phase.isWatched, true, "not ended blind")
        XCTAssertEqual(left(1001).count, 80, "nothing could be signalled")
        harness.handles.openFailure = nil
        processes.unreadable = []
        harness.run(for: .seconds(30))
        XCTAssertEqual(left(1001), [], "every process ended once descriptors came back")
        XCTAssertEqual(audit.count("terminate"), 40)
        XCTAssertEqual(audit.count("close"), 0)
        XCTAssertLessThanOrEqual(harness.handles.peakOpen, 41,
                                 "one pidfd at a time for all the ends, besides the leaders' watches")
        let starved = audit.lines("terminate").filter { $0["skipped"]?.contains("pidfd-errno-\(EMFILE)") == true }
        XCTAssertEqual(starved.count, 39, audit.text)
        XCTAssertTrue(starved.allSatisfy { $0["ended_by"] == "KILL:2" }, "\(starved.map(\.record))")
    }
}

/// A remote desktop's X server (xrdp's Xorg) catches SIGHUP and SIGTERM and carries on: it gets SIGTERM at the
/// hang-up, beside SIGHUP for the desktop's clients, and once only it is left the end goes on to SIGKILL without a
/// second grace period.
final class DaemonXServerEndTests: XCTestCase {
    func testAnXServerGetsTerminateFirstAndNoSecondGrace() throws {
        let harness = try DaemonHarness()
        harness.user("alice", uid: 1001)
        let login = try harness.sshLogin("alice")
        let xorg = harness.processes.spawn(
            "Xorg", parent: login.processes[0].pid, uid: 1001, reaction: .survivesUntilKill)
        let deadline = TerminalInput.latestInput(atimeSeconds: harness.clock.now().seconds) + .seconds(15 * 60)
        harness.run(until: deadline + Termination.farewellDelay + .seconds(1))
        XCTAssertEqual(harness.processes.signalNames(of: xorg.pid), ["TERM"])
        XCTAssertEqual(harness.processes.signalNames(of: login.processes[1].pid), ["HUP"], "the shell: SIGHUP")
        // One grace period (10 s) later: stopped and killed, not sent SIGTERM again.
        harness.run(until: deadline + Termination.farewellDelay + .seconds(12))
        XCTAssertEqual(harness.processes.signalNames(of: xorg.pid), ["TERM", "STOP", "KILL"])
        XCTAssertEqual(harness.audit.count("terminate", ["session": login.id]), 1, harness.audit.text)
    }

    /// The same step sends the X server SIGTERM and the others SIGHUP: `ended_by` credits each process with the
    /// signal it had, so an X server that exits at SIGTERM is counted under TERM, not under the step's SIGHUP.
    func testEndedByCountsTheSignalEachProcessHad() throws {
        let harness = try DaemonHarness()
        harness.user("alice", uid: 1001)
        let login = try harness.sshLogin("alice")
        let xorg = harness.processes.spawn("Xorg", parent: login.processes[0].pid, uid: 1001, reaction: .exits)
        let deadline = TerminalInput.latestInput(atimeSeconds: harness.clock.now().seconds) + .seconds(15 * 60)
        harness.run(until: deadline + Termination.farewellDelay + .seconds(2))
        XCTAssertEqual(harness.processes.signalNames(of: xorg.pid), ["TERM"])
        let terminate = try XCTUnwrap(harness.audit.lines("terminate", ["session": login.id]).first, harness.audit.text)
        XCTAssertEqual(terminate["ended_by"], "HUP:2,TERM:1", "sshd's process and the shell at SIGHUP, Xorg at SIGTERM")
    }
}
