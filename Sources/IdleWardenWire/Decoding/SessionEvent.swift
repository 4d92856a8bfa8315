/// A login session opening or closing, as the daemon reads the PAM module's datagram (`SessionDatagram`).
public struct SessionEvent: Equatable, Sendable {
    public var phase: SessionPhase
    /// The process that called the module (sshd's `[priv]` monitor, login, su).
    public var pid: Int32
    /// Its start time in clock ticks since boot (/proc/PID/stat field 22), its session id and the user's uid.
    /// The module sends the start time only in a spooled record, and the others no longer (the daemon reads /proc
    /// and looks the user up); a datagram that carries them, from a module of an earlier release still loaded in a
    /// running sshd, has them checked.
    public var startTime: UInt64?
    /// The inode of the module's PID namespace, in a spooled record (see `SessionDatagram.pidNamespace`).
    public var pidNamespace: UInt64?
    public var sid: Int32?
    public var uid: UInt32?
    public var user: String
    public var service: String
    public var tty: String?
    /// PAM_RHOST as `EscapedText` keeps it: printable, whatever bytes the login program passed on.
    public var rhost: String?
    public var xdisplay: String?
    public var xdgSessionID: String?
    public var xdgSessionType: String?
    /// Policy arguments from the pam.d line, such as `idle_timeout=30m`; the daemon validates them.
    public var overrides: [String]

    public init(
        phase: SessionPhase, pid: Int32, startTime: UInt64? = nil, pidNamespace: UInt64? = nil, sid: Int32? = nil,
        uid: UInt32? = nil, user: String, service: String, tty: String? = nil, rhost: String? = nil, xdisplay: String? = nil,
        xdgSessionID: String? = nil, xdgSessionType: String? = nil, overrides: [String] = []
    ) {
        self.phase = phase
        self.pid = pid
        self.startTime = startTime
        self.pidNamespace = pidNamespace
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
        .pid, .startTime, .pidNamespace, .sid, .uid, .user, .service, .tty, .rhost, .xdisplay, .xdgSessionID, .xdgSessionType,
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
        pidNamespace = reader.integer(.pidNamespace)
        sid = reader.integer(.sid).map { Int32(truncatingIfNeeded: $0) }
        uid = reader.integer(.uid).map { UInt32(truncatingIfNeeded: $0) }
        user = try reader.requiredText(.user)
        service = try reader.requiredText(.service)
        tty = reader.text(.tty)
        rhost = reader.bytes(.rhost).map(EscapedText.escaping)
        xdisplay = reader.text(.xdisplay)
        xdgSessionID = reader.text(.xdgSessionID)
        xdgSessionType = reader.text(.xdgSessionType)
        overrides = reader.allTexts(.policyOverride)
        guard overrides.count <= Datagram.maxOverrides else { throw .tooManyOverrides(limit: Datagram.maxOverrides) }
    }
}
