import IdleWardenCore
import IdleWardenWire
import XCTest
@testable import IdleWardenDaemon

/// The cache of multi-chunk answers: what one user can make it hold, and that another user's answer survives.
final class ReplyCacheTests: XCTestCase {
    private let now = Instant(seconds: 1_000_000)

    private func answer(_ requestID: UInt32, bytes: Int = 3 * 60_000) -> [ReplyChunk] {
        ReplyChunk.split([UInt8](repeating: 0x7B, count: bytes), requestID: requestID)
    }

    /// A user asking in a loop holds at most its own two slots: another user's answer, stored before, is still
    /// there to be fetched, and so are the user's two newest.
    func testOneUserCannotEvictAnother() {
        var cache = ReplyCache()
        cache.store(answer(1), requestID: 1, uid: 1002, now: now)
        for id in 100..<1100 as Range<UInt32> { cache.store(answer(id), requestID: id, uid: 1001, now: now) }
        XCTAssertNotNil(cache.chunk(requestID: 1, uid: 1002, index: 2))
        XCTAssertNotNil(cache.chunk(requestID: 1099, uid: 1001, index: 1))
        XCTAssertNotNil(cache.chunk(requestID: 1098, uid: 1001, index: 1))
        XCTAssertNil(cache.chunk(requestID: 1097, uid: 1001, index: 1))
        XCTAssertEqual(cache.count, 3)
        XCTAssertNil(cache.chunk(requestID: 1, uid: 1001, index: 1), "only the uid that asked gets the chunk")
    }

    /// All users together: at most `capacity` answers and `byteLimit` bytes, the oldest going first; an answer
    /// larger than the whole limit is not kept, and what expires is dropped with its bytes.
    func testTotalIsBoundedInAnswersAndBytes() {
        var cache = ReplyCache()
        for uid in 0..<200 as Range<UInt32> { cache.store(answer(uid), requestID: uid, uid: 2000 + uid, now: now) }
        XCTAssertEqual(cache.count, cache.capacity)
        XCTAssertNil(cache.chunk(requestID: 0, uid: 2000, index: 0))
        XCTAssertNotNil(cache.chunk(requestID: 199, uid: 2199, index: 0))

        var large = ReplyCache()
        let size = large.byteLimit / 3
        for uid in 0..<5 as Range<UInt32> {
            large.store(answer(uid, bytes: size), requestID: uid, uid: uid + 1, now: now)
        }
        XCTAssertLessThanOrEqual(large.bytes, large.byteLimit)
        XCTAssertEqual(large.count, 3)
        large.store(answer(9, bytes: large.byteLimit + 1), requestID: 9, uid: 9, now: now)
        XCTAssertNil(large.chunk(requestID: 9, uid: 9, index: 0))

        cache.store(answer(5000), requestID: 5000, uid: 1, now: now + .seconds(31))
        XCTAssertEqual(cache.count, 1)
        XCTAssertEqual(cache.bytes, 3 * 60_000)
    }

    /// An answer of one chunk is not kept (there is nothing to fetch later).
    func testSingleChunkAnswerIsNotKept() {
        var cache = ReplyCache()
        cache.store(answer(1, bytes: 10), requestID: 1, uid: 1, now: now)
        XCTAssertEqual(cache.count, 0)
        XCTAssertEqual(cache.bytes, 0)
    }
}
