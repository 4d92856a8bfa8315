/// What kind of login a session is, for the `types` match key of a [[rule]]: a terminal login (console, ssh, su,
/// or no terminal at all), a desktop on an X display, or a Wayland desktop. Display managers (GDM, LightDM, SDDM,
/// xdm) register X sessions with PAM_TTY and/or PAM_XDISPLAY set to the display, ":0"; GDM and SDDM also put
/// XDG_SESSION_TYPE (x11, wayland) into the PAM environment before the session opens.
public enum SessionType: String, CaseIterable, Equatable, Hashable, Sendable, Codable {
    case tty
    case x11
    case wayland

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
    /// The local X display of the session: PAM_XDISPLAY when it names one, else PAM_TTY ":N"; nil otherwise
    /// (a Wayland session has none unless the display manager also names Xwayland's).
    public var display: String? {
        SessionType.display(fromPAMTTY: xdisplay) ?? SessionType.display(fromPAMTTY: tty)
    }

    /// XDG_SESSION_TYPE decides when the display manager set it to a graphical type; else a local X display
    /// makes the session x11. Other values ("tty", "unspecified", "mir") fall back to what the items say.
    public var sessionType: SessionType {
        switch xdgSessionType {
        case "wayland": return .wayland
        case "x11": return .x11
        default: return display != nil ? .x11 : .tty
        }
    }

    /// A desktop (X11 or Wayland) rather than a terminal login.
    public var isGraphical: Bool { sessionType != .tty }
}

extension Session {
    /// Whether the session's desktop is watched for input: it is graphical and `graphical` is on for it.
    public var isDisplayChecked: Bool { facts.isGraphical && limits.graphical }

    /// Records the last input the X server saw (now - its idle time), with millisecond precision. Returns true
    /// when it is newer than any input known so far; like terminal input it cancels an idle warning. Input the
    /// server saw before the session opened (the greeter's) is not input in this session.
    /// An X server's idle time is read through a helper whose start-up delay varies by tens of milliseconds, so
    /// the same last input computes to slightly different moments; only a moment this much newer is new input.
    public static let displayInputTolerance = Duration.seconds(1)

    @discardableResult
    public mutating func observeDisplayInput(at moment: Instant) -> Bool {
        guard moment > openedAt, moment > lastInput + Self.displayInputTolerance else { return false }
        lastInput = moment
        if warning?.reason == .idle { warning = nil }
        return true
    }
}
