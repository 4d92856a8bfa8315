import Foundation
import XCTest

@testable import IdleWardenCore

/// logind's replies as a real systemd-logind gives them, not as a mock written with the code does: systemd 252
/// (Debian 12) booted in a container, three `su -l` sessions of types x11, wayland and tty, every call made with
/// the daemon's busctl options. Recorded by Fixtures/record-logind-replies.sh into Fixtures/logind-252.json,
/// which also holds what loginctl said about each session (its id, leader and type), to check the parse against.
final class LogindRecordedReplyTests: XCTestCase {
    private struct Recording: Decodable {
        struct Reply: Decodable {
            var arguments: [String]
            var status: Int32
            var output: String
            /// CLOCK_MONOTONIC (µs) read right after the call returned.
            var monotonicAfter: UInt64

            enum CodingKeys: String, CodingKey {
                case arguments, status, output
                case monotonicAfter = "monotonic_after_us"
            }
        }

        struct LoginSession: Decodable {
            var id: String
            var leader: UInt32
            var type: String
            /// The leader's /proc/PID/cgroup, read in the container.
            var cgroup: String
        }

        var systemd: String
        var sessions: [String: LoginSession]
        var replies: [String: Reply]
    }

    private var recording: Recording!
    private let now = Instant(seconds: 1_767_225_600)

