import Foundation
import XCTest
@testable import IdleWardenDaemon

/// PID namespaces as this kernel reports them: a container root starts is another machine's; a namespace a user
/// makes for themselves (`unshare -Upf`) is theirs.
final class PIDNamespaceTests: XCTestCase {
    func testOwnProcessIsInTheOwnNamespace() {
        XCTAssertEqual(LiveProcessTree().pidNamespace(getpid()), .own)
        XCTAssertEqual(LiveProcessTree().pidNamespace(getppid()), .own)
    }

    func testNamespaceOfRootIsAContainerAndOfAUserIsTheirs() throws {
        for (uid, command) in [(UInt32(0), ["/usr/bin/unshare", "--pid", "--fork", "--kill-child", "/bin/sleep", "30"]),
                               (UInt32(65534), ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                                "/usr/bin/unshare", "-Upf", "--kill-child", "/bin/sleep", "30"])] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: command[0])
            process.arguments = Array(command.dropFirst())
            try process.run()
            defer {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            // The sleep inside is a descendant of the unshare (setpriv execs it) in the new namespace.
            var inside: Int32?
            for _ in 0..<200 where inside == nil {
                let table = ProcessTable(records: LiveProcessTree().all())
                inside = table.descendants(of: process.processIdentifier).first { $0.name == "sleep" }?.pid
                if inside == nil { usleep(20_000) }
            }
            let pid = try XCTUnwrap(inside, "no sleep below \(command)")
            let namespace = LiveProcessTree().pidNamespace(pid)
            XCTAssertEqual(namespace, .other(owner: uid), "\(command)")
            XCTAssertEqual(namespace.isReachable(bySessionOf: uid), uid != 0)
            XCTAssertFalse(namespace.isReachable(bySessionOf: 1000))
            XCTAssertNil(ProcessTable.snapshot(source: LiveProcessTree()).records[pid],
                         "the start-up listing leaves another namespace's processes out")
        }
    }

    func testUnreadableNamespaceIsNeverReached() {
        XCTAssertEqual(LiveProcessTree().pidNamespace(Int32.max), .unknown)
        XCTAssertFalse(PIDNamespace.unknown.isReachable(bySessionOf: 1000))
    }
}
