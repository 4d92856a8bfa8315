import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// The texts written to a user's terminals. They say who is affected, why, when, and what to do, and use
/// CR LF because the terminal may be in raw mode (an editor, a full-screen program).
public enum Notice {
    public static func warning(for session: Session, deadline: Instant, reason: EndReason, now: Instant) -> String {
        let remaining = max(0, (deadline - now).wholeSeconds)
        let when = "at \(clockTime(deadline)) (in \(ConfigDuration.format(.seconds(remaining))))"
        switch reason {
        case .idle:
            if let template = session.limits.warnMessage {
                let text = template.render(NoticeTemplate.Values(
                    user: session.facts.user, session: session.id,
                    idle: ConfigDuration.format(.seconds(session.idle(now: now).wholeSeconds)),
                    left: ConfigDuration.format(.seconds(remaining)), deadline: clockTime(deadline),
                    stay: stayText))
                return "\r\n\u{7}*** idlewarden: " + text.replacing("\n", with: "\r\n") + " ***\r\n"
            }
            return "\r\n\u{7}*** idlewarden: session \(session.id) of \(session.facts.user) has had no input for "
                + "at least \(atLeast(session.idle(now: now))). It will be logged out "
                + "\(when). \(stayText). ***\r\n"
        case .maxSession:
            return "\r\n\u{7}*** idlewarden: session \(session.id) of \(session.facts.user) reaches its maximum "
                + "length of \(ConfigDuration.format(session.limits.maxSession ?? .zero)) and will be logged out "
                + "\(when). Save your work now. ***\r\n"
        }
    }

    /// How to stay, as a terminal user does it; a desktop's notice says "Move the mouse or press a key" instead.
    static let stayText = "Press any key to stay logged in"

    public static func farewell(for session: Session, reason: EndReason, now: Instant) -> String {
        switch reason {
        case .idle:
            return "\r\n*** idlewarden: session \(session.id) logged out after at least "
                + "\(atLeast(session.idle(now: now))) without input. ***\r\n"
        case .maxSession:
            return "\r\n*** idlewarden: session \(session.id) logged out: maximum session length of "
                + "\(ConfigDuration.format(session.limits.maxSession ?? .zero)) reached. ***\r\n"
        }
    }

    /// An idle time as a lower bound the user can read: whole minutes from one minute on. The recorded idle time
    /// is already a lower bound (the kernel records input in 8-second steps, see `TerminalInput`), so rounding
    /// it down keeps the text true: the user was idle at least this long, maybe up to 8 s more.
    static func atLeast(_ idle: Duration) -> String {
        let seconds = max(0, idle.wholeSeconds)
        return ConfigDuration.format(.seconds(seconds >= 60 ? seconds / 60 * 60 : seconds))
    }

    /// Local wall-clock time of day, as the user's `date` would show it.
    public static func clockTime(_ instant: Instant) -> String {
        var seconds = time_t(instant.seconds)
        var parts = tm()
        guard localtime_r(&seconds, &parts) != nil else { return "\(instant.seconds)" }
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%H:%M:%S %Z", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
