import IdleWardenWire
import XCTest
@testable import IdleWardenCore
@testable import IdleWardenDaemon

/// A daemon that runs for months holds nothing per past login: after many logins of every kind come and go
/// (closed by their login, ended idle, their leader gone, replaced by a new open from the same leader), every
/// index and collection of the daemon is as empty as before the first.
final class DaemonMemoryTests: XCTestCase {
    func testNothingIsHeldPerPastLogin() throws {
        let harness = try DaemonHarness()
        let users = (0..<8).map { "user\($0)" }
        for (index, user) in users.enumerated() { harness.user(user, uid: 2000 + UInt32(index)) }
        for round in 0..<150 {
            let user = users[round % users.count]
            let closed = try harness.sshLogin(user)
            let ended = try harness.sshLogin(user, reactions: (.exits, .respawns), auditSession: UInt32(100 + round),
                                             scope: round % 2 == 0)
            let leaderGone = try harness.consoleLogin(user)
            let replaced = try harness.sshLogin(user, tty: false)
            let desktop = try harness.desktopLogin(user, display: ":\(round)")
            harness.send(SessionEvent(phase: .open, pid: replaced.leader.pid, user: user, service: "sshd"),
                         from: replaced.leader.pid)
            // Requests from the users, some chunked, all answered.
            _ = try harness.status(uid: 2000 + UInt32(round % users.count))
            _ = try harness.request(.keepalive(sessionID: nil), uid: 2000 + UInt32(round % users.count))
            harness.run(for: .seconds(5))
            harness.logout(closed)
            for process in leaderGone.processes { harness.processes.exit(process.pid) }
            harness.leaderExits(leaderGone)
            harness.logout(replaced)
            // The desktop cannot be read: warned at 15m30s, logged out while its notice is on show.
            harness.run(for: .seconds(15 * 60 + 40))
            XCTAssertEqual(harness.audit.count("warn", ["session": desktop.id]), 1, harness.audit.text)
            harness.logout(desktop)
            // Idle to the end, then the login process closes it.
            harness.run(for: .seconds(50))
            XCTAssertEqual(harness.audit.count("terminate", ["session": ended.id]), 1, harness.audit.text)
            harness.logout(ended)
        }
        harness.daemon.saveStateIfNeeded(now: harness.clock.now(), force: true)
        let daemon = try XCTUnwrap(harness.daemon)
        XCTAssertEqual(harness.audit.count("open"), 150 * 6)
        XCTAssertEqual(harness.audit.count("close"), 150 * 4 + 150)
        let sizes = daemon.registry.indexSizes
        XCTAssertEqual([sizes.sessions, sizes.leaders, sizes.handles, sizes.inhibitors, sizes.deadlines], [0, 0, 0, 0, 0])
        XCTAssertEqual(harness.handles.open.count, 0, "every pidfd was closed")
        XCTAssertTrue(daemon.stateChanges.isEmpty)
        XCTAssertEqual(harness.desktops.notices.count, 150)
        XCTAssertEqual(daemon.displays.unreapedNotices, 0)
        XCTAssertLessThanOrEqual(daemon.replies.count, daemon.replies.capacity)
        XCTAssertLessThanOrEqual(daemon.budget.trackedUIDs, users.count)
        XCTAssertTrue(harness.processes.frozenScopes.isEmpty, "no scope left frozen")
        XCTAssertEqual(harness.processes.records.values.filter { $0.realUID >= 2000 }.count, 0)
    }

    /// Saves that keep failing do not let the changed-session ids pile up: past a bound the next save is a
    /// snapshot.
    func testChangedIdsAreBounded() {
        var changes = StateChanges()
        for id in 0..<(StateChanges.limit + 10) { changes.insert(String(id)) }
        XCTAssertTrue(changes.all)
        XCTAssertTrue(changes.ids.isEmpty)
    }
}
