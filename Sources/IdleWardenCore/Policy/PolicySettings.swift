/// The per-session keys that the top level of the config, a [[rule]] or a pam.d line may set. `nil` means "not set
/// here", which is what lets resolution fall through rule → module argument → top level → built-in default key by
/// key instead of a whole rule replacing everything.
public struct PolicySettings: Equatable, Sendable {
    public var idleTimeout: Duration?
    public var warnBefore: Duration?
    public var signalInterval: Duration?
    public var maxSession: Duration?
    /// Only rules and the `exempt` module argument set this; the top level uses exclude_users/exclude_groups.
    public var exempt: Bool?
    public var checkNoTTY: Bool?
    public var allowKeepalive: Bool?
    public var activity: ActivityMode?
    public var end: EndMode?
    public var graphical: Bool?
    public var allowInhibit: Bool?
    public var maxInhibit: Duration?
    public var warnMessage: NoticeTemplate?
    public var warnAgain: Duration?
    public var lockAfter: Duration?

    public init(
        idleTimeout: Duration? = nil, warnBefore: Duration? = nil, signalInterval: Duration? = nil,
        maxSession: Duration? = nil, exempt: Bool? = nil, checkNoTTY: Bool? = nil, allowKeepalive: Bool? = nil,
        activity: ActivityMode? = nil, end: EndMode? = nil, graphical: Bool? = nil,
        allowInhibit: Bool? = nil, maxInhibit: Duration? = nil, warnMessage: NoticeTemplate? = nil,
        warnAgain: Duration? = nil, lockAfter: Duration? = nil
    ) {
        self.idleTimeout = idleTimeout
        self.warnBefore = warnBefore
        self.signalInterval = signalInterval
        self.maxSession = maxSession
        self.exempt = exempt
        self.checkNoTTY = checkNoTTY
        self.allowKeepalive = allowKeepalive
        self.activity = activity
        self.end = end
        self.graphical = graphical
        self.allowInhibit = allowInhibit
        self.maxInhibit = maxInhibit
        self.warnMessage = warnMessage
        self.warnAgain = warnAgain
        self.lockAfter = lockAfter
    }

    /// These settings with every key that `later` sets taken from it: how the top levels of the main file and of
    /// its drop-ins combine (the last file that sets a key wins).
    public func overlaid(by later: PolicySettings) -> PolicySettings {
        PolicySettings(
            idleTimeout: later.idleTimeout ?? idleTimeout, warnBefore: later.warnBefore ?? warnBefore,
            signalInterval: later.signalInterval ?? signalInterval, maxSession: later.maxSession ?? maxSession,
            exempt: later.exempt ?? exempt, checkNoTTY: later.checkNoTTY ?? checkNoTTY,
            allowKeepalive: later.allowKeepalive ?? allowKeepalive, activity: later.activity ?? activity,
            end: later.end ?? end, graphical: later.graphical ?? graphical,
            allowInhibit: later.allowInhibit ?? allowInhibit, maxInhibit: later.maxInhibit ?? maxInhibit,
            warnMessage: later.warnMessage ?? warnMessage, warnAgain: later.warnAgain ?? warnAgain,
            lockAfter: later.lockAfter ?? lockAfter)
    }

    /// True when nothing is set, i.e. a rule with these settings changes nothing.
    public var isEmpty: Bool { self == PolicySettings() }

    /// The keys that are set, with their values as config text, in `PolicyKey` order: for summaries.
    public var entries: [(key: PolicyKey, value: String)] {
        PolicyKey.allCases.compactMap { key in text(of: key).map { (key, $0) } }
    }

    /// The value of `key` as it would be written in the config, or nil when not set.
    public func text(of key: PolicyKey) -> String? {
        switch key {
        case .exempt: return exempt.map(String.init)
        case .idleTimeout: return idleTimeout.map(ConfigDuration.format)
        case .warnBefore: return warnBefore.map(ConfigDuration.format)
        case .signalInterval: return signalInterval.map(ConfigDuration.format)
        case .maxSession: return maxSession.map(ConfigDuration.format)
        case .checkNoTTY: return checkNoTTY.map(String.init)
        case .allowKeepalive: return allowKeepalive.map(String.init)
        case .activity: return activity?.rawValue
        case .end: return end?.rawValue
        case .graphical: return graphical.map(String.init)
        case .allowInhibit: return allowInhibit.map(String.init)
        case .maxInhibit: return maxInhibit.map(ConfigDuration.format)
        case .warnMessage: return warnMessage.map { Self.quoted($0.text) }
        case .warnAgain: return warnAgain.map(ConfigDuration.format)
        case .lockAfter: return lockAfter.map(ConfigDuration.format)
        }
    }

    /// A string as TOML would quote it, for summaries.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("\n", with: "\\n") + "\""
    }
}
