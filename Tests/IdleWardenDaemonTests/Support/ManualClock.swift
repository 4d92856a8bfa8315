import IdleWardenCore
@testable import IdleWardenDaemon

/// A clock the test moves by hand. Time that passes moves the wall, boot and monotonic clocks together; a wall
/// clock that is set (`setWall`) moves only the wall clock, as `date -s` does.
final class ManualClock: DaemonClock {
    private(set) var wall: Instant
    /// Milliseconds since boot.
    private(set) var boot: Int64
    var bootIdentifier: String? = "test-boot"

    init(wall: Instant = Instant(seconds: 1_750_000_000), boot: Int64 = 3_600_000) {
        self.wall = wall
        self.boot = boot
    }

    func now() -> Instant { wall }
    func sample() -> ClockSample { ClockSample(wall: wall, boot: boot) }
    func monotonicMicroseconds() -> UInt64 { UInt64(boot) * 1000 }
    func bootID() -> String? { bootIdentifier }

    func advance(by duration: Duration) {
        precondition(duration >= .zero, "time does not run backwards; use setWall for a clock that is set")
        wall = wall + duration
        boot += duration.milliseconds
    }

    /// Lets time pass until `moment` (no-op when it is past already).
    func advance(to moment: Instant) {
        if moment > wall { advance(by: moment - wall) }
    }

    /// The wall clock is set by `jump` (forwards or back); no time passes.
    func setWall(by jump: Duration) {
        wall = wall + jump
    }

    /// A new boot: the boot clock starts again and the boot id changes.
    func reboot(id: String) {
        boot = 10_000
        bootIdentifier = id
    }
}
