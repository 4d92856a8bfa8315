import Foundation
import XCTest

@testable import IdleWardenCore

/// Graphical sessions in Core: recognising a display from PAM_TTY, the `types` match key, `graphical`, and the
/// verdict of a session whose activity comes from its X server.
final class GraphicalSessionTests: XCTestCase {
    private let t0 = Instant(seconds: 1_000_000)

    private func facts(tty: String?, user: String = "alice") -> SessionFacts {
        SessionFacts(user: user, uid: 1000, groups: [user], service: "lightdm", tty: tty)
    }

    private func session(tty: String? = ":0", limits: Limits = Limits(idleTimeout: .seconds(600), warnBefore: .seconds(60)))
        -> Session
    {
        Session(id: "1", facts: facts(tty: tty), leader: ProcessIdentity(pid: 42, startTime: 7), sid: 42,
                openedAt: t0, limits: limits)
    }

    func testDisplayFromPAMTTY() {
        XCTAssertEqual(SessionType.display(fromPAMTTY: ":0"), ":0")
        XCTAssertEqual(SessionType.display(fromPAMTTY: ":12"), ":12")
        XCTAssertEqual(SessionType.display(fromPAMTTY: ":1.0"), ":1.0")
        for notDisplay in [nil, "", ":", ":a", ":1.", ":.0", ":1.2.3", "tty1", "pts/3", "ssh", "host:0", "/dev/tty1",
                           ":1234567890"] {
            XCTAssertNil(SessionType.display(fromPAMTTY: notDisplay), "\(String(describing: notDisplay))")
        }
        XCTAssertEqual(facts(tty: ":0").sessionType, .x11)
        XCTAssertEqual(facts(tty: "pts/1").sessionType, .tty)
        XCTAssertEqual(facts(tty: nil).sessionType, .tty)
    }

    /// PAM_XDISPLAY names the display when set (PAM_TTY may then be a VT such as "tty7"); XDG_SESSION_TYPE decides
    /// the type when it names a desktop, and a session it calls wayland needs no X display to be graphical.
    func testDisplayAndTypeFromXDisplayAndXDGSessionType() {
        var lightdm = facts(tty: "tty7")
        lightdm.xdisplay = ":1"
        XCTAssertEqual(lightdm.display, ":1")
        XCTAssertEqual(lightdm.sessionType, .x11)

        var remoteX = facts(tty: "pts/2")
        remoteX.xdisplay = "host:0"
        XCTAssertNil(remoteX.display)
        XCTAssertEqual(remoteX.sessionType, .tty)

        var wayland = facts(tty: "tty2")
        wayland.xdgSessionType = "wayland"
        XCTAssertNil(wayland.display)
        XCTAssertEqual(wayland.sessionType, .wayland)
        XCTAssertTrue(wayland.isGraphical)

        var sshWithType = facts(tty: "ssh")
        sshWithType.xdgSessionType = "tty"
        XCTAssertEqual(sshWithType.sessionType, .tty)
        XCTAssertFalse(sshWithType.isGraphical)

        var x11WithoutDisplay = facts(tty: nil)
        x11WithoutDisplay.xdgSessionType = "x11"
        XCTAssertEqual(x11WithoutDisplay.sessionType, .x11)
    }

    func testDesktopWithoutTerminalsIsIdleCheckedFromOpen() {
        var desktop = session()
        desktop.terminalDiscovery = .settled
        XCTAssertTrue(desktop.isDisplayChecked)
        XCTAssertTrue(desktop.isIdleChecked)
        XCTAssertEqual(desktop.verdict(now: t0), .sleep(until: t0 + .seconds(540)))
        XCTAssertEqual(desktop.verdict(now: t0 + .seconds(540)),
                       .warn(deadline: t0 + .seconds(600), reason: .idle))
    }

    func testDisplayInputMovesTheClockAndCancelsTheWarning() {
        var desktop = session()
        desktop.terminalDiscovery = .settled
        desktop.warning = Warning(issuedAt: t0 + .seconds(540), deadline: t0 + .seconds(600), reason: .idle)
        XCTAssertTrue(desktop.observeDisplayInput(at: t0 + .milliseconds(570_250)))
        XCTAssertNil(desktop.warning)
        XCTAssertEqual(desktop.lastInput, t0 + .milliseconds(570_250))
        XCTAssertEqual(desktop.verdict(now: t0 + .seconds(571)), .sleep(until: t0 + .milliseconds(1_110_250)))
        XCTAssertFalse(desktop.observeDisplayInput(at: t0 + .seconds(10)), "older input is not new input")
    }

    /// The same last input read twice through a helper that started up 40 ms faster the second time computes to a
    /// moment 40 ms later: that is not new input, and must not take back a warning.
    func testHelperJitterIsNotInput() {
        var desktop = session()
        XCTAssertTrue(desktop.observeDisplayInput(at: t0 + .seconds(100)))
        desktop.warning = Warning(issuedAt: t0 + .seconds(640), deadline: t0 + .seconds(700), reason: .idle)
        XCTAssertFalse(desktop.observeDisplayInput(at: t0 + .milliseconds(100_040)))
        XCTAssertNotNil(desktop.warning)
        XCTAssertEqual(desktop.lastInput, t0 + .seconds(100))
        XCTAssertTrue(desktop.observeDisplayInput(at: t0 + .seconds(102)))
        XCTAssertNil(desktop.warning)
    }

