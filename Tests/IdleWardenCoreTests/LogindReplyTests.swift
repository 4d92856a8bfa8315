import XCTest

@testable import IdleWardenCore

/// logind's idle hint as the daemon reads it through `busctl --json=short`. The replies below were recorded on
/// Debian 12 (busctl 252) against a mock org.freedesktop.login1 on a private bus (the one tests/e2e/graphical.sh
/// runs): stdout and stderr together, as the daemon captures them, with busctl's exit status. The same calls against
/// a real systemd-logind are in LogindRecordedReplyTests.
final class LogindReplyTests: XCTestCase {
    // MARK: recorded replies

    private let sessionByPID = #"{"type":"o","data":["/org/freedesktop/login1/session/_33"]}"# + "\n"
    private let sessionByPIDNamed = #"{"type":"o","data":["/org/freedesktop/login1/session/c7"]}"# + "\n"
    private let noSessionForPID = "Call failed: PID 999 does not belong to any known session\n"
    private let noBus = "Failed to connect to bus: No such file or directory\n"
    private let noService = "Call failed: The name org.freedesktop.login1 was not provided by any .service files\n"
    private let accessDenied =
        "Failed to get property IdleHint on interface org.freedesktop.login1.Session: Access denied\n"
    private let noSuchObject = """
        Failed to get property IdleHint on interface org.freedesktop.login1.Session: Method "Get" with signature \
        "ss" on interface "org.freedesktop.DBus.Properties" doesn't exist

        """
    private let x11Active = """
        {"type":"b","data":false}
        {"type":"t","data":11897326037}
        {"type":"s","data":"x11"}
        {"type":"u","data":4242}

        """
    private let waylandNeverReported = """
        {"type":"b","data":false}
        {"type":"t","data":0}
        {"type":"s","data":"wayland"}
        {"type":"u","data":4343}

        """
    private let waylandIdle = """
        {"type":"b","data":true}
        {"type":"t","data":11995701755}
        {"type":"s","data":"wayland"}
        {"type":"u","data":4343}

        """
    private let ttySession = """
        {"type":"b","data":false}
        {"type":"t","data":0}
        {"type":"s","data":"tty"}
        {"type":"u","data":4444}

        """
    /// CLOCK_MONOTONIC (µs) read right after `waylandIdle` was recorded: 134 ms after the hint changed.
    private let monotonicAfterWaylandIdle: UInt64 = 11_995_835_595
    private let now = Instant(seconds: 1_767_225_600)

    // MARK: GetSessionByPID

    func testSessionPathFromRecordedReplies() {
        XCTAssertEqual(LogindReply.sessionPath(status: 0, output: sessionByPID), .success("/org/freedesktop/login1/session/_33"))
        XCTAssertEqual(LogindReply.sessionPath(status: 0, output: sessionByPIDNamed), .success("/org/freedesktop/login1/session/c7"))
    }

    func testSessionPathErrors() {
        XCTAssertEqual(LogindReply.sessionPath(status: 1, output: noSessionForPID),
                       .failure(.noSession("Call failed: PID 999 does not belong to any known session")))
        XCTAssertEqual(LogindReply.sessionPath(status: 1, output: noBus),
                       .failure(.callFailed("Failed to connect to bus: No such file or directory")))
        XCTAssertEqual(LogindReply.sessionPath(status: 1, output: noService),
                       .failure(.callFailed("Call failed: The name org.freedesktop.login1 was not provided by any .service files")))
        XCTAssertEqual(LogindReply.sessionPath(status: 1, output: ""),
                       .failure(.callFailed("busctl ended with status 1 and printed nothing")))
        // A reply on stdout with a failing status is still a failure.
        guard case .failure(.callFailed) = LogindReply.sessionPath(status: 2, output: sessionByPID) else {
            return XCTFail("status 2 accepted")
        }
    }

    func testSessionPathRejectsWhatIsNotALogindSession() {
        let malformed = [
            "", "\n", "{", #"{"type":"o","data":["/org/freedesktop/login1/session/_33"]"#,
            #"{"type":"s","data":["/org/freedesktop/login1/session/_33"]}"#,
            #"{"type":"o","data":"/org/freedesktop/login1/session/_33"}"#,
            #"{"type":"o","data":[]}"#,
            #"{"type":"o","data":["/org/freedesktop/login1/session/"]}"#,
            #"{"type":"o","data":["/org/freedesktop/login1/user/_1000"]}"#,
            #"{"type":"o","data":["/org/freedesktop/login1/session/../../x"]}"#,
            #"{"type":"o","data":["/org/freedesktop/login1/session/a b"]}"#,
            sessionByPID + sessionByPID,
            "Call failed: PID 1 does not belong to any known session",
        ]
        for text in malformed {
            guard case .failure(.malformed) = LogindReply.sessionPath(status: 0, output: text) else {
                return XCTFail("accepted: \(text.debugDescription)")
            }
        }
    }

    // MARK: get-property

    func testIdleHintFromRecordedReplies() {
        XCTAssertEqual(LogindReply.idleHint(status: 0, output: x11Active),
                       .success(LogindIdleHint(idle: false, sinceMonotonicMicroseconds: 11_897_326_037, type: "x11", leader: 4242)))
        XCTAssertEqual(LogindReply.idleHint(status: 0, output: waylandNeverReported),
                       .success(LogindIdleHint(idle: false, sinceMonotonicMicroseconds: 0, type: "wayland", leader: 4343)))
        XCTAssertEqual(LogindReply.idleHint(status: 0, output: waylandIdle),
                       .success(LogindIdleHint(idle: true, sinceMonotonicMicroseconds: 11_995_701_755, type: "wayland", leader: 4343)))
    }

