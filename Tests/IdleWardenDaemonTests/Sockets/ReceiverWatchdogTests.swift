import IdleWardenCore
import XCTest
@testable import IdleWardenDaemon

/// When the daemon kills the control receiver and when it starts another, with time as a value.
final class ReceiverWatchdogTests: XCTestCase {
    private let start = Instant(seconds: 1_000_000)
    private let alice = Sender(pid: 42, uid: 1001, gid: 1001, address: [1, 0, 0, 0x61])

    private func pending(at moment: Instant, _ payload: [UInt8] = [1, 2, 3], descriptors: Bool = false)
        -> ReceiverWatchdog.Pending
    {
        .init(since: moment, sender: alice, payload: payload, carriesDescriptors: descriptors)
    }

    /// Forwarded and dequeued: nothing to watch. Forwarded and not dequeued: killed at exactly `patience`, not a
    /// millisecond before, with who sent what it was stuck on.
    func testStalledReceiverIsKilledAfterPatience() {
        var watchdog = ReceiverWatchdog(startedAt: start)
        XCTAssertNil(watchdog.deadline)
        XCTAssertFalse(watchdog.forwarded(pending(at: start)))
        watchdog.consumed()
        XCTAssertNil(watchdog.deadline)

        let stuck = pending(at: start + .seconds(1), descriptors: true)
        XCTAssertFalse(watchdog.forwarded(stuck))
        XCTAssertEqual(watchdog.deadline, stuck.since + ReceiverWatchdog.patience)
        let justBefore = stuck.since + ReceiverWatchdog.patience - .milliseconds(1)
        XCTAssertNil(watchdog.due(now: justBefore, receiverIsRunnable: false))
        XCTAssertEqual(watchdog.due(now: stuck.since + .milliseconds(300), receiverIsRunnable: false),
                       .kill(pending: stuck, waited: .milliseconds(300)))
        XCTAssertEqual(watchdog.exited(now: stuck.since + .milliseconds(310)), .start,
                       "a killed receiver is replaced at once")
        watchdog.started(now: stuck.since + .milliseconds(320))
        XCTAssertEqual(watchdog.phase, .running(dequeuing: nil))
    }

    /// The next receiver forwards again the datagram the killed one may not have dequeued: that copy is watched
    /// like any other but reported as a repeat (not acted on twice); only the first frame after the kill can be.
    func testCopyOfTheInterruptedDatagramIsARepeat() {
        var watchdog = ReceiverWatchdog(startedAt: start)
        let stuck = pending(at: start)
        _ = watchdog.forwarded(stuck)
        _ = watchdog.due(now: start + .seconds(1), receiverIsRunnable: false)
        _ = watchdog.exited(now: start + .seconds(1))
        watchdog.started(now: start + .seconds(1))
        XCTAssertTrue(watchdog.forwarded(pending(at: start + .seconds(2))))
        XCTAssertEqual(watchdog.deadline, start + .seconds(2) + ReceiverWatchdog.patience, "the copy is watched too")
        watchdog.consumed()
        XCTAssertFalse(watchdog.forwarded(pending(at: start + .seconds(3))), "a later identical request is acted on")

        var other = ReceiverWatchdog(startedAt: start)
        _ = other.forwarded(stuck)
        _ = other.due(now: start + .seconds(1), receiverIsRunnable: false)
        _ = other.exited(now: start + .seconds(1))
        other.started(now: start + .seconds(1))
        XCTAssertFalse(other.forwarded(pending(at: start + .seconds(2), [9])), "another datagram is no repeat")
    }

    /// A receiver killed for being slow (a loaded machine, not a stalled close) may still write before it dies:
    /// that is read and followed, so only the datagram it was dequeuing when it died can come again.
    func testSlowReceiverThatWritesAfterTheKill() {
        var watchdog = ReceiverWatchdog(startedAt: start)
        _ = watchdog.forwarded(pending(at: start, [1]))
        XCTAssertNotNil(watchdog.due(now: start + .seconds(1), receiverIsRunnable: false))
        watchdog.consumed()
        XCTAssertFalse(watchdog.forwarded(pending(at: start + .seconds(1), [2])), "a late datagram is acted on")
        XCTAssertEqual(watchdog.exited(now: start + .seconds(1)), .start)
        watchdog.started(now: start + .seconds(1))
        XCTAssertTrue(watchdog.forwarded(pending(at: start + .seconds(2), [2])), "its copy is the repeat")
        watchdog.consumed()

        var clean = ReceiverWatchdog(startedAt: start)
        _ = clean.forwarded(pending(at: start, [1]))
        _ = clean.due(now: start + .seconds(1), receiverIsRunnable: false)
        clean.consumed()
        _ = clean.exited(now: start + .seconds(1))
        clean.started(now: start + .seconds(1))
        XCTAssertFalse(clean.forwarded(pending(at: start + .seconds(2), [1])), "it had dequeued all it forwarded")
    }

