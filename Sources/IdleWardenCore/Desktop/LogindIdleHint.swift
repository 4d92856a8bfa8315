/// A session's idle hint as systemd-logind holds it (org.freedesktop.login1.Session). A desktop (GNOME, KDE,
/// xss-lock, swayidle, ...) sets it with SetIdleHint when it goes idle by its own idle delay and again on input;
/// logind stamps each change with CLOCK_MONOTONIC. It is the one idle source Wayland sessions have.
public struct LogindIdleHint: Equatable, Sendable {
    public var idle: Bool
    /// When the hint last changed, CLOCK_MONOTONIC microseconds; 0 when it never changed.
    public var sinceMonotonicMicroseconds: UInt64
    /// logind's session type: x11, wayland, mir, tty, unspecified.
    public var type: String
    /// The pid logind counts as the session's leader: the process that opened it through pam_systemd.
    public var leader: UInt32

    public init(idle: Bool, sinceMonotonicMicroseconds: UInt64, type: String, leader: UInt32) {
        self.idle = idle
        self.sinceMonotonicMicroseconds = sinceMonotonicMicroseconds
        self.type = type
        self.leader = leader
    }

    /// Session types whose hint is the desktop's own; for the others logind derives it from a terminal's atime.
    public static let graphicalTypes: Set<String> = ["x11", "wayland", "mir"]

    /// What the hint says about the session whose login process is `leader`, given the wall clock and
    /// CLOCK_MONOTONIC (microseconds) read together. The moment the desktop declared idleness is converted by
    /// the monotonic time elapsed since, so a wall-clock change cannot move it. That moment is the desktop's
    /// idle delay after the last input, so the session is counted idle later than it was, never earlier.
    public func activity(leader login: UInt32, now: Instant, monotonicMicroseconds: UInt64) -> LogindActivity {
        guard Self.graphicalTypes.contains(type) else {
            return .unknown("logind registers the session as type \(type), so its idle hint is not a desktop's")
        }
        guard leader == login else {
            return .unknown("the logind session of pid \(login) was opened by pid \(leader), another login")
        }
        guard sinceMonotonicMicroseconds != 0 else {
            return .unknown("the desktop has not reported idleness to logind (IdleHint never set)")
        }
        guard idle else { return .active }
        let elapsed = monotonicMicroseconds >= sinceMonotonicMicroseconds
            ? (monotonicMicroseconds - sinceMonotonicMicroseconds) / 1000 : 0
        return .idleSince(now - .milliseconds(Int64(min(elapsed, UInt64(Int64.max / 2)))))
    }
}
