/// A login session opening or closing, as reported by the PAM module from inside the login process.
public struct SessionEvent: Equatable, Sendable {
    public enum Phase: Equatable, Sendable { case open, close }

    public var phase: Phase
    /// The process that called the module (sshd's `[priv]` monitor, login, su).
    public var pid: Int32
    /// Its start time in clock ticks since boot (/proc/PID/stat field 22), its session id and the user's uid.
    /// The module no longer sends them (the daemon reads /proc and looks the user up); a datagram that carries
    /// them, from a module of an earlier release still loaded in a running sshd, has them checked.
    public var startTime: UInt64?
    public var sid: Int32?
    public var uid: UInt32?
    public var user: String
    public var service: String
    public var tty: String?
    public var rhost: String?
    public var xdisplay: String?
    public var xdgSessionID: String?
    public var xdgSessionType: String?
    /// Policy arguments from the pam.d line, such as `idle_timeout=30m`; the daemon validates them.
    public var overrides: [String]

    public init(
        phase: Phase, pid: Int32, startTime: UInt64? = nil, sid: Int32? = nil, uid: UInt32? = nil, user: String,
        service: String, tty: String? = nil, rhost: String? = nil, xdisplay: String? = nil,
        xdgSessionID: String? = nil, xdgSessionType: String? = nil, overrides: [String] = []
    ) {
        self.phase = phase
        self.pid = pid
        self.startTime = startTime
        self.sid = sid
        self.uid = uid
        self.user = user
        self.service = service
        self.tty = tty
        self.rhost = rhost
        self.xdisplay = xdisplay
        self.xdgSessionID = xdgSessionID
        self.xdgSessionType = xdgSessionType
        self.overrides = overrides
    }

    static let fields: [FieldTag] = [
        .pid, .startTime, .sid, .uid, .user, .service, .tty, .rhost, .xdisplay, .xdgSessionID, .xdgSessionType,
        .policyOverride,
    ]

    public init(_ reader: DatagramReader) throws(WireError) {
        switch reader.kind {
        case .open: phase = .open
        case .close: phase = .close
        default: throw .unknownKind(reader.kind.rawValue)
        }
        try reader.requireOnly(Self.fields)
        pid = Int32(truncatingIfNeeded: try reader.requiredInteger(.pid))
        startTime = reader.integer(.startTime)
        sid = reader.integer(.sid).map { Int32(truncatingIfNeeded: $0) }
        uid = reader.integer(.uid).map { UInt32(truncatingIfNeeded: $0) }
        user = try reader.requiredText(.user)
        service = try reader.requiredText(.service)
        tty = reader.text(.tty)
        rhost = reader.text(.rhost)
        xdisplay = reader.text(.xdisplay)
        xdgSessionID = reader.text(.xdgSessionID)
        xdgSessionType = reader.text(.xdgSessionType)
        overrides = reader.allTexts(.policyOverride)
        guard overrides.count <= Datagram.maxOverrides else { throw .tooManyOverrides(limit: Datagram.maxOverrides) }
    }

    public func encoded() throws(WireError) -> [UInt8] {
        var writer = DatagramWriter(kind: phase == .open ? .open : .close)
        writer.append(.pid, integer: UInt64(UInt32(bitPattern: pid)))
        if let startTime { writer.append(.startTime, integer: startTime) }
        if let sid { writer.append(.sid, integer: UInt64(UInt32(bitPattern: sid))) }
        if let uid { writer.append(.uid, integer: UInt64(uid)) }
        try writer.append(.user, text: user)
        try writer.append(.service, text: service)
        if let tty { try writer.append(.tty, text: tty) }
        if let rhost { try writer.append(.rhost, text: rhost) }
        if let xdisplay { try writer.append(.xdisplay, text: xdisplay) }
        if let xdgSessionID { try writer.append(.xdgSessionID, text: xdgSessionID) }
        if let xdgSessionType { try writer.append(.xdgSessionType, text: xdgSessionType) }
        for value in overrides { try writer.append(.policyOverride, text: value) }
        return writer.bytes
    }
}
