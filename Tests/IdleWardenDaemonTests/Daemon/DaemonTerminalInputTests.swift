import IdleWardenCore
import XCTest
@testable import IdleWardenDaemon

/// The policed user against the input check, through fake terminals that keep their times as the kernel does:
/// forged times, a terminal opened late, terminals of other users, a pty reused by another login, and the
/// legitimate inode changes (login's chown, `mesg`) that must not cost more than one look. Policy of the harness:
/// idle_timeout 15m, warn_before 1m, grace 10s.
final class DaemonTerminalInputTests: XCTestCase {
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

    private func inputBound(_ moment: Instant) -> Instant {
        TerminalInput.latestInput(atimeSeconds: moment.seconds)
    }

    /// Runs for `duration`, doing `step` every `interval`.
    private func repeatEvery(_ interval: Duration, for duration: Duration, _ step: () -> Void) {
        let end = harness.clock.now() + duration
        while harness.clock.now() + interval <= end {
            harness.run(for: interval)
            step()
        }
        harness.run(until: end)
    }

    /// `touch -a "$(tty)"` every four seconds in the background: never input (and the key presses since the
    /// daemon's last look, hidden by the forged times, do not count either). The session is warned and ended on
    /// the schedule of its last input the daemon could see, and the forgery is audited once, with the terminal and
    /// what was seen.
    func testTouchLoopIsIgnoredAndAuditedOnce() throws {
        let login = try harness.sshLogin("alice")
        let device = try XCTUnwrap(login.device)
        let opened = harness.clock.now()
        harness.run(for: .seconds(20))
        harness.type(in: login)
        let deadline = inputBound(opened) + .seconds(15 * 60)
        repeatEvery(.seconds(4), for: deadline - .seconds(61) - harness.clock.now()) {
            harness.terminals.touch(device)
        }
        XCTAssertEqual(audit.count("warn"), 0)
        repeatEvery(.seconds(4), for: .seconds(62)) { harness.terminals.touch(device) }
        XCTAssertEqual(audit.count("warn", ["session": login.id]), 1)
        XCTAssertEqual(audit.count("terminate", ["session": login.id]), 1, audit.text)
        XCTAssertEqual(audit.lines("terminate", ["session": login.id]).first?["idle"], "900")
        XCTAssertEqual(audit.count("activity"), 0)
        XCTAssertEqual(audit.count("forged-input"), 1)
        let forged = try XCTUnwrap(audit.lines("forged-input").first)
        XCTAssertEqual(forged["session"], login.id)
        XCTAssertEqual(forged["terminal"], device)
        XCTAssertEqual(forged["reason"], "fractional-time")
        XCTAssertEqual(forged["counted"], "no")
        XCTAssertEqual(forged["atime"], forged["ctime"], "touch -a writes both, to the nanosecond")
        XCTAssertEqual(forged["atime"]?.hasSuffix(".000000000"), false)
    }

    /// `touch -a -d 2099-01-01 "$(tty)"` once: `status` does not show the session as just used, and it ends on
    /// time; the forgery is audited once (reason future-time).
    func testAtimeInTheFutureIsNotInput() throws {
        let login = try harness.sshLogin("alice")
        let device = try XCTUnwrap(login.device)
        let opened = harness.clock.now()
        harness.run(for: .seconds(20))
        harness.terminals.touch(device, access: FileTime(seconds: 4_070_908_800))
        harness.run(until: inputBound(opened) + .seconds(14 * 60))
        let entry = try XCTUnwrap(harness.status(of: login))
        XCTAssertEqual(entry.state, "warned")
        XCTAssertEqual(entry.idleSeconds, 14 * 60)
        XCTAssertEqual(entry.nextDeadline, (inputBound(opened) + .seconds(15 * 60)).seconds)
        harness.run(for: .seconds(61))
        XCTAssertEqual(audit.count("terminate", ["session": login.id]), 1)
        let forged = try XCTUnwrap(audit.lines("forged-input").first, audit.text)
        XCTAssertEqual(forged["reason"], "future-time")
        XCTAssertEqual(forged["atime"], "4070908800.000000000")
        XCTAssertEqual(audit.count("forged-input"), 1)
    }

