import IdleWardenCore
import XCTest
@testable import IdleWardenDaemon

/// The site's warning text (`warn_message`) on the terminal, and the second warning (`warn_again`).
final class DaemonNoticeTests: XCTestCase {
    private var harness: DaemonHarness!
    private var audit: MemoryAudit { harness.audit }

    override func setUpWithError() throws {
        harness = try DaemonHarness(config: """
            idle_timeout = "15m"
            warn_before = "2m"
            warn_again = "30s"
            grace = "10s"

            [[rule]]
            users = ["alice"]
            warn_message = "{user}, lab PC {session} is idle ({idle}); logout in {left}. {stay}."
            """)
        harness.user("alice", uid: 1001)
        harness.user("bob", uid: 1002)
    }

    override func tearDown() {
        harness = nil
    }

    /// The rule's text, filled in, reaches the terminal at 13 min (idle counts from the end of the open's 8 s atime
    /// bucket) and again 30 s before the end; both audited, the second with again=yes; then the end.
    func testTheSitesTextIsWrittenTwiceWithoutInput() throws {
        let login = try harness.sshLogin("alice")
        harness.run(for: .seconds(13 * 60 + 8))
        let first = try XCTUnwrap(harness.terminals.notices(on: login.device!).last)
        XCTAssertEqual(first, "\r\n\u{7}*** idlewarden: alice, lab PC \(login.id) is idle (13m); logout in 2m. "
                        + "Press any key to stay logged in. ***\r\n")
        harness.run(for: .seconds(89))
        XCTAssertEqual(harness.terminals.notices(on: login.device!).count, 1)
        harness.run(for: .seconds(1))
        let notices = harness.terminals.notices(on: login.device!)
        XCTAssertEqual(notices.count, 2)
        XCTAssertTrue(notices[1].contains("logout in 30s"), notices[1])
        XCTAssertEqual(audit.lines("warn", ["session": login.id]).map { $0["again"] }, [nil, "yes"])
        harness.run(for: .seconds(40))
        XCTAssertEqual(audit.count("terminate", ["session": login.id]), 1)
    }

    /// Input after the first warning: no second one; bob (no rule) gets the built-in text.
    func testInputCancelsTheSecondWarningAndOthersGetTheBuiltInText() throws {
        let alice = try harness.sshLogin("alice")
        let bob = try harness.sshLogin("bob")
        harness.run(for: .seconds(13 * 60 + 10))
        harness.type(in: alice)
        harness.run(for: .seconds(100))
        XCTAssertEqual(harness.terminals.notices(on: alice.device!).count, 1)
        XCTAssertEqual(audit.count("warn", ["session": alice.id, "again": "yes"]), 0)
        XCTAssertTrue(harness.terminals.notices(on: bob.device!).first?.contains("has had no input for") == true)
    }
}