    override func setUpWithError() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/logind-252.json")
        recording = try JSONDecoder().decode(Recording.self, from: Data(contentsOf: file))
        XCTAssertTrue(recording.systemd.hasPrefix("systemd 252"), recording.systemd)
    }

    private func reply(_ name: String) throws -> Recording.Reply {
        try XCTUnwrap(recording.replies[name], "no recorded reply \(name)")
    }

    private func session(_ kind: String) throws -> Recording.LoginSession {
        try XCTUnwrap(recording.sessions[kind], "no recorded \(kind) session")
    }

    private struct Unparsed: Error, CustomStringConvertible {
        var description: String
    }

    private func hint(_ name: String) throws -> LogindIdleHint {
        let recorded = try reply(name)
        guard case .success(let hint) = LogindReply.idleHint(status: recorded.status, output: recorded.output) else {
            throw Unparsed(description: "the recorded reply \(name) was not read as a hint: \(recorded.output)")
        }
        return hint
    }

    /// sd_bus_path_encode: every byte but [A-Za-z0-9] (and a leading digit) becomes _XX.
    private func objectPath(ofSession id: String) -> String {
        var encoded = ""
        for (index, byte) in id.utf8.enumerated() {
            let isLetter = (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            let isDigit = (0x30...0x39).contains(byte)
            encoded += isLetter || (isDigit && index > 0) ? String(UnicodeScalar(byte)) : String(format: "_%02x", byte)
        }
        return "/org/freedesktop/login1/session/" + encoded
    }

    func testSessionPathOfEachRealSession() throws {
        for kind in ["x11", "wayland", "tty"] {
            let recorded = try reply("session-by-pid-\(kind)")
            XCTAssertEqual(recorded.arguments.last, String(try session(kind).leader))
            XCTAssertEqual(LogindReply.sessionPath(status: recorded.status, output: recorded.output),
                           .success(objectPath(ofSession: try session(kind).id)), kind)
        }
    }

    func testRealFailuresAreReadAsSuch() throws {
        let none = try reply("session-by-pid-none")
        XCTAssertEqual(LogindReply.sessionPath(status: none.status, output: none.output),
                       .failure(.noSession("Call failed: PID 1 does not belong to any known session")))
        let noBus = try reply("no-bus")
        XCTAssertEqual(LogindReply.sessionPath(status: noBus.status, output: noBus.output),
                       .failure(.callFailed("Failed to connect to bus: No such file or directory")))
        // The session's object, remembered from an earlier call, is gone once the session ended.
        let gone = try reply("session-gone")
        guard case .failure(.callFailed(let text)) = LogindReply.idleHint(status: gone.status, output: gone.output) else {
            return XCTFail("a closed session's reply was not a failed call: \(gone.output)")
        }
        XCTAssertTrue(text.hasPrefix("Failed to get property IdleHint") && text.contains("Unknown object"), text)
    }

    func testHintsOfSessionsThatNeverReported() throws {
        for kind in ["x11", "wayland", "tty"] {
            let recorded = try reply("\(kind)-never-reported")
            let leader = try session(kind).leader
            XCTAssertEqual(LogindReply.idleHint(status: recorded.status, output: recorded.output),
                           .success(LogindIdleHint(idle: false, sinceMonotonicMicroseconds: 0,
                                                   type: try session(kind).type, leader: leader)), kind)
            guard case .unknown(let reason) = try hint("\(kind)-never-reported")
                .activity(leader: leader, now: now, monotonicMicroseconds: recorded.monotonicAfter)
            else { return XCTFail("\(kind): a session that never reported is not unknown") }
            XCTAssertTrue(reason.contains(kind == "tty" ? "type tty" : "has not reported"), reason)
        }
    }

    func testIdleHintIsConvertedByTheMonotonicTimeSinceItWasSet() throws {
        let leader = try session("x11").leader
        let idle = try reply("x11-idle")
        let hint = try hint("x11-idle")
        XCTAssertTrue(hint.idle)
        XCTAssertEqual(hint.type, "x11")
        XCTAssertEqual(hint.leader, leader)
        XCTAssertGreaterThan(hint.sinceMonotonicMicroseconds, 0)
        XCTAssertLessThanOrEqual(hint.sinceMonotonicMicroseconds, idle.monotonicAfter, "stamped with CLOCK_MONOTONIC")
        let elapsed = Int64((idle.monotonicAfter - hint.sinceMonotonicMicroseconds) / 1000)
        XCTAssertLessThan(elapsed, 5_000, "read right after SetIdleHint")
        XCTAssertEqual(hint.activity(leader: leader, now: now, monotonicMicroseconds: idle.monotonicAfter),
                       .idleSince(now - .milliseconds(elapsed)))

        let later = try reply("wayland-idle-a-second-later")
        guard case .idleSince(let since) = try self.hint("wayland-idle-a-second-later")
            .activity(leader: try session("wayland").leader, now: now, monotonicMicroseconds: later.monotonicAfter)
        else { return XCTFail("the idle wayland session is not idle") }
        XCTAssertGreaterThanOrEqual(now - since, .seconds(1), "read a second after the hint was set")
    }

    func testHintSetBackToActiveIsInputNow() throws {
        let leader = try session("x11").leader
        let again = try reply("x11-active-again")
        let hint = try hint("x11-active-again")
        XCTAssertFalse(hint.idle)
        XCTAssertGreaterThan(hint.sinceMonotonicMicroseconds, try self.hint("x11-idle").sinceMonotonicMicroseconds)
        XCTAssertEqual(hint.activity(leader: leader, now: now, monotonicMicroseconds: again.monotonicAfter), .active)
    }

    func testHintOfAnotherLoginIsNotTaken() throws {
        let idle = try reply("x11-idle")
        let other = try session("wayland").leader
        guard case .unknown(let reason) = try hint("x11-idle")
            .activity(leader: other, now: now, monotonicMicroseconds: idle.monotonicAfter)
        else { return XCTFail("the hint of another login's session was taken") }
        XCTAssertTrue(reason.contains("opened by pid \(try session("x11").leader)"), reason)
    }

    // MARK: The reconcile at start-up

    func testSessionListHasEveryRealSession() throws {
        let listed = try reply("list-sessions")
        guard case .success(let sessions) = LogindReply.sessionList(status: listed.status, output: listed.output) else {
            return XCTFail("the recorded list was not read: \(listed.output)")
        }
        XCTAssertEqual(Set(sessions.map(\.id)), Set(try ["x11", "wayland", "tty"].map { try session($0).id }))
        for entry in sessions {
            XCTAssertEqual(entry.user, "iwrec")
            XCTAssertEqual(entry.uid, 50000)
            XCTAssertEqual(entry.seat, "")
            XCTAssertEqual(entry.path, objectPath(ofSession: entry.id))
        }
        let fewer = try reply("list-sessions-one-stopped")
        guard case .success(let left) = LogindReply.sessionList(status: fewer.status, output: fewer.output) else {
            return XCTFail("the recorded list was not read: \(fewer.output)")
        }
        XCTAssertEqual(Set(left.map(\.id)), Set([try session("x11").id, try session("tty").id]))
        let none = try reply("list-sessions-none")
        XCTAssertEqual(LogindReply.sessionList(status: none.status, output: none.output), .success([]))
        let noBus = try reply("no-bus")
        XCTAssertEqual(LogindReply.sessionList(status: noBus.status, output: noBus.output),
                       .failure(.callFailed("Failed to connect to bus: No such file or directory")))
    }

    func testDetailsOfEachRealSession() throws {
        for kind in ["x11", "wayland", "tty"] {
            let recorded = try reply("details-\(kind)")
            XCTAssertEqual(recorded.arguments.suffix(LogindReply.detailProperties.count),
                           ArraySlice(LogindReply.detailProperties))
            XCTAssertEqual(
                LogindReply.sessionDetails(status: recorded.status, output: recorded.output),
                .success(LogindSessionDetails(
                    leader: try session(kind).leader, service: "su-l", scope: "session-\(try session(kind).id).scope",
                    tty: "", display: "", remoteHost: "", type: try session(kind).type, sessionClass: "user",
                    state: "active")), kind)
        }
        let gone = try reply("details-gone")
        guard case .failure(.callFailed(let text)) = LogindReply.sessionDetails(status: gone.status, output: gone.output)
        else { return XCTFail("a removed session's reply was not a failed call: \(gone.output)") }
        XCTAssertTrue(text.contains("Unknown object"), text)
    }

    /// The scope in each leader's /proc/PID/cgroup (a hybrid hierarchy: the v2 line and name=systemd agree) is the
    /// one logind's `Scope` property names.
    func testScopeOfEachRealLeader() throws {
        for kind in ["x11", "wayland", "tty"] {
            let recorded = try session(kind)
            let scope = try XCTUnwrap(LogindScope.parse(cgroupFile: recorded.cgroup), recorded.cgroup)
            XCTAssertEqual(scope.sessionID, recorded.id)
            XCTAssertEqual(scope.uid, 50000)
            XCTAssertEqual(scope.path, "/user.slice/user-50000.slice/session-\(recorded.id).scope")
            guard case .success(let details) = LogindReply.sessionDetails(
                status: try reply("details-\(kind)").status, output: try reply("details-\(kind)").output)
            else { return XCTFail("details of \(kind)") }
            XCTAssertEqual(scope.unit, details.scope)
        }
    }

    func testMalformedListsAndDetailsAreErrors() {
        for output in [
            "", "{\"type\":\"a(susso)\",\"data\":[]}", "{\"type\":\"a(susso)\",\"data\":[[[\"c1\",1,\"u\",\"\"]]]}",
            "{\"type\":\"a(susso)\",\"data\":[[[\"../x\",1,\"u\",\"\",\"/org/freedesktop/login1/session/x\"]]]}",
            "{\"type\":\"a(susso)\",\"data\":[[[\"c1\",-1,\"u\",\"\",\"/org/freedesktop/login1/session/c1\"]]]}",
            "{\"type\":\"as\",\"data\":[[\"c1\"]]}",
        ] {
            guard case .failure(.malformed) = LogindReply.sessionList(status: 0, output: output) else {
                return XCTFail("accepted as a session list: \(output)")
            }
        }
        XCTAssertEqual(LogindReply.sessionDetails(status: 0, output: "{\"type\":\"u\",\"data\":40}\n"),
                       .failure(.malformed("{\"type\":\"u\",\"data\":40}")))
    }
}
