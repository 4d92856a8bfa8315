/// What kind of login a session is, for the `types` match key of a [[rule]]: a terminal login (console, ssh, su,
/// or no terminal at all) or a desktop on an X display. Display managers (GDM, LightDM, SDDM, xdm) register
/// their sessions with PAM_TTY set to the display, ":0"; that is what marks a session as graphical.
public enum SessionType: String, CaseIterable, Equatable, Hashable, Sendable, Codable {
    case tty
    case x11

    /// The X display named by a PAM_TTY of the form ":N" or ":N.M" (digits), else nil. Remote displays
    /// ("host:0") are not local desktops and are not recognised.
    public static func display(fromPAMTTY tty: String?) -> String? {
        guard let tty, tty.first == ":" else { return nil }
        let parts = tty.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count),
              parts.allSatisfy({ !$0.isEmpty && $0.count <= 9 && $0.allSatisfy { ("0"..."9").contains($0) } })
        else { return nil }
        return tty
    }
}

extension SessionFacts {
    /// The X display of a graphical session (PAM_TTY ":N"), nil for a terminal session.
    public var display: String? { SessionType.display(fromPAMTTY: tty) }

    public var sessionType: SessionType { display != nil ? .x11 : .tty }
}

extension Session {
    /// Whether the session's X display is watched for input: it has one and `graphical` is on for it.
    public var isDisplayChecked: Bool { facts.display != nil && limits.graphical }

    /// Records the last input the X server saw (now - its idle time), with millisecond precision. Returns true
    /// when it is newer than any input known so far; like terminal input it cancels an idle warning. Input the
    /// server saw before the session opened (the greeter's) is not input in this session.
    @discardableResult
    public mutating func observeDisplayInput(at moment: Instant) -> Bool {
        guard moment > openedAt, moment > lastInput else { return false }
        lastInput = moment
        if warning?.reason == .idle { warning = nil }
        return true
    }
}
