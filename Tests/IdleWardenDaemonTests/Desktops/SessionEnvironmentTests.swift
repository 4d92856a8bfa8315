import XCTest
@testable import IdleWardenDaemon

#if canImport(Glibc)
import Glibc
#endif

/// The `session-env` helper's reading of a desktop's environments: bounded, only the session user's processes,
/// and an answer the daemon reads back without ambiguity.
final class SessionEnvironmentTests: XCTestCase {
    private var children: [pid_t] = []

    override func tearDown() {
        for pid in children {
            kill(pid, SIGKILL)
            waitpid(pid, nil, 0)
        }
    }

    /// A process of the test's own that sleeps with `environment`.
    private func spawn(_ environment: [String]) throws -> Int32 {
        var pid: pid_t = 0
        let arguments: [String] = ["/bin/sleep", "60"]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        XCTAssertEqual(posix_spawn(&pid, "/bin/sleep", nil, nil, argv, envp), 0)
        children.append(pid)
        // The environment is readable once the child has exec'd sleep.
        for _ in 0..<200 where (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) != "sleep\n" {
            usleep(5000)
        }
        return pid
    }

    func testEndpointFromTheSessionsOwnProcesses() throws {
        let first = try spawn(["HOME=/home/alice", "XAUTHORITY=/home/alice/.Xauthority"])
        let second = try spawn(["DISPLAY=:7", "XAUTHORITY=/run/user/1001/gdm/Xauthority",
                                "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1001/bus"])
        let endpoint = SessionEnvironment.readHere(pids: [first, second], uid: getuid(), display: ":7")
        XCTAssertEqual(endpoint.xauthority, "/run/user/1001/gdm/Xauthority", "the environment naming the display wins")
        XCTAssertEqual(endpoint.dbusAddress, "unix:path=/run/user/1001/bus")
        XCTAssertEqual(endpoint.home, "/home/alice")
        XCTAssertEqual(SessionEnvironment.parse(SessionEnvironment.format(endpoint), display: ":7"), endpoint)
        XCTAssertEqual(SessionEnvironment.readHere(pids: [first, second], uid: getuid() &+ 1, display: ":7"),
                       DisplayEndpoint(display: ":7"), "processes of another uid are not read")
    }

    /// Only the first `maxBytesPerProcess` of an environment are read, and only `maxProcesses` processes.
    func testReadsAreBounded() throws {
        let padding = "PAD=" + String(repeating: "x", count: SessionEnvironment.maxBytesPerProcess)
        let big = try spawn([padding, "XAUTHORITY=/late/Xauthority"])
        XCTAssertNil(SessionEnvironment.readHere(pids: [big], uid: getuid(), display: nil).xauthority)
        let small = try spawn(["XAUTHORITY=/early/Xauthority"])
        let many = [Int32](repeating: big, count: SessionEnvironment.maxProcesses) + [small]
        XCTAssertNil(SessionEnvironment.readHere(pids: many, uid: getuid(), display: nil).xauthority)
        XCTAssertEqual(SessionEnvironment.readHere(pids: [small], uid: getuid(), display: nil).xauthority,
                       "/early/Xauthority")
    }

    /// The answer is one line per value: a value with a newline cannot add a line, and relative paths or unknown
    /// keys in an answer are ignored.
    func testAnswerFormat() {
        let endpoint = DisplayEndpoint(display: ":0", xauthority: "/x\nxauthority=/evil", dbusAddress: "unix:path=/b",
                                       home: "/h")
        XCTAssertEqual(SessionEnvironment.format(endpoint), "dbus=unix:path=/b\nhome=/h\n")
        let parsed = SessionEnvironment.parse("xauthority=relative\nhome=/h\nother=/x\nnoequals\n", display: ":0")
        XCTAssertEqual(parsed, DisplayEndpoint(display: ":0", home: "/h"))
    }
}
