import XCTest
@testable import IdleWardenCore

final class RequestBudgetTests: XCTestCase {
    func testBurstThenRefill() {
        var budget = RequestBudget(burst: 3, perSecond: 1)
        let start = Instant(seconds: 100)
        XCTAssertEqual((0..<5).map { _ in budget.spend(uid: 1000, now: start) }, [true, true, true, false, false])
        XCTAssertTrue(budget.spend(uid: 1001, now: start), "another uid has its own budget")
        XCTAssertFalse(budget.spend(uid: 1000, now: start + .milliseconds(500)))
        XCTAssertTrue(budget.spend(uid: 1000, now: start + .milliseconds(1500)))
        XCTAssertEqual(budget.drainRefusals(), [1000: 3])
        XCTAssertEqual(budget.drainRefusals(), [:])
    }

    func testClockGoingBackNeverGrantsExtra() {
        var budget = RequestBudget(burst: 1, perSecond: 1)
        let start = Instant(seconds: 100)
        XCTAssertTrue(budget.spend(uid: 1, now: start))
        XCTAssertFalse(budget.spend(uid: 1, now: start - .seconds(3600)))
    }

    func testManyUidsStayBounded() {
        var budget = RequestBudget(burst: 1, perSecond: 10)
        for uid in 0..<10_000 { _ = budget.spend(uid: UInt32(uid), now: Instant(seconds: Int64(uid))) }
        XCTAssertTrue(budget.spend(uid: 1, now: Instant(seconds: 20_000)))
    }
}
