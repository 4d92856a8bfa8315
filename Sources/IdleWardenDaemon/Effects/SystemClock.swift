import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's clock reads. Terminal atimes are wall-clock times, so deadlines are too; the boot clock
/// (counts suspend, never set) is read beside it to tell elapsed time from a clock being set.
public enum WallClock {
    public static func sample() -> ClockSample {
        var spec = timespec()
        clock_gettime(CLOCK_BOOTTIME, &spec)
        return ClockSample(wall: now(), boot: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }

    /// Identifies this boot, so a saved clock sample is compared only with samples of the same boot.
    public static func bootID() -> String? {
        ProcText.bytes(of: "/proc/sys/kernel/random/boot_id").map { String(decoding: $0, as: UTF8.self).trimmingSpaces }
    }

    public static func now() -> Instant {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Instant(milliseconds: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }
}