    /// `touch -a -d @NOW` (a whole second) cannot be told from a read after `mesg`: it never counts, and it is not
    /// called a forgery either. The session ends on time.
    func testWholeSecondTouchNeverCounts() throws {
        let login = try harness.sshLogin("alice")
        let device = try XCTUnwrap(login.device)
        let opened = harness.clock.now()
        repeatEvery(.seconds(4), for: .seconds(15 * 60 + 10)) {
            harness.terminals.touch(device, access: FileTime(seconds: harness.clock.now().seconds))
        }
        let end = try XCTUnwrap(audit.lines("terminate", ["session": login.id]).first, audit.text)
        XCTAssertEqual(end["idle"], "900")
        XCTAssertEqual(audit.count("warn", ["session": login.id]), 1)
        XCTAssertEqual(try XCTUnwrap(audit.lines("warn").first?["deadline"]),
                       String((inputBound(opened) + .seconds(15 * 60)).seconds))
        XCTAssertEqual(audit.count("forged-input"), 0)
    }

    /// `mesg n` in the middle of typing: the look it falls in counts nothing (a warning may come), the next one
    /// counts the typing again, and the session is never ended while its user types.
    func testMesgHidesOneLookOnly() throws {
        let login = try harness.sshLogin("alice")
        let device = try XCTUnwrap(login.device)
        var presses = 0
        repeatEvery(.seconds(4), for: .seconds(47 * 60)) {
            harness.type(in: login)
            presses += 1
            if [75, 300, 525].contains(presses) { harness.terminals.chmod(device) }
        }
        XCTAssertEqual(audit.count("terminate"), 0, audit.text)
        XCTAssertLessThanOrEqual(audit.count("warn"), 3, "at most one warning per mesg")
        XCTAssertEqual(audit.count("warn"), audit.count("activity", ["result": "warning-cancelled"]))
        XCTAssertEqual(audit.count("forged-input"), 0)
    }

    /// login changes its terminal's owner after the session opened: the first look is taken after that, so the
    /// typing that follows counts from the start.
    func testConsoleLoginsChownDoesNotHideTyping() throws {
        let login = try harness.consoleLogin("alice")
        repeatEvery(.seconds(4), for: .seconds(40 * 60)) { harness.type(in: login) }
        XCTAssertEqual(audit.count("warn"), 0, audit.text)
        XCTAssertEqual(try harness.status(of: login)?.terminals, [login.device!])
    }

    /// `ssh -T`, then 12 s later `exec script -q /dev/null`: the new pty is found when the session comes due (when
    /// a session with a terminal would be warned), and the session is warned at once and ended a minute later.
    func testTerminalOpenedLateIsFoundAndTheSessionEnded() throws {
        let login = try harness.sshLogin("alice", tty: false)
        let opened = harness.clock.now()
        harness.run(for: .seconds(12))
        XCTAssertEqual(try harness.status(of: login)?.state, "no-tty")
        let pty = harness.terminals.openPTY(owner: 1001)
        let script = harness.processes.spawn("script", parent: login.processes[0].pid, uid: 1001)
        harness.processes.spawn("bash", parent: script.pid, uid: 1001, tty: pty.number)
        harness.run(until: opened + .seconds(14 * 60) - .milliseconds(1))
        XCTAssertEqual(audit.count("warn"), 0)
        harness.run(until: opened + .seconds(14 * 60))
        let found = try XCTUnwrap(audit.lines("terminals", ["session": login.id]).last)
        XCTAssertEqual(found["terminals"], pty.device)
        XCTAssertEqual(found["idle_check"], "on")
        XCTAssertEqual(audit.count("warn", ["session": login.id]), 1)
        XCTAssertEqual(harness.terminals.notices(on: pty.device).count, 1)
        harness.run(until: opened + .seconds(15 * 60 + 1))
        XCTAssertEqual(audit.count("terminate", ["session": login.id]), 1)
    }

