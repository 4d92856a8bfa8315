import Foundation
import IdleWardenClient
import XCTest

final class StatusEntryTests: XCTestCase {
    /// Scripts read `status --json`: every key is there, snake_case, absent values as null.
    func testJSONHasEveryKeyWithNullForAbsentValues() throws {
        let entry = StatusEntry(
            id: "7", user: "alice", uid: 1001, service: "sshd", tty: nil, rhost: nil, pid: 4242, openedAt: 100,
            state: "pending", exemptReason: nil, terminals: [], idleSeconds: 5, idleTimeoutSeconds: 900,
            nextDeadline: nil, display: nil)
        let object = try XCTUnwrap(
            JSONSerialization.jsonObject(with: try JSONEncoder().encode(entry)) as? [String: Any])
        XCTAssertEqual(Set(object.keys), [
            "id", "user", "uid", "service", "tty", "rhost", "pid", "opened_at", "state", "exempt_reason",
            "terminals", "idle_seconds", "idle_timeout_seconds", "next_deadline", "display", "inhibitors",
            "logind_session", "scope", "warn_at", "end_at", "end_reason", "warn_before_seconds", "max_session_seconds", "keepalive_allowed",
        ])
        for key in ["tty", "rhost", "exempt_reason", "next_deadline", "display", "logind_session", "scope", "warn_at",
                    "end_at", "end_reason", "warn_before_seconds", "max_session_seconds", "keepalive_allowed"] {
            XCTAssertTrue(object[key] is NSNull, key)
        }
        XCTAssertEqual(try JSONDecoder().decode(StatusEntry.self, from: try JSONEncoder().encode(entry)), entry)
    }
}
