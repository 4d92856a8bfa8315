/// The open or close datagram of one login, as the PAM module sends it: the pid of the process that called the
/// module and the PAM items, byte for byte. The daemon reads the start time and session id from /proc and looks
/// the user up itself, so a login pays for neither here. A record the module spools (the daemon could not take
/// it at once) carries the caller's start time too: the daemon reads it later, when the pid may name another
/// process.
///
/// This is the module's own encoder: pam_idlewarden.so compiles this file in (Embedded Swift), and so does the
/// IdleWardenWire library, so the unit tests check the very bytes the module sends. `Bytes` is whatever holds
/// the items: the module's buffers over libpam's strings, arrays in the tests.
public struct SessionDatagram<Bytes: Collection<UInt8>> {
    public var phase: SessionPhase
    public var pid: Int32
    /// /proc/PID/stat field 22 of `pid`; only in spooled records.
    public var startTime: UInt64?
    /// The inode of the caller's PID namespace (/proc/self/ns/pid); only in spooled records: the pid means
    /// something only in that namespace, and the kernel does not translate a file as it does credentials.
    public var pidNamespace: UInt64?
    public var user: Bytes
    public var service: Bytes
    public var tty: Bytes?
    public var rhost: Bytes?
    public var xdisplay: Bytes?
    public var xdgSessionID: Bytes?
    public var xdgSessionType: Bytes?
    /// Policy arguments of the pam.d line (`idle_timeout=30m`), passed on verbatim for the daemon to validate.
    public var overrides: [Bytes]

    public init(
        phase: SessionPhase, pid: Int32, startTime: UInt64? = nil, pidNamespace: UInt64? = nil, user: Bytes,
        service: Bytes, tty: Bytes? = nil, rhost: Bytes? = nil, xdisplay: Bytes? = nil, xdgSessionID: Bytes? = nil,
        xdgSessionType: Bytes? = nil, overrides: [Bytes] = []
    ) {
        self.phase = phase
        self.pid = pid
        self.startTime = startTime
        self.pidNamespace = pidNamespace
        self.user = user
        self.service = service
        self.tty = tty
        self.rhost = rhost
        self.xdisplay = xdisplay
        self.xdgSessionID = xdgSessionID
        self.xdgSessionType = xdgSessionType
        self.overrides = overrides
    }

    /// The datagram, or why it cannot be sent whole: a value longer than its field allows, more than
    /// `Datagram.maxOverrides` overrides, or more than `Datagram.requestLimit` bytes in all. Nothing is cut or
    /// left out, so a session is registered with what PAM said or not at all.
    public func encoded() throws(WireError) -> [UInt8] {
        guard overrides.count <= Datagram.maxOverrides else { throw .tooManyOverrides(limit: Datagram.maxOverrides) }
        var writer = DatagramWriter(kind: phase.kind)
        writer.append(.pid, integer: UInt64(UInt32(bitPattern: pid)))
        if let startTime { writer.append(.startTime, integer: startTime) }
        if let pidNamespace { writer.append(.pidNamespace, integer: pidNamespace) }
        try writer.append(.user, bytes: user)
        try writer.append(.service, bytes: service)
        if let tty { try writer.append(.tty, bytes: tty) }
        if let rhost { try writer.append(.rhost, bytes: rhost) }
        if let xdisplay { try writer.append(.xdisplay, bytes: xdisplay) }
        if let xdgSessionID { try writer.append(.xdgSessionID, bytes: xdgSessionID) }
        if let xdgSessionType { try writer.append(.xdgSessionType, bytes: xdgSessionType) }
        for value in overrides { try writer.append(.policyOverride, bytes: value) }
        guard writer.bytes.count <= Datagram.requestLimit else {
            throw .oversized(size: writer.bytes.count, limit: Datagram.requestLimit)
        }
        return writer.bytes
    }
}
