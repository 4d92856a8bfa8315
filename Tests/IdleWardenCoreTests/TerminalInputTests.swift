import XCTest
@testable import IdleWardenCore

final class TerminalInputTests: XCTestCase {
    func testLatestInputIsEndOfEightSecondBucket() {
        XCTAssertEqual(TerminalInput.latestInput(atimeSeconds: 0), Instant(seconds: 8))
        XCTAssertEqual(TerminalInput.latestInput(atimeSeconds: 7), Instant(seconds: 8))
        XCTAssertEqual(TerminalInput.latestInput(atimeSeconds: 8), Instant(seconds: 16))
        XCTAssertEqual(TerminalInput.latestInput(atimeSeconds: -1), Instant(seconds: 0))
    }

    /// The kernel keeps the atime while input stays in its bucket; whatever the real input moment, the
    /// bound is never before it and at most 8 s after it.
    func testBoundNeverPrecedesRealInput() {
        for stored in Int64(1000)..<1016 {
            let bucketEnd = (stored / 8 + 1) * 8
            for real in stored..<bucketEnd {
                let bound = TerminalInput.latestInput(atimeSeconds: stored)
                XCTAssertGreaterThanOrEqual(bound, Instant(seconds: real))
                XCTAssertLessThanOrEqual(bound - Instant(seconds: stored), .seconds(8))
            }
        }
    }
}
