/// A login session opening or closing, as reported by the PAM module from inside the login process.
public struct SessionEvent: Equatable, Sendable {
    public enum Phase: Equatable, Sendable { case open, close }

    public var phase: Phase
    /// The process that called the module (sshd's `[priv]` monitor, login, su) and its start time in clock
    /// ticks since boot (/proc/PID/stat field 22): together they name the process even after pid reuse.
    public var pid: Int32
    public var startTime: UInt64
    public var sid: Int32
    public var uid: UInt32
    public var user: String
    public var service: String
    public var tty: String?
    public var rhost: String?
    public var xdgSessionID: String?
    /// Policy arguments from the pam.d line, such as `idle_timeout=30m`; the daemon validates them.
    public var overrides: [String]

    public init(
        phase: Phase, pid: Int32, startTime: UInt64, sid: Int32, uid: UInt32, user: String, service: String,
        tty: String? = nil, rhost: String? = nil, xdgSessionID: String? = nil, overrides: [String] = []
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
        self.xdgSessionID = xdgSessionID
        self.overrides = overrides
    }

    static let fields: [FieldTag] = [
        .pid, .startTime, .sid, .uid, .user, .service, .tty, .rhost, .xdgSessionID, .policyOverride,
    ]

    public init(_ reader: DatagramReader) throws(WireError) {
        switch reader.kind {
        case .open: phase = .open
        case .close: phase = .close
        default: throw .unknownKind(reader.kind.rawValue)
        }
        try reader.requireOnly(Self.fields)
        pid = Int32(truncatingIfNeeded: try reader.requiredInteger(.pid))
        startTime = try reader.requiredInteger(.startTime)
        sid = Int32(truncatingIfNeeded: try reader.requiredInteger(.sid))
        uid = UInt32(truncatingIfNeeded: try reader.requiredInteger(.uid))
        user = try reader.requiredText(.user)
        service = try reader.requiredText(.service)
        tty = reader.text(.tty)
        rhost = reader.text(.rhost)
        xdgSessionID = reader.text(.xdgSessionID)
        overrides = reader.allTexts(.policyOverride)
        guard overrides.count <= Datagram.maxOverrides else { throw .tooManyOverrides(limit: Datagram.maxOverrides) }
    }

    public func encoded() throws(WireError) -> [UInt8] {
        var writer = DatagramWriter(kind: phase == .open ? .open : .close)
        writer.append(.pid, integer: UInt64(UInt32(bitPattern: pid)))
        writer.append(.startTime, integer: startTime)
        writer.append(.sid, integer: UInt64(UInt32(bitPattern: sid)))
        writer.append(.uid, integer: UInt64(uid))
        try writer.append(.user, text: user)
        try writer.append(.service, text: service)
        if let tty { try writer.append(.tty, text: tty) }
        if let rhost { try writer.append(.rhost, text: rhost) }
        if let xdgSessionID { try writer.append(.xdgSessionID, text: xdgSessionID) }
        for value in overrides { try writer.append(.policyOverride, text: value) }
        return writer.bytes
    }
}
