/// The limits that apply to one session, resolved from the config, its rules and the pam.d arguments at the
/// moment the session opens (and again on reload).
public struct Limits: Equatable, Sendable, Codable {
    /// End the session after this long without input.
    public var idleTimeout: Duration
    /// Warn this long before the idle deadline; zero means no warning.
    public var warnBefore: Duration
    /// Time between SIGHUP, SIGTERM and SIGKILL (`signal_interval` in the config; the stored name is kept so that
    /// saved sessions load across the rename).
    public var grace: Duration
    /// Absolute lifetime from open, whatever the activity; nil means none.
    public var maxSession: Duration?
    /// Why the session is never warned or ended; nil for an enforced session.
    public var exemption: Exemption?
    /// Idle-check sessions that have no terminal at all (`ssh host cmd`, sftp).
    public var checkNoTTY: Bool
    /// Whether `idlewarden keepalive` may reset this session's idle clock.
    public var allowKeepalive: Bool
    /// What counts as use: input only, or output too.
    public var activity: ActivityMode
    /// Which processes the end of the session reaches.
    public var end: EndMode
    /// `graphical`: whether a graphical session's display is idle-checked. Stored as an optional so that state
    /// files written before the key existed still load (nil reads as the default, true).
    public var checkGraphical: Bool?
    public var graphical: Bool {
        get { checkGraphical ?? true }
        set { checkGraphical = newValue }
    }
    /// `allow_inhibit`: whether `idlewarden inhibit` may hold this session. Optional for older state files (nil
    /// reads as the default, true).
    public var inhibitAllowed: Bool?
    public var allowInhibit: Bool {
        get { inhibitAllowed ?? true }
        set { inhibitAllowed = newValue }
    }
    /// `max_inhibit`: how long after the last input an inhibitor may hold the session; nil means no bound.
    public var maxInhibit: Duration?
    /// `warn_message`: the site's text of the idle warning; nil for the built-in one.
    public var warnMessage: NoticeTemplate?
    /// `lock_after`: lock the desktop after this long without input, before it is ended; nil for no lock.
    public var lockAfter: Duration?
    /// `warn_again`: warn a second time this long before the end if there was no input since the first
    /// warning; nil for one warning only.
    public var warnAgain: Duration?

    public init(
        idleTimeout: Duration = .seconds(15 * 60), warnBefore: Duration = .seconds(60), grace: Duration = .seconds(10),
        maxSession: Duration? = nil, exemption: Exemption? = nil, checkNoTTY: Bool = false,
        allowKeepalive: Bool = true, activity: ActivityMode = .input, end: EndMode = .session, graphical: Bool = true,
        allowInhibit: Bool = true, maxInhibit: Duration? = nil, warnMessage: NoticeTemplate? = nil,
        warnAgain: Duration? = nil, lockAfter: Duration? = nil
    ) {
        self.idleTimeout = idleTimeout
        self.warnBefore = warnBefore
        self.grace = grace
        self.maxSession = maxSession
        self.exemption = exemption
        self.checkNoTTY = checkNoTTY
        self.allowKeepalive = allowKeepalive
        self.activity = activity
        self.end = end
        self.checkGraphical = graphical
        self.inhibitAllowed = allowInhibit
        self.maxInhibit = maxInhibit
        self.warnMessage = warnMessage
        self.warnAgain = warnAgain
        self.lockAfter = lockAfter
    }
}

/// Why a session is exempt, for `status` and the `event=exempt` audit line.
public enum Exemption: Equatable, Hashable, Sendable, Codable, CustomStringConvertible {
    case user(String)
    case group(String)
    case rule(String)
    case moduleArgument

    public var description: String {
        switch self {
        case .user(let name): return "user:\(name)"
        case .group(let name): return "group:\(name)"
        case .rule(let name): return "rule:\(name)"
        case .moduleArgument: return "pam-argument"
        }
    }
}
