/// The wall clock and the boot clock read together. Terminal atimes are wall-clock times, so deadlines are
/// too; the boot clock (CLOCK_BOOTTIME: monotonic, counts suspend) tells a real passage of time from a
/// clock being set.
///
/// The rule: time that passed on the boot clock counts (a suspended laptop or a sleeping daemon stays idle
/// all along); a change of the wall clock that the boot clock did not see is a jump, and every recorded
/// instant is moved by it, so a jump neither ends every session at once nor lets them live forever.
public struct ClockSample: Equatable, Sendable, Codable {
    public var wall: Instant
    /// Milliseconds since boot.
    public var boot: Int64

    public init(wall: Instant, boot: Int64) {
        self.wall = wall
        self.boot = boot
    }

    /// Drift below this is not a jump: NTP slews, and the two clocks are not read at the same instant.
    public static let tolerance: Duration = .seconds(2)

    /// How far the wall clock was set between `earlier` and `self`, or nil when it only ran.
    public func jump(since earlier: ClockSample) -> Duration? {
        let wallElapsed = wall - earlier.wall
        let bootElapsed = Duration.milliseconds(boot - earlier.boot)
        let jump = wallElapsed - bootElapsed
        return (jump > Self.tolerance || jump < .zero - Self.tolerance) ? jump : nil
    }
}
