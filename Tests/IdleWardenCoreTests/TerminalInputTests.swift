import XCTest
@testable import IdleWardenCore

/// The rule for what counts as input on a terminal, on the times the kernel records (measured on Linux 6.18: a key
/// press stores a whole-second atime and leaves the ctime alone; `touch -a` stores atime = ctime to the
/// nanosecond; `touch -a -d` any atime, ctime now; `mesg n`, chmod and chown move the ctime only).
final class TerminalInputTests: XCTestCase {
    let now = Instant(seconds: 1_000_100)
    /// Last read at 1_000_000, its inode changed long before.
    let before = TerminalStamp.read(at: 1_000_000)

    func judge(_ current: TerminalStamp, since baseline: TerminalStamp? = nil, output: Bool = false)
        -> TerminalEvidence
    {
        TerminalInput.judge(current, since: baseline ?? before, now: now, countOutput: output)
    }

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

    func testFirstSightIsABaselineOnly() {
        XCTAssertEqual(TerminalInput.judge(before, since: nil, now: now, countOutput: false), .firstSight)
    }

    func testKeyPressIsInputAtTheEndOfItsBucket() {
        var pressed = before
        pressed.access = FileTime(seconds: 1_000_090)
        XCTAssertEqual(judge(pressed), .input(latest: Instant(seconds: 1_000_096)))
        XCTAssertEqual(judge(before), .unchanged)
    }

    /// `touch -a "$(tty)"`: atime and ctime both now, to the nanosecond.
    func testTouchWithTheTimeNowIsForged() {
        var touched = before
        touched.access = FileTime(seconds: 1_000_099, nanoseconds: 405_681_849)
        touched.change = touched.access
        XCTAssertEqual(judge(touched), .forged(.fractionalTime))
    }

    /// `touch -a -d 2099-01-01 "$(tty)"`: an atime 73 years ahead, whole seconds.
    func testTouchIntoTheFutureIsForged() {
        var touched = before
        touched.access = FileTime(seconds: 4_070_908_800)
        touched.change = FileTime(seconds: 1_000_099, nanoseconds: 621_681_690)
        XCTAssertEqual(judge(touched), .forged(.futureTime))
        touched.access = FileTime(seconds: now.seconds + 2)
        XCTAssertEqual(judge(touched), .forged(.futureTime), "two seconds ahead is no read either")
    }

    /// `touch -a -d @$(date +%s)`: a whole second, now. It cannot be told from a read after a chmod, so it does not
    /// count; it hides this one look, and a key press after it counts at the next.
    func testWholeSecondTouchHidesOneLookOnly() {
        var touched = before
        touched.access = FileTime(seconds: 1_000_099)
        touched.change = FileTime(seconds: 1_000_099, nanoseconds: 513_681_650)
        XCTAssertEqual(judge(touched), .inodeChanged)
        XCTAssertEqual(judge(touched, since: touched), .unchanged, "the same forged time again is nothing new")
        var pressed = touched
        pressed.access = FileTime(seconds: 1_000_100)
        XCTAssertEqual(judge(pressed, since: touched), .input(latest: Instant(seconds: 1_000_104)))
    }

    /// `mesg n` (chmod), login's chown: the ctime moves, and with it the look it falls in is blind; typing
    /// afterwards counts at the next look.
    func testLegitimateInodeChangeBlindsOneLook() {
        var mesg = before
        mesg.change = FileTime(seconds: 1_000_050, nanoseconds: 726_591_349)
        XCTAssertEqual(judge(mesg), .inodeChanged, "nothing moved with it")
        var typedToo = mesg
        typedToo.access = FileTime(seconds: 1_000_060)
        XCTAssertEqual(judge(typedToo), .inodeChanged, "a read in the same interval cannot be told from a forgery")
        var later = typedToo
        later.access = FileTime(seconds: 1_000_090)
        XCTAssertEqual(judge(later, since: typedToo), .input(latest: Instant(seconds: 1_000_096)))
        var chown = before
        chown.owner = 1002
        XCTAssertEqual(judge(chown), .inodeChanged, "a new owner is a new terminal for the session")
    }

    /// A pty closed and made again at the same path: all three times are its creation time, with a fraction of a
    /// second; that is not a forgery, but nothing counts.
    func testNewPtyAtTheSamePathIsAnInodeChangeNotAForgery() {
        let created = FileTime(seconds: 1_000_098, nanoseconds: 181_681_871)
        let fresh = TerminalStamp(access: created, modification: created, change: created, owner: 1001)
        XCTAssertEqual(judge(fresh), .inodeChanged)
    }

    /// The wall clock was set back after a key press: the read's time lies ahead of now. It was the kernel's, so it
    /// counts, clamped to now.
    func testAtimeAheadWithTheInodeUnchangedIsClampedToNow() {
        var pressed = before
        pressed.access = FileTime(seconds: now.seconds + 3600)
        XCTAssertEqual(judge(pressed), .input(latest: TerminalInput.latestInput(atimeSeconds: now.seconds)))
    }

    /// A read stores the current time, so after the clock was set back the atime moves backwards: still input.
    func testAtimeMovingBackwardsIsAReadAfterTheClockWasSetBack() {
        var pressed = before
        pressed.access = FileTime(seconds: 999_000)
        XCTAssertEqual(judge(pressed), .input(latest: Instant(seconds: 999_008)))
    }

    /// Output counts only where `activity = "input-and-output"`; `touch -m` is forged like `touch -a`; the daemon's
    /// own notice moves only the mtime.
    func testOutputTimesFollowTheSameRule() {
        var written = before
        written.modification = FileTime(seconds: 1_000_097)
        XCTAssertEqual(judge(written), .unchanged)
        XCTAssertEqual(judge(written, output: true), .input(latest: Instant(seconds: 1_000_104)))
        var touched = before
        touched.modification = FileTime(seconds: 1_000_099, nanoseconds: 1)
        touched.change = touched.modification
        XCTAssertEqual(judge(touched, output: true), .forged(.fractionalTime))
    }

    func testAdoptionTakesWhatAReadOrTheCreationCanHaveWritten() {
        XCTAssertEqual(TerminalInput.lastInputAtAdoption(.read(at: 1_000_000), now: now), Instant(seconds: 1_000_008))
        XCTAssertEqual(TerminalInput.lastInputAtAdoption(.read(at: 1_000_099), now: now), now, "never after now")
        let created = FileTime(seconds: 1_000_001, nanoseconds: 5)
        XCTAssertEqual(TerminalInput.lastInputAtAdoption(
            TerminalStamp(access: created, modification: created, change: created, owner: 1), now: now),
            Instant(seconds: 1_000_008))
        var touched = TerminalStamp.read(at: 1_000_000)
        touched.access = FileTime(seconds: 1_000_050, nanoseconds: 7)
        XCTAssertNil(TerminalInput.lastInputAtAdoption(touched, now: now))
        touched.access = FileTime(seconds: 4_070_908_800)
        XCTAssertNil(TerminalInput.lastInputAtAdoption(touched, now: now))
    }

    func testFileTimeShowsAllNineDigits() {
        XCTAssertEqual(FileTime(seconds: 1_767_225_600, nanoseconds: 5).description, "1767225600.000000005")
        XCTAssertEqual(FileTime(seconds: 4_070_908_800).description, "4070908800.000000000")
        XCTAssertFalse(FileTime(seconds: 3).hasFraction)
        XCTAssertTrue(FileTime(seconds: 3, nanoseconds: 1).hasFraction)
    }
}