    /// A receiver that is runnable when its patience runs out is waiting for a CPU, not stuck in a close: it is
    /// looked at again a patience later, and killed only once it sleeps, or after `longestPatience` in any case.
    func testRunnableReceiverGetsMoreTimeUpToALimit() {
        var watchdog = ReceiverWatchdog(startedAt: start)
        let slow = pending(at: start)
        _ = watchdog.forwarded(slow)
        var now = start + ReceiverWatchdog.patience
        XCTAssertNil(watchdog.due(now: now, receiverIsRunnable: true))
        XCTAssertEqual(watchdog.deadline, now + ReceiverWatchdog.patience)
        now = now + ReceiverWatchdog.patience
        guard case .kill(_, let waited)? = watchdog.due(now: now, receiverIsRunnable: false) else {
            return XCTFail("a receiver asleep past its patience was not killed")
        }
        XCTAssertEqual(waited, .milliseconds(500))

        var spinning = ReceiverWatchdog(startedAt: start)
        _ = spinning.forwarded(slow)
        now = start
        var checks = 0
        while true {
            now = spinning.deadline!
            checks += 1
            if case .kill = spinning.due(now: now, receiverIsRunnable: true) { break }
        }
        XCTAssertEqual(now - start, ReceiverWatchdog.longestPatience)
        XCTAssertEqual(checks, 20)
    }

    /// A killed receiver that does not exit (an uninterruptible sleep) is left behind after `exitWait`.
    func testKilledReceiverThatDoesNotExitIsReplacedAfterTheWait() {
        var watchdog = ReceiverWatchdog(startedAt: start)
        _ = watchdog.forwarded(pending(at: start))
        let killedAt = start + ReceiverWatchdog.patience
        XCTAssertNotNil(watchdog.due(now: killedAt, receiverIsRunnable: false))
        XCTAssertEqual(watchdog.deadline, killedAt + ReceiverWatchdog.exitWait)
        let justBefore = killedAt + ReceiverWatchdog.exitWait - .milliseconds(1)
        XCTAssertNil(watchdog.due(now: justBefore, receiverIsRunnable: false))
        XCTAssertEqual(watchdog.due(now: killedAt + ReceiverWatchdog.exitWait, receiverIsRunnable: false), .start)
    }

    /// A receiver that dies on its own is started again at once, unless it keeps dying young: then after 100 ms,
    /// 200 ms, ... up to 10 s; one that lived long starts at once again.
    func testReceiverDyingYoungIsRestartedWithAGrowingDelay() {
        var watchdog = ReceiverWatchdog(startedAt: start)
        var now = start + .seconds(60)
        XCTAssertEqual(watchdog.exited(now: now), .start)
        watchdog.started(now: now)
        var delays: [Int64] = []
        for _ in 0..<9 {
            now = now + .seconds(1)
            XCTAssertNil(watchdog.exited(now: now))
            let restart = watchdog.deadline!
            delays.append((restart - now).milliseconds)
            XCTAssertNil(watchdog.due(now: restart - .milliseconds(1), receiverIsRunnable: false))
            XCTAssertEqual(watchdog.due(now: restart, receiverIsRunnable: false), .start)
            now = restart
            watchdog.started(now: now)
        }
        XCTAssertEqual(delays, [100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000])
        now = now + .seconds(30)
        XCTAssertEqual(watchdog.exited(now: now), .start)
    }

    /// Setting the wall clock moves the watched moments with it: no kill for a jump forward.
    func testClockJumpMovesTheDeadline() {
        var watchdog = ReceiverWatchdog(startedAt: start)
        _ = watchdog.forwarded(pending(at: start))
        watchdog.shift(by: .seconds(3600))
        XCTAssertNil(watchdog.due(now: start + .seconds(3600) + .milliseconds(100), receiverIsRunnable: false))
        XCTAssertEqual(watchdog.deadline, start + .seconds(3600) + ReceiverWatchdog.patience)
    }
}
