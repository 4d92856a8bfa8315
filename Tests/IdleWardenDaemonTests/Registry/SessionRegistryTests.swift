import IdleWardenCore
import XCTest
@testable import IdleWardenDaemon

/// The registry on its own: one insert, one remove, and every index agreeing with the entries.
final class SessionRegistryTests: XCTestCase {
    private func entry(_ id: Int, pid: Int32? = nil, start: UInt64 = 1, handle: Int32? = nil) -> SessionRegistry.Entry {
        let session = Session(
            id: String(id), facts: SessionFacts(user: "u\(id)", uid: 1000, groups: [], service: "sshd"),
            leader: ProcessIdentity(pid: pid ?? Int32(id) + 100, startTime: start), sid: 1,
            openedAt: Instant(seconds: 1000), limits: Limits())
        return SessionRegistry.Entry(session: session, leaderHandle: handle)
    }

    /// Every index is empty: nothing of a removed session is left anywhere.
    private func assertEmpty(_ registry: SessionRegistry, file: StaticString = #filePath, line: UInt = #line) {
        var registry = registry
        XCTAssertTrue(registry.isEmpty, file: file, line: line)
        XCTAssertEqual(registry.count, 0, file: file, line: line)
        XCTAssertEqual(registry.orderedIDs, [], file: file, line: line)
        let sizes = registry.indexSizes
        XCTAssertEqual([sizes.sessions, sizes.leaders, sizes.handles, sizes.inhibitors, sizes.deadlines], [0, 0, 0, 0, 0], file: file, line: line)
        XCTAssertNil(registry.nextDue(), file: file, line: line)
    }

    func testLookupByEachIndex() {
        var registry = SessionRegistry()
        registry.insert(entry(1, pid: 500, start: 7, handle: 12))
        registry.insert(entry(2, pid: 600, handle: nil))
        XCTAssertEqual(registry["1"]?.leaderHandle, 12)
        XCTAssertEqual(registry.id(ofLeader: ProcessIdentity(pid: 500, startTime: 7)), "1")
        XCTAssertNil(registry.id(ofLeader: ProcessIdentity(pid: 500, startTime: 8)), "same pid, another process")
        XCTAssertEqual(registry.id(ofHandle: 12), "1")
        XCTAssertEqual(registry.id(ofLeader: ProcessIdentity(pid: 600, startTime: 1)), "2")
        XCTAssertNil(registry.id(ofHandle: 0))
        XCTAssertEqual(registry.orderedIDs, ["1", "2"])
        XCTAssertEqual(Set(registry.sessions.map(\.id)), ["1", "2"])
    }

    func testRemoveTakesASessionOutOfEveryIndex() {
        var registry = SessionRegistry()
        registry.insert(entry(1, pid: 500, handle: 12))
        registry.schedule("1", at: Instant(seconds: 2000))
        XCTAssertEqual(registry.deadline(of: "1"), Instant(seconds: 2000))
        let removed = registry.remove("1")
        XCTAssertEqual(removed?.leaderHandle, 12, "the caller gets the handle to close")
        XCTAssertNil(registry["1"])
        XCTAssertNil(registry.id(ofLeader: ProcessIdentity(pid: 500, startTime: 1)))
        XCTAssertNil(registry.id(ofHandle: 12))
        XCTAssertNil(registry.deadline(of: "1"))
        XCTAssertEqual(registry.popDue(now: Instant(seconds: 3000)), [])
        assertEmpty(registry)
        XCTAssertNil(registry.remove("1"), "a second remove finds nothing")
    }

    /// A descriptor number closed with one session's watch is reused for the next: it names only the new one.
    func testReusedHandleNumberNamesTheNewSessionOnly() {
        var registry = SessionRegistry()
        registry.insert(entry(1, handle: 5))
        registry.insert(entry(2, handle: 6))
        XCTAssertEqual(registry.takeLeaderHandle("1"), 5)
        XCTAssertNil(registry.id(ofHandle: 5))
        XCTAssertNil(registry["1"]?.leaderHandle)
        XCTAssertNotNil(registry["1"], "the session stays; only its watch ended")
        registry.insert(entry(3, handle: 5))
        XCTAssertEqual(registry.id(ofHandle: 5), "3")
        registry.remove("1")
        XCTAssertEqual(registry.id(ofHandle: 5), "3", "removing the old session leaves the new one's handle alone")
        registry.remove("2")
        registry.remove("3")
        assertEmpty(registry)
    }

