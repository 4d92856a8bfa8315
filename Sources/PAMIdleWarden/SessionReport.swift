import CPAM

/// One call of the module: read the PAM items, build one open/close datagram (`SessionDatagram`, the encoder that
/// the IdleWardenWire tests check), send it without waiting.
/// Every way this can fail ends in exactly one `pam_syslog` line naming the reason and the socket, and the
/// module's answer is `PAM_SUCCESS` (fail open) unless the pam.d line says `require_daemon`.
struct SessionReport {
    let pamh: OpaquePointer
    let phase: SessionPhase
    let arguments: ModuleArguments
    var user: CBytes? = nil
    var service: CBytes? = nil

    static func run(
        _ phase: SessionPhase, pamh: OpaquePointer, argc: Int32, argv: UnsafeMutablePointer<UnsafePointer<CChar>?>?
    ) -> Int32 {
        var report = SessionReport(
            pamh: pamh, phase: phase, arguments: ModuleArguments(argc: argc, argv: argv, pamh: pamh))
        return report.send()
    }

    /// Names the module data that marks a handle whose open reached the daemon's queue.
    private static let registeredMark: StaticString = "idlewarden_registered"

    private mutating func send() -> Int32 {
        // A close is sent only for an open that was: the daemon knew nothing of the others, and a login whose
        // open failed (daemon down) should not pay for a second failing send and log line when it ends.
        if phase == .close && !isRegistered {
            if arguments.debug {
                LogLine("session close not sent: its open was not registered").log(pamh, priority: LOG_DEBUG)
            }
            return PAM_SUCCESS
        }
        // Read first, so that every failure line can name the user and service.
        user = item(PAM_USER)
        service = item(PAM_SERVICE)
        let socket = arguments.socket
        guard socket.count > 0, socket.count <= Int(truncatingIfNeeded: cpam_max_socket_path()) else {
            return fail { line in
                line.append("socket path is empty or longer than ")
                line.append(decimal: Int(truncatingIfNeeded: cpam_max_socket_path()))
                line.append(" bytes")
            }
        }
        guard let user else { return fail { $0.append("PAM_USER is not set") } }
        guard let service else { return fail { $0.append("PAM_SERVICE is not set") } }
        let tty = item(PAM_TTY)
        let rhost = item(PAM_RHOST)

        // Only the pid: the daemon reads the start time and session id from /proc and looks the user up
        // itself, so a login pays for neither an NSS lookup nor a /proc read here.
        let pid = getpid()
        let datagram: [UInt8]
        do throws(WireError) {
            datagram = try SessionDatagram(
                phase: phase, pid: pid, user: user, service: service, tty: tty, rhost: rhost,
                xdisplay: item(PAM_XDISPLAY), xdgSessionID: environment("XDG_SESSION_ID"),
                xdgSessionType: environment("XDG_SESSION_TYPE"), overrides: arguments.overrides
            ).encoded()
        } catch {
            return fail { line in Self.describe(&line, error) }
        }

        if let error = Sender.send(datagram, to: socket) {
            return fail { line in Self.describe(&line, sendError: error) }
        }
        if phase == .open { markRegistered() }
        if arguments.debug {
            var line = LogLine(phase == .open ? "sent session open" : "sent session close")
            line.append(" (")
            line.append(decimal: datagram.count)
            line.append(" bytes) to socket ")
            line.append(quoted: socket, limit: 128)
            line.append(": user ")
            line.append(quoted: user)
            line.append(" service ")
            line.append(quoted: service)
            line.append(" tty ")
            line.append(quoted: tty)
            line.append(" rhost ")
            line.append(quoted: rhost)
            line.append(" pid ")
            line.append(decimal: Int(pid))
            line.append(" overrides ")
            line.append(decimal: arguments.overrides.count)
            line.log(pamh, priority: LOG_DEBUG)
        }
        return PAM_SUCCESS
    }

