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

    /// 10,000 uids, one request each a second apart: every earlier bucket has refilled and is dropped, so the
    /// table never holds more than its limit (4,096) plus the one just added.
    func testManyUidsStayBounded() {
        var budget = RequestBudget(burst: 1, perSecond: 10)
        var largest = 0
        for uid in 0..<10_000 {
            _ = budget.spend(uid: UInt32(uid), now: Instant(seconds: Int64(uid)))
            largest = max(largest, budget.trackedUIDs)
        }
        XCTAssertLessThanOrEqual(largest, 4_097)
        XCTAssertLessThan(budget.trackedUIDs, 4_097, "the table was pruned, not just capped once")
        XCTAssertTrue(budget.spend(uid: 1, now: Instant(seconds: 20_000)))
    }

    /// Pruning drops only buckets that have refilled: a uid that has spent its burst stays refused while
    /// thousands of other uids make the table prune.
    func testPruningKeepsSpentBuckets() {
        var budget = RequestBudget(burst: 2, perSecond: 0.1)
        let start = Instant(seconds: 100)
        XCTAssertTrue(budget.spend(uid: 7, now: start))
        XCTAssertTrue(budget.spend(uid: 7, now: start))
        for uid in 1_000..<5_200 { _ = budget.spend(uid: UInt32(uid), now: start + .seconds(5)) }
        XCTAssertFalse(budget.spend(uid: 7, now: start + .seconds(5)), "a spent bucket was forgotten")
    }
}