    /// An inhibitor's handle is indexed with its session and leaves with it; one taken back leaves the index.
    func testInhibitorHandlesLeaveWithTheirSession() {
        var registry = SessionRegistry()
        registry.insert(entry(1, handle: 5))
        let process = ProcessIdentity(pid: 900, startTime: 3)
        XCTAssertTrue(registry.addInhibitorHandle(7, process: process, to: "1"))
        XCTAssertTrue(registry.addInhibitorHandle(8, process: ProcessIdentity(pid: 901, startTime: 4), to: "1"))
        XCTAssertFalse(registry.addInhibitorHandle(9, process: process, to: "2"), "no session 2")
        XCTAssertFalse(registry.addInhibitorHandle(7, process: process, to: "1"), "handle 7 is in use")
        XCTAssertEqual(registry.inhibitor(ofHandle: 7)?.id, "1")
        XCTAssertEqual(registry.inhibitor(ofHandle: 7)?.process, process)
        XCTAssertNil(registry.id(ofHandle: 7), "an inhibitor's handle is not a leader's")
        XCTAssertEqual(registry.takeInhibitorHandle(7)?.process, process)
        XCTAssertNil(registry.inhibitor(ofHandle: 7))
        XCTAssertEqual(registry.indexSizes.inhibitors, 1)
        let removed = registry.remove("1")
        XCTAssertEqual(removed?.inhibitorHandles.keys.sorted(), [8])
        assertEmpty(registry)
    }

    /// A scheduled moment belongs to a registered session only: nothing can be scheduled for one that left.
    func testScheduleFollowsTheSessions() {
        var registry = SessionRegistry()
        registry.insert(entry(1))
        registry.insert(entry(2))
        registry.schedule("1", at: Instant(seconds: 30))
        registry.schedule("2", at: Instant(seconds: 20))
        registry.schedule("9", at: Instant(seconds: 10))
        XCTAssertEqual(registry.nextDue(), Instant(seconds: 20))
        XCTAssertEqual(registry.popDue(now: Instant(seconds: 25)), ["2"])
        registry.unschedule("1")
        XCTAssertNil(registry.nextDue())
        XCTAssertEqual(registry.indexSizes.deadlines, 0)
    }

    func testUpdateChangesAnEntryInPlaceAndNotAMissingOne() {
        var registry = SessionRegistry()
        registry.insert(entry(1))
        let idle = registry.update("1") { entry -> Bool in
            entry.session.terminals = ["/dev/pts/3"]
            entry.display.failureReported = true
            return entry.phase.isWatched
        }
        XCTAssertEqual(idle, true)
        XCTAssertEqual(registry["1"]?.session.terminals, ["/dev/pts/3"])
        XCTAssertEqual(registry["1"]?.display.failureReported, true)
        XCTAssertNil(registry.update("2") { $0.session.terminals = [] })
        XCTAssertNil(registry["2"], "an update never adds a session")
    }

    /// 40,000 sessions in and out, with handle numbers and leaders reused as a busy system reuses them.
    func testManyInsertsAndRemovesLeaveEveryIndexEmpty() {
        var registry = SessionRegistry()
        var live: [Int] = []
        for number in 1...40_000 {
            registry.insert(entry(number, pid: Int32(number % 300) + 2, start: UInt64(number), handle: Int32(number % 64)))
            registry.schedule(String(number), at: Instant(seconds: Int64(number % 97)))
            live.append(number)
            if live.count == 64 || number == 40_000 {
                for id in live { XCTAssertNotNil(registry.remove(String(id))) }
                live.removeAll()
            }
            if number % 8 == 0, let first = live.first { _ = registry.takeLeaderHandle(String(first)) }
        }
        assertEmpty(registry)
    }
}