    func testIdleHintErrors() {
        XCTAssertEqual(LogindReply.idleHint(status: 1, output: accessDenied), .failure(.callFailed(
            "Failed to get property IdleHint on interface org.freedesktop.login1.Session: Access denied")))
        guard case .failure(.callFailed(let text)) = LogindReply.idleHint(status: 1, output: noSuchObject) else {
            return XCTFail("no such object accepted")
        }
        XCTAssertTrue(text.hasPrefix("Failed to get property IdleHint"), text)
    }

    func testIdleHintRejectsMalformedReplies() {
        let lines = x11Active.split(separator: "\n").map(String.init)
        let malformed = [
            "", "not json", String(x11Active.dropLast(3)),
            lines.dropLast().joined(separator: "\n"),                     // a property missing
            (lines + [lines[0]]).joined(separator: "\n"),                 // one too many
            [lines[1], lines[0], lines[2], lines[3]].joined(separator: "\n"), // out of order
            x11Active.replacingOccurrences(of: #""data":false"#, with: #""data":0"#),
            x11Active.replacingOccurrences(of: #""data":11897326037"#, with: #""data":-1"#),
            x11Active.replacingOccurrences(of: #""data":11897326037"#, with: #""data":1.5e3"#),
            x11Active.replacingOccurrences(of: #""data":11897326037"#, with: #""data":18446744073709551616"#),
            x11Active.replacingOccurrences(of: #""data":4242"#, with: #""data":4294967296"#),
            x11Active.replacingOccurrences(of: #""data":"x11""#, with: #""data":null"#),
            x11Active.replacingOccurrences(of: #"{"type":"u""#, with: #"{"type":"i""#),
        ]
        for text in malformed {
            guard case .failure(.malformed) = LogindReply.idleHint(status: 0, output: text) else {
                return XCTFail("accepted: \(text.debugDescription)")
            }
        }
    }

    func testLargestMonotonicValueIsExact() {
        let text = x11Active.replacingOccurrences(of: "11897326037", with: "18446744073709551615")
        guard case .success(let hint) = LogindReply.idleHint(status: 0, output: text) else { return XCTFail() }
        XCTAssertEqual(hint.sinceMonotonicMicroseconds, UInt64.max)
    }

    // MARK: what the hint means

    private func hint(_ text: String) -> LogindIdleHint {
        guard case .success(let hint) = LogindReply.idleHint(status: 0, output: text) else {
            XCTFail("not parsed")
            return LogindIdleHint(idle: false, sinceMonotonicMicroseconds: 0, type: "", leader: 0)
        }
        return hint
    }

    func testIdleSinceIsConvertedByMonotonicTimeElapsed() {
        XCTAssertEqual(hint(waylandIdle).activity(leader: 4343, now: now, monotonicMicroseconds: monotonicAfterWaylandIdle),
                       .idleSince(now - .milliseconds(133)))
        let tenMinutesLater = monotonicAfterWaylandIdle + 600_000_000
        XCTAssertEqual(hint(waylandIdle).activity(leader: 4343, now: now, monotonicMicroseconds: tenMinutesLater),
                       .idleSince(now - .milliseconds(600_133)))
        // A hint stamped after the monotonic sample (read in the other order) is idle since now, not in the future.
        XCTAssertEqual(hint(waylandIdle).activity(leader: 4343, now: now, monotonicMicroseconds: 11_995_000_000),
                       .idleSince(now))
    }

    func testActiveHintWithATimeIsInputNow() {
        XCTAssertEqual(hint(x11Active).activity(leader: 4242, now: now, monotonicMicroseconds: 11_999_000_000), .active)
    }

    func testHintsThatSayNothing() {
        guard case .unknown(let never) = hint(waylandNeverReported)
            .activity(leader: 4343, now: now, monotonicMicroseconds: 1) else { return XCTFail() }
        XCTAssertTrue(never.contains("has not reported"), never)
        // A tty session's hint is a terminal's atime, not the desktop's.
        guard case .unknown(let tty) = hint(ttySession)
            .activity(leader: 4444, now: now, monotonicMicroseconds: 1) else { return XCTFail() }
        XCTAssertTrue(tty.contains("type tty"), tty)
        // The pid sits in a logind session opened by another process (pam_systemd not in this login's stack).
        guard case .unknown(let other) = hint(waylandIdle)
            .activity(leader: 4242, now: now, monotonicMicroseconds: monotonicAfterWaylandIdle) else { return XCTFail() }
        XCTAssertTrue(other.contains("opened by pid 4343"), other)
    }

    // MARK: the JSON subset

    func testBusctlJSON() {
        XCTAssertEqual(BusctlJSON.parse(#" {"a" : [1, -2, true, null, "x\"\u00e9\n"], "b": {}} "#),
                       .object(["a": .array([.integer("1"), .integer("-2"), .bool(true), .null, .string("x\"é\n")]),
                                "b": .object([:])]))
        XCTAssertEqual(BusctlJSON.parse("2.5"), .number("2.5"))
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"\u{1}\"", "\"\\x\"", "1 2", "{1:2}", "-",
                    String(repeating: "[", count: 40) + String(repeating: "]", count: 40)] {
            XCTAssertNil(BusctlJSON.parse(bad), bad.debugDescription)
        }
    }
}
