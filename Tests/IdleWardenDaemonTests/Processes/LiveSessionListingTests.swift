import Foundation
import IdleWardenCore
import XCTest
@testable import IdleWardenDaemon

/// The session listing against the live /proc of this kernel (which has the children files).
final class LiveSessionListingTests: XCTestCase {
    func testKernelHasChildrenFiles() {
        XCTAssertTrue(LiveProcessTree.kernelListsChildren, "expected CONFIG_PROC_CHILDREN on the test kernel")
    }

    /// A shell in its own session with a background job, a foreground job and a job left to init: the listing
    /// from the shell down finds the same members as the full listing.
    func testFindsAForkedTreeAndItsOrphan() throws {
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        shell.arguments = ["-w", "sh", "-c", "(sleep 30 &); sleep 30 & sleep 30 & wait"]
        try shell.run()
        let leaderPID = shell.processIdentifier
        var sid: Int32 = 0
        defer {
            for record in ProcessTable.snapshot(source: LiveProcessTree()).records.values where record.sid == sid && sid > 0 {
                kill(record.pid, SIGKILL)
            }
            kill(leaderPID, SIGKILL)
            shell.waitUntilExit()
        }
        let leader = try XCTUnwrap(LiveProcessTree().record(leaderPID)).identity
        // The shell is the leader, or its child when setsid(1) had to fork; it leads the new sid.
        var full = ProcessTable.snapshot(source: LiveProcessTree())
        for _ in 0..<100 {
            full = ProcessTable.snapshot(source: LiveProcessTree())
            let shellRecord = ([full.records[leaderPID]] + full.descendants(of: leaderPID)).compactMap { $0 }
                .first { $0.sid == $0.pid }
            sid = shellRecord?.sid ?? 0
            if full.records.values.filter({ $0.sid == sid && $0.name == "sleep" }).count == 3 { break }
            usleep(50_000)
        }
        let table = ProcessTable.session(of: leader, source: LiveProcessTree())
        let found = table.members(of: leader, includingLeader: true)
        XCTAssertEqual(found.filter { $0.name == "sleep" }.count, 3, "two jobs and the orphan: \(found)")
        XCTAssertTrue(found.contains { $0.ppid == 1 && $0.name == "sleep" }, "the job left to init")
        XCTAssertEqual(found.map(\.pid).sorted(), full.members(of: leader, includingLeader: true).map(\.pid).sorted())
        XCTAssertTrue(found.allSatisfy { $0.realUID == getuid() })
    }

    /// A child is listed under the thread that forked it: one started from a second thread is found too.
    func testFindsAChildForkedByAnotherThread() throws {
        /// The child, started and held by the second thread until the listing is done.
        final class Spawn: @unchecked Sendable {
            let started = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
            var child: Process?
            var failure: Error?
        }
        let spawn = Spawn()
        let thread = Thread {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: "/bin/sleep")
            child.arguments = ["30"]
            do { try child.run() } catch { spawn.failure = error }
            spawn.child = child
            spawn.started.signal()
            spawn.release.wait()
        }
        thread.start()
        spawn.started.wait()
        defer {
            if let child = spawn.child, child.isRunning {
                child.terminate()
                child.waitUntilExit()
            }
            spawn.release.signal()
        }
        if let failure = spawn.failure { throw failure }
        let child = try XCTUnwrap(spawn.child)
        let ownPID = getpid()
        let own = try XCTUnwrap(LiveProcessTree().record(ownPID))
        XCTAssertGreaterThan(own.threads, 1)
        let table = ProcessTable.session(of: own.identity, source: LiveProcessTree())
        XCTAssertTrue(table.members(of: own.identity).contains { $0.pid == child.processIdentifier },
                      "the child of a second thread is among the descendants")
    }
}
