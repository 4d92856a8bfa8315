import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// The system's clocks, read through clock_gettime.
struct SystemClock: DaemonClock {
    func now() -> Instant {
        let spec = Self.read(CLOCK_REALTIME)
        return Instant(milliseconds: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }

    /// CLOCK_BOOTTIME counts suspend and is never set.
    func sample() -> ClockSample {
        let wall = now()
        let boot = Self.read(CLOCK_BOOTTIME)
        return ClockSample(wall: wall, boot: Int64(boot.tv_sec) * 1000 + Int64(boot.tv_nsec) / 1_000_000)
    }

    func monotonicMicroseconds() -> UInt64 {
        let spec = Self.read(CLOCK_MONOTONIC)
        return UInt64(spec.tv_sec) * 1_000_000 + UInt64(spec.tv_nsec) / 1000
    }

    func bootID() -> String? {
        ProcText.bytes(of: "/proc/sys/kernel/random/boot_id").map { String(decoding: $0, as: UTF8.self).trimmingSpaces }
    }

    private static func read(_ clock: clockid_t) -> timespec {
        var spec = timespec()
        clock_gettime(clock, &spec)
        return spec
    }
}
