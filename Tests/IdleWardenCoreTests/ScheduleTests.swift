import XCTest
@testable import IdleWardenCore

final class ScheduleTests: XCTestCase {
    func testPopsDueInOrderAndSkipsRescheduled() {
        var schedule = Schedule()
        schedule.set("a", at: Instant(seconds: 30))
        schedule.set("b", at: Instant(seconds: 10))
        schedule.set("c", at: Instant(seconds: 20))
        schedule.set("b", at: Instant(seconds: 40))
        XCTAssertEqual(schedule.next(), Instant(seconds: 20))
        XCTAssertEqual(schedule.popDue(now: Instant(seconds: 30)), ["c", "a"])
        XCTAssertEqual(schedule.next(), Instant(seconds: 40))
        schedule.remove("b")
        XCTAssertNil(schedule.next())
        XCTAssertEqual(schedule.count, 0)
    }

    func testManyEntriesStayOrderedThroughCompaction() {
        var schedule = Schedule()
        var generator = SystemRandomNumberGenerator()
        for round in 0..<20 {
            for id in 0..<500 {
                schedule.set("s\(id)", at: Instant(seconds: Int64.random(in: 0..<100_000, using: &generator) + Int64(round)))
            }
        }
        XCTAssertEqual(schedule.count, 500)
        var previous = Instant(seconds: -1)
        var popped = 0
        while let next = schedule.next() {
            XCTAssertGreaterThanOrEqual(next, previous)
            previous = next
            popped += schedule.popDue(now: next).count
        }
        XCTAssertEqual(popped, 500)
    }
}