    func testInputBeforeTheSessionOpenedIsNotInput() {
        var desktop = session()
        XCTAssertFalse(desktop.observeDisplayInput(at: t0 - .seconds(5)), "the greeter's input")
        XCTAssertFalse(desktop.observeDisplayInput(at: t0))
        XCTAssertEqual(desktop.lastInput, t0)
    }

    func testMaxSessionWarningStandsAfterDisplayInput() {
        var desktop = session(limits: Limits(idleTimeout: .seconds(600), warnBefore: .seconds(60), maxSession: .seconds(3600)))
        desktop.warning = Warning(issuedAt: t0 + .seconds(3540), deadline: t0 + .seconds(3600), reason: .maxSession)
        desktop.observeDisplayInput(at: t0 + .seconds(3550))
        XCTAssertEqual(desktop.warning?.reason, .maxSession)
    }

    func testGraphicalFalseLeavesDesktopsUncheckedEvenWithTerminals() {
        var desktop = session(limits: Limits(idleTimeout: .seconds(600), graphical: false))
        desktop.terminals = ["/dev/pts/4"] // the shell in an xterm on that desktop
        desktop.terminalDiscovery = .settled
        XCTAssertFalse(desktop.isDisplayChecked)
        XCTAssertFalse(desktop.isIdleChecked)
        XCTAssertEqual(desktop.verdict(now: t0 + .seconds(86_400)), .unchecked)
        var limited = session(limits: Limits(idleTimeout: .seconds(600), maxSession: .seconds(3600), graphical: false))
        limited.terminalDiscovery = .settled
        XCTAssertEqual(limited.verdict(now: t0 + .seconds(3540)), .warn(deadline: t0 + .seconds(3600), reason: .maxSession),
                       "max_session still applies")
    }

    func testGraphicalDoesNotChangeTerminalSessions() {
        var console = session(tty: "tty1", limits: Limits(idleTimeout: .seconds(600), graphical: false))
        console.terminals = ["/dev/tty1"]
        XCTAssertFalse(console.isDisplayChecked)
        XCTAssertTrue(console.isIdleChecked)
    }

    func testConfigGraphicalAndTypes() throws {
        let text = """
            allow_short_timeouts = true
            idle_timeout = "15m"
            graphical = true

            [[rule]]
            name = "desktops"
            types = ["x11"]
            idle_timeout = "30m"

            [[rule]]
            name = "lab"
            users = ["kiosk"]
            graphical = false
            """
        let result = ConfigParser.parse(text, path: "/x.conf")
        XCTAssertEqual(result.errors, [])
        let config = try XCTUnwrap(result.config)
        XCTAssertEqual(config.defaults.graphical, true)
        XCTAssertEqual(config.rules[0].types, [.x11])
        XCTAssertEqual(config.rules[0].matchDescription, "types = [x11]")
        XCTAssertEqual(config.rules[1].settings.graphical, false)

        let desktop = Policy.resolve(config, for: facts(tty: ":0"))
        XCTAssertEqual(desktop.limits.idleTimeout, .seconds(1800))
        XCTAssertTrue(desktop.limits.graphical)
        XCTAssertEqual(desktop.value(of: .graphical), "true")
        let terminal = Policy.resolve(config, for: facts(tty: "pts/0"))
        XCTAssertEqual(terminal.limits.idleTimeout, .seconds(900))
        let kiosk = Policy.resolve(config, for: facts(tty: ":1", user: "kiosk"))
        XCTAssertFalse(kiosk.limits.graphical)
        XCTAssertEqual(kiosk.source(of: .graphical), config.rules[1].source)
    }

    func testBadTypesAndGraphicalValuesAreErrors() {
        for (text, key) in [
            ("[[rule]]\ntypes = [\"mir\"]\nexempt = true", "types"),
            ("[[rule]]\ntypes = []\nexempt = true", "types"),
            ("[[rule]]\ntypes = \"x11\"\nexempt = true", "types"),
            ("graphical = \"yes\"", "graphical"),
            ("types = [\"x11\"]", "types"),
        ] {
            let result = ConfigParser.parse(text, path: "/x.conf")
            XCTAssertNil(result.config.flatMap { result.errors.isEmpty ? $0 : nil }, text)
            XCTAssertTrue(result.errors.contains { "\($0)".contains(key) }, "\(text): \(result.errors)")
        }
    }

    func testLimitsFromStateWithoutGraphicalDecodeAsTrue() throws {
        var encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(Limits(graphical: false))) as! [String: Any]
        encoded["checkGraphical"] = nil
        let data = try JSONSerialization.data(withJSONObject: encoded)
        let limits = try JSONDecoder().decode(Limits.self, from: data)
        XCTAssertTrue(limits.graphical)
        let roundTrip = try JSONDecoder().decode(Limits.self, from: JSONEncoder().encode(Limits(graphical: false)))
        XCTAssertFalse(roundTrip.graphical)
    }
}
