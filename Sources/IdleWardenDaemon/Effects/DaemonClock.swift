import IdleWardenCore

/// The clocks the daemon reads. Deadlines are wall-clock moments because terminal atimes are; the boot clock,
/// read beside it, tells time that passed from a wall clock that was set (see `ClockSample`). The daemon reads
/// them only through this protocol, so that unit tests move time by hand.
protocol DaemonClock {
    /// The wall clock.
    func now() -> Instant
    /// The wall clock and the boot clock read together.
    func sample() -> ClockSample
    /// CLOCK_MONOTONIC in microseconds: logind's clock for IdleSinceHintMonotonic.
    func monotonicMicroseconds() -> UInt64
    /// Names this boot, so that a saved clock sample is compared only with samples of the same boot.
    func bootID() -> String?
}
