import XCTest

import IdleWardenClient
@testable import IdleWardenCore
@testable import IdleWardenDaemon

/// The daemon's graphical-session pieces that need no X server: finding a display's endpoint in process
/// environments, reading the x-idle helper's answer, and the status entry of a desktop.
final class GraphicalDisplayTests: XCTestCase {
    private func environ(_ pairs: [String]) -> [UInt8] { Array(pairs.joined(separator: "\0").utf8) + [0] }

    func testEndpointPrefersTheEnvironmentOfTheSameDisplay() {
        let environments = [
            environ(["HOME=/home/a", "XAUTHORITY=/run/other/auth", "DISPLAY=:1"]),
            environ(["DISPLAY=:0", "XAUTHORITY=/home/a/.Xauthority", "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus"]),
        ]
        let endpoint = DisplayEndpoint.find(display: ":0", environments: environments)
        XCTAssertEqual(endpoint.xauthority, "/home/a/.Xauthority")
        XCTAssertEqual(endpoint.dbusAddress, "unix:path=/run/user/1000/bus")
        XCTAssertEqual(endpoint.home, "/home/a")
    }

    func testEndpointFallsBackToAnyEnvironmentAndIgnoresRelativePaths() {
        let endpoint = DisplayEndpoint.find(display: ":0", environments: [
            environ(["XAUTHORITY=relative"]), environ(["XAUTHORITY=/var/run/lightdm/root/:0", "EMPTY=", "NOEQUALS"]),
        ])
        XCTAssertEqual(endpoint.xauthority, "/var/run/lightdm/root/:0")
        XCTAssertNil(endpoint.dbusAddress)
        XCTAssertEqual(DisplayEndpoint.find(display: ":0", environments: []), DisplayEndpoint(display: ":0"))
    }

    /// As Xlib does: no XAUTHORITY in any environment (xrdp's sesman exports none, nor HOME) → the user's
    /// ~/.Xauthority, from the password database's home when the environments give none; an explicit one wins;
    /// a Wayland endpoint (no display) gets no authority file.
    func testEndpointFallsBackToTheHomeAuthorityFileAsXlibDoes() {
        var bare = DisplayEndpoint.find(display: ":10", environments: [environ(["DISPLAY=:10"])])
        bare.fillXlibDefaults(accountHome: "/home/alice")
        XCTAssertEqual(bare.xauthority, "/home/alice/.Xauthority")
        XCTAssertEqual(bare.home, "/home/alice")
        var withHome = DisplayEndpoint.find(display: ":10", environments: [environ(["HOME=/srv/a/"])])
        withHome.fillXlibDefaults(accountHome: "/home/alice")
        XCTAssertEqual(withHome.xauthority, "/srv/a/.Xauthority")
        var explicit = DisplayEndpoint.find(display: ":10", environments: [environ(["XAUTHORITY=/run/x/auth"])])
        explicit.fillXlibDefaults(accountHome: "/home/alice")
        XCTAssertEqual(explicit.xauthority, "/run/x/auth")
        var wayland = DisplayEndpoint.find(display: nil, environments: [])
        wayland.fillXlibDefaults(accountHome: "/home/alice")
        XCTAssertNil(wayland.xauthority)
        var relative = DisplayEndpoint.find(display: ":10", environments: [])
        relative.fillXlibDefaults(accountHome: "relative")
        XCTAssertNil(relative.xauthority)
    }

    func testHelperAnswers() {
        XCTAssertEqual(XIdleQuery.parseAnswer("idle_ms=1234\n"), .success(1234))
        XCTAssertEqual(XIdleQuery.parseAnswer("error=cannot open display :3\n"), .failure(.init("cannot open display :3")))
        XCTAssertEqual(XIdleQuery.parseAnswer(""), .failure(.init("no answer from the x-idle helper")))
        XCTAssertEqual(XIdleQuery.parseAnswer("idle_ms=-5"), .failure(.init("no answer from the x-idle helper")))
    }

    func testQueryWithoutAServerFailsInsteadOfExiting() {
        // No X server listens on this display: the query must return an error, not exit or hang.
        let result = XIdleQuery.queryHere(display: ":987", xauthority: "/nonexistent")
        guard case .failure(let error) = result else { return XCTFail("expected a failure, got \(result)") }
        XCTAssertFalse(error.description.isEmpty)
    }

    func testStatusEntryShowsTheDisplay() throws {
        let facts = SessionFacts(user: "alice", uid: 1000, groups: ["alice"], service: "lightdm", tty: ":1")
        var session = Session(id: "3", facts: facts, leader: ProcessIdentity(pid: 10, startTime: 1), sid: 10,
                              openedAt: Instant(seconds: 100), limits: Limits())
        session.terminalDiscovery = .settled
        var entry = StatusEntry(session: session, now: Instant(seconds: 160), nextDeadline: nil)
        XCTAssertEqual(entry.display, ":1")
        XCTAssertEqual(entry.terminals, [":1"])
        XCTAssertEqual(entry.state, "active")
        let json = try XCTUnwrap(String(data: JSONEncoder().encode(entry), encoding: .utf8))
        XCTAssertTrue(json.contains("\"display\":\":1\""), json)

        session.limits.graphical = false
        entry = StatusEntry(session: session, now: Instant(seconds: 160), nextDeadline: nil)
        XCTAssertEqual(entry.state, "unchecked")

        let terminal = Session(id: "4", facts: SessionFacts(user: "b", uid: 1, groups: [], service: "sshd", tty: "ssh"),
                               leader: ProcessIdentity(pid: 11, startTime: 1), sid: 11, openedAt: Instant(seconds: 1),
                               limits: Limits(), terminals: ["/dev/pts/2"])
        let plain = StatusEntry(session: terminal, now: Instant(seconds: 2), nextDeadline: nil)
        XCTAssertNil(plain.display)
        XCTAssertEqual(plain.terminals, ["/dev/pts/2"])
        XCTAssertTrue(try XCTUnwrap(String(data: JSONEncoder().encode(plain), encoding: .utf8)).contains("\"display\":null"))
    }
}