    /// Logs why the session was not registered (one line) and answers according to `require_daemon`.
    private func fail(_ reason: (inout LogLine) -> Void) -> Int32 {
        var line = LogLine(phase == .open ? "session open" : "session close")
        line.append(" not registered with idlewarden: ")
        reason(&line)
        line.append("; socket ")
        line.append(quoted: arguments.socket, limit: 128)
        line.append(" user ")
        line.append(quoted: user)
        line.append(" service ")
        line.append(quoted: service)
        if arguments.requireDaemon {
            line.append("; require_daemon: failing the session")
            line.log(pamh, priority: LOG_ERR)
            return PAM_SESSION_ERR
        }
        line.append("; continuing without the daemon (fail open)")
        line.log(pamh, priority: LOG_WARNING)
        return PAM_SUCCESS
    }

    /// Whether this handle's open was sent (see `registeredMark`).
    private var isRegistered: Bool {
        var data: UnsafeRawPointer? = nil
        return pam_get_data(pamh, Self.markName, &data) == PAM_SUCCESS && data != nil
    }

    /// The mark's value is only ever compared with nil, so any static address serves and nothing is freed.
    private func markRegistered() {
        let value = UnsafeMutableRawPointer(mutating: UnsafeRawPointer(Self.registeredMark.utf8Start))
        _ = pam_set_data(pamh, Self.markName, value, nil)
    }

    private static var markName: UnsafePointer<CChar> {
        UnsafeRawPointer(registeredMark.utf8Start).assumingMemoryBound(to: CChar.self)
    }

    /// A string item; nil when unset or unreadable.
    private func item(_ type: Int32) -> CBytes? {
        var value: UnsafeRawPointer? = nil
        guard pam_get_item(pamh, type, &value) == PAM_SUCCESS, let value else { return nil }
        return CBytes(value.assumingMemoryBound(to: CChar.self))
    }

    /// A variable of the PAM environment (set by pam_systemd and the like); nil when unset.
    private func environment(_ name: StaticString) -> CBytes? {
        guard let value = pam_getenv(pamh, UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self))
        else { return nil }
        return CBytes(value)
    }

    private static func describe(_ line: inout LogLine, tooLong tag: FieldTag, length: Int) {
        line.append(tag.logName)
        line.append(" too long (")
        line.append(decimal: length)
        line.append(" bytes, limit ")
        line.append(decimal: tag.limit)
        line.append(")")
    }

    private static func describe(_ line: inout LogLine, _ error: WireError) {
        switch error {
        case .fieldTooLong(let tag, let length, _): describe(&line, tooLong: tag, length: length)
        case .tooManyOverrides(let limit):
            line.append("more than ")
            line.append(decimal: limit)
            line.append(" policy overrides")
        case .oversized(let size, let limit):
            line.append("datagram too large (")
            line.append(decimal: size)
            line.append(" bytes, limit ")
            line.append(decimal: limit)
            line.append(")")
        default: line.append("the datagram cannot be encoded")
        }
    }

    private static func describe(_ line: inout LogLine, sendError error: Int32) {
        switch error {
        case ENOENT: line.append("daemon socket does not exist")
        case ECONNREFUSED: line.append("daemon is not running (connection refused)")
        case EAGAIN, EWOULDBLOCK: line.append("daemon socket queue is full")
        case EACCES, EPERM: line.append("daemon socket not accessible")
        case ENOTSOCK: line.append("socket path is not a socket")
        default: line.append("cannot send to the daemon")
        }
        line.append(": ")
        describe(&line, errno: error)
    }

    private static func describe(_ line: inout LogLine, errno error: Int32) {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 128) { buffer in
            guard let base = buffer.baseAddress else { return }
            base.initialize(to: 0)
            line.append(text: cpam_strerror(error, base, buffer.count))
        }
    }
}

extension FieldTag {
    /// How the module's log lines name a field.
    var logName: StaticString {
        switch self {
        case .user: return "user name"
        case .service: return "PAM_SERVICE"
        case .tty: return "PAM_TTY"
        case .rhost: return "PAM_RHOST"
        case .xdisplay: return "PAM_XDISPLAY"
        case .xdgSessionID: return "XDG_SESSION_ID"
        case .xdgSessionType: return "XDG_SESSION_TYPE"
        case .policyOverride: return "policy override argument"
        default: return "field"
        }
    }
}
