import Foundation
import IdleWardenCore
import XCTest
@testable import IdleWardenDaemon

/// PID namespaces as this kernel reports them (the NSpid line of /proc/PID/status, which needs no ptrace access),
/// and which of them an end reaches: one a user made (`unshare -Upf`), not one that root made for a container.
final class PIDNamespaceTests: XCTestCase {
    func testOwnProcessIsInTheOwnNamespace() {
        XCTAssertEqual(LiveProcessTree.ownNamespacePIDs, 1)
        XCTAssertEqual(LiveProcessTree().pidNamespace(getpid()), .own)
        XCTAssertEqual(LiveProcessTree().pidNamespace(getppid()), .own)
        XCTAssertEqual(LiveProcessTree().pidNamespace(Int32.max), .unknown)
    }

    func testNamespaceDepthFromNSpid() {
        XCTAssertEqual(PIDNamespace(pids: 1, ownPIDs: 1), .own)
        XCTAssertEqual(PIDNamespace(pids: 3, ownPIDs: 1), .nested(depth: 2))
        XCTAssertEqual(PIDNamespace(pids: 2, ownPIDs: 2), .own)
        XCTAssertEqual(PIDNamespace(pids: 1, ownPIDs: 2), .unknown)
        XCTAssertEqual(PIDNamespace(pids: nil, ownPIDs: 1), .unknown)
        let status = Array("Name:\tsleep\nNSpid:\t4242\t1\nNSpgid:\t4242\t1\n".utf8)
        XCTAssertEqual(status.withUnsafeBufferPointer { ProcessRecord.parseNamespacePIDs($0) }, 2)
    }

    /// A "container" root makes (its first process root's, a user's process below it) and a namespace a user
    /// makes (`setpriv` to nobody, then `unshare -Upf`): an end of nobody's session led by the top process reaches
    /// the user's namespace and nothing of the container.
    func testEndReachesTheUsersNamespaceNotRootsContainer() throws {
        let nobody: UInt32 = 65534
        let drop = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        let cases: [(command: [String], reached: Bool)] = [
            (["/usr/bin/unshare", "--pid", "--fork", "--kill-child", "/bin/sh", "-c",
              "\(drop.joined(separator: " ")) /bin/sleep 31 & wait"], false),
            (drop + ["/usr/bin/unshare", "-Upf", "--kill-child", "/bin/sleep", "32"], true),
        ]
        for (command, reached) in cases {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: command[0])
            process.arguments = Array(command.dropFirst())
            try process.run()
            defer {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            var sleeper: ProcessRecord?
            for _ in 0..<200 where sleeper == nil {
                let table = ProcessTable(records: LiveProcessTree().all())
                sleeper = table.descendants(of: process.processIdentifier).first { $0.name == "sleep" }
                if sleeper == nil { usleep(20_000) }
            }
            let sleep = try XCTUnwrap(sleeper, "no sleep below \(command)")
            XCTAssertEqual(LiveProcessTree().pidNamespace(sleep.pid), .nested(depth: 1), "\(command)")
            XCTAssertEqual(sleep.realUID, nobody)
            XCTAssertNil(ProcessTable.snapshot(source: LiveProcessTree()).records[sleep.pid],
                         "the start-up listing leaves another namespace's processes out")
            let top = try XCTUnwrap(LiveProcessTree().record(process.processIdentifier))
            let session = Session(
                id: "1", facts: SessionFacts(user: "nobody", uid: nobody, groups: [], service: "test"),
                leader: top.identity, sid: top.sid, openedAt: Instant(seconds: 0), limits: Limits(), origin: .terminal)
            var members = SessionMembers(session: session, processes: LiveProcessTree(), cgroups: LiveControlGroups())
            let listed = members.list(known: [], processes: LiveProcessTree(), cgroups: LiveControlGroups())
            XCTAssertEqual(listed.contains { $0.pid == sleep.pid }, reached, "\(command): \(listed)")
        }
    }
}
