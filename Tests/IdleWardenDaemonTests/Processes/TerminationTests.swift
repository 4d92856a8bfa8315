import Foundation
import XCTest

@testable import IdleWardenCore
@testable import IdleWardenDaemon

/// The order of signals that end a session's processes.
final class TerminationTests: XCTestCase {
    /// A process that ignores SIGHUP (as LightDM's session processes do) gets SIGTERM at once, not after a grace
    /// period spent waiting for a hang-up it will never act on; one that does not ignore it gets SIGHUP first.
    func testProcessIgnoringHangupIsSentTerminateFirst() throws {
        let ignoring = try spawn("trap '' HUP; exec sleep 30")
        let plain = try spawn("exec sleep 30")
        defer {
            for process in [ignoring, plain] where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        let processes = LiveProcessTree()
        XCTAssertTrue(processes.ignoresHangup(ignoring.processIdentifier))
        XCTAssertFalse(processes.ignoresHangup(plain.processIdentifier))

        for (process, expected) in [(ignoring, "TERM:1"), (plain, "HUP:1")] {
            let record = try XCTUnwrap(processes.record(process.processIdentifier))
            let t0 = Instant(seconds: 1_000)
            // An adopted session, led by the process itself: the end reaches it.
            let session = Session(
                id: "1", facts: SessionFacts(user: "root", uid: getuid(), groups: [], service: "test"),
                leader: record.identity, sid: record.sid, openedAt: t0,
                limits: Limits(idleTimeout: .seconds(60), grace: .seconds(30)), origin: .terminal)
            let termination = Termination(
                session: session, reason: .idle, now: t0, processes: processes, handles: Pidfds(),
                cgroups: LiveControlGroups())
            XCTAssertEqual(termination.targets.count, 1)
            XCTAssertFalse(termination.step(now: t0 + Termination.farewellDelay))
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            XCTAssertFalse(process.isRunning, "the first signal did not end the process (expected \(expected))")
            XCTAssertTrue(termination.step(now: t0 + Termination.farewellDelay + .milliseconds(1)))
            XCTAssertEqual(termination.summary, expected)
        }
    }

    private func spawn(_ script: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        try process.run()
        // Wait until the shell has exec'd sleep, so the disposition read is sleep's.
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if let name = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/comm", encoding: .utf8),
               name.hasPrefix("sleep") { break }
            usleep(10_000)
        }
        return process
    }
}