    /// The same, but the user types in the late pty once it is watched: the warning is answered and the session
    /// goes on, counted from that input.
    func testTypingInALateTerminalKeepsTheSession() throws {
        let login = try harness.sshLogin("alice", tty: false)
        let opened = harness.clock.now()
        harness.run(for: .seconds(60))
        let pty = harness.terminals.openPTY(owner: 1001)
        harness.processes.spawn("bash", parent: login.processes[0].pid, uid: 1001, tty: pty.number)
        harness.run(until: opened + .seconds(14 * 60 + 20))
        harness.terminals.type(on: pty.device)
        let typed = harness.clock.now()
        harness.run(until: opened + .seconds(15 * 60))
        XCTAssertEqual(audit.count("terminate"), 0)
        XCTAssertEqual(audit.lines("activity", ["session": login.id]).first?["result"], "warning-cancelled")
        harness.run(until: inputBound(typed) + .seconds(15 * 60 + 1))
        XCTAssertEqual(audit.count("terminate", ["session": login.id]), 1)
    }

    /// A process of the session on a pty owned by another user (or a root process on a pty of its own): neither
    /// terminal is the session's, and input on them keeps nothing alive.
    func testTerminalsOwnedByAnotherUserDoNotCount() throws {
        let login = try harness.sshLogin("alice")
        let bobs = harness.terminals.openPTY(owner: 1002)
        harness.processes.spawn("cat", parent: login.processes[1].pid, uid: 1001, tty: bobs.number)
        let roots = harness.terminals.openPTY(owner: 0)
        harness.processes.spawn("sudo", parent: login.processes[1].pid, uid: 0, tty: roots.number)
        harness.run(for: .seconds(2))
        XCTAssertEqual(try harness.status(of: login)?.terminals, [login.device!])
        repeatEvery(.seconds(4), for: .seconds(15 * 60 + 10)) {
            harness.terminals.type(on: bobs.device)
            harness.terminals.type(on: roots.device)
        }
        XCTAssertEqual(audit.count("terminate", ["session": login.id]), 1)
        XCTAssertEqual(audit.lines("terminate", ["session": login.id]).first?["idle"], "900")
    }

    /// Two shells over one connection (ControlMaster); one exits and its pty is made again at the same path for
    /// bob's login, on which bob types. That pty is no longer alice's: her session ends on the schedule of her
    /// other, idle, shell.
    func testPtyReusedByAnotherLoginNeverCounts() throws {
        let login = try harness.sshLogin("alice")
        let second = harness.terminals.openPTY(owner: 1001)
        let shell = harness.processes.spawn("bash", parent: login.processes[0].pid, uid: 1001, tty: second.number)
        harness.run(for: .seconds(2))
        XCTAssertEqual(try harness.status(of: login)?.terminals, [login.device!, second.device].sorted())
        harness.run(for: .seconds(60))
        harness.processes.exit(shell.pid)
        harness.terminals.reopen(second.device, owner: 1002)
        let bob = harness.processes.spawn("bash", parent: 1, uid: 1002, tty: second.number)
        repeatEvery(.seconds(4), for: .seconds(15 * 60)) { harness.terminals.type(on: second.device) }
        XCTAssertEqual(audit.count("terminate", ["session": login.id]), 1, audit.text)
        XCTAssertEqual(audit.lines("terminals", ["session": login.id]).last?["terminals"], login.device)
        XCTAssertEqual(audit.lines("terminate").first?["idle"], "900")
        XCTAssertEqual(audit.count("activity"), 0)
        XCTAssertTrue(harness.processes.isAlive(bob.identity), "bob's shell is not alice's")
        XCTAssertEqual(harness.processes.signalNames(of: bob.pid), [])
    }
}
