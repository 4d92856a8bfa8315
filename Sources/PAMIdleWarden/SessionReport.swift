import CPAM

/// One call of the module: read the PAM items, build one open/close record (`SessionDatagram`, the encoder that the
/// IdleWardenWire tests check), hand it to the daemon without waiting (`Delivery`), and when the daemon cannot take
/// it, leave it in the spool for the daemon to read later (`Spool`).
/// Every way this can fail ends in exactly one `pam_syslog` line naming the reason and the socket, and the
/// module's answer is `PAM_SUCCESS` (fail open) unless the pam.d line says `require_daemon`. With
/// `require_daemon`, an open that the running daemon cannot take is refused (`PAM_SESSION_ERR`) and not spooled:
/// a login the program goes on to abandon must not be registered later.
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

    /// How this handle's open reached the daemon: the module data `idlewarden_registered`, whose value is one of
    /// these two static strings (compared by address; nothing is allocated or freed).
    private enum Registration {
        case delivered, spooled
        static let markName: StaticString = "idlewarden_registered"
        static let deliveredValue: StaticString = "delivered"
        static let spooledValue: StaticString = "spooled"
    }

    private mutating func send() -> Int32 {
        // A close is sent only for an open that was: the daemon knew nothing of the others, and a login whose
        // open failed should not pay for a second failing send and log line when it ends.
        let registration = self.registration
        if phase == .close && registration == nil {
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
        // itself, so a login pays for neither here.
        let pid = getpid()
        var datagram = SessionDatagram(
            phase: phase, pid: pid, user: user, service: service, tty: tty, rhost: rhost,
            xdisplay: item(PAM_XDISPLAY), xdgSessionID: environment("XDG_SESSION_ID"),
            xdgSessionType: environment("XDG_SESSION_TYPE"), overrides: arguments.overrides)
        let record: [UInt8]
        do throws(WireError) {
            record = try datagram.encoded()
        } catch {
            return fail { line in Self.describe(&line, error) }
        }

        // The close of a spooled open is spooled too, so that the daemon reads the two in order.
        let deliveryError = registration == .spooled ? nil : Delivery.deliver(record, to: socket)
        if registration != .spooled && deliveryError == nil {
            if phase == .open { mark(.delivered) }
            debugLine(sent: record.count, to: socket, how: "sent", tty: tty, rhost: rhost, pid: pid)
            return PAM_SUCCESS
        }
        if phase == .open && arguments.requireDaemon {
            return fail { line in Self.describe(&line, sendError: deliveryError ?? 0) }
        }

        // Spooled records name the login process by its start time too: the daemon may read them after the pid
        // was reused.
        let startTime = cpam_self_start_time()
        let pidNamespace = cpam_self_pid_namespace()
        let spoolFailure: Spool.Failure?
        if let spool = Spool(socket: socket) {
            if startTime == 0 {
                spoolFailure = .noStartTime
            } else if pidNamespace == 0 {
                spoolFailure = .noPIDNamespace
            } else {
                datagram.startTime = startTime
                datagram.pidNamespace = pidNamespace
                do throws(WireError) {
                    spoolFailure = spool.write(try datagram.encoded(), phase: phase, pid: pid)
                } catch {
                    return fail { line in Self.describe(&line, error) }
                }
            }
        } else {
            spoolFailure = .relativeSocketPath
        }
        switch spoolFailure {
        case nil:
            if phase == .open { mark(.spooled) }
            if let deliveryError {
                var line = LogLine(phase == .open ? "session open" : "session close")
                line.append(" spooled for idlewarden: ")
                Self.describe(&line, sendError: deliveryError)
                appendContext(&line)
                line.append("; the daemon reads it from the spool when it runs")
                line.log(pamh, priority: LOG_WARNING)
            }
            debugLine(sent: record.count, to: socket, how: "spooled", tty: tty, rhost: rhost, pid: pid)
            return PAM_SUCCESS
        case let failure?:
            return fail { line in
                if let deliveryError {
                    Self.describe(&line, sendError: deliveryError)
                    line.append("; ")
                }
                line.append("not spooled: ")
                Self.describe(&line, failure)
            }
        }
    }

    private func debugLine(sent count: Int, to socket: CBytes, how: StaticString, tty: CBytes?, rhost: CBytes?,
                           pid: Int32) {
        guard arguments.debug else { return }
        var line = LogLine(how)
        line.append(phase == .open ? " session open (" : " session close (")
        line.append(decimal: count)
        line.append(" bytes) for socket ")
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

    /// "; socket ... user ... service ...": who and where, for every line that reports a problem.
    private func appendContext(_ line: inout LogLine) {
        line.append("; socket ")
        line.append(quoted: arguments.socket, limit: 128)
        line.append(" user ")
        line.append(quoted: user)
        line.append(" service ")
        line.append(quoted: service)
    }

    /// Logs why the session was not registered (one line) and answers according to `require_daemon`.
    private func fail(_ reason: (inout LogLine) -> Void) -> Int32 {
        var line = LogLine(phase == .open ? "session open" : "session close")
        line.append(" not registered with idlewarden: ")
        reason(&line)
        appendContext(&line)
        if arguments.requireDaemon {
            line.append("; require_daemon: failing the session")
            line.log(pamh, priority: LOG_ERR)
            return PAM_SESSION_ERR
        }
        line.append("; continuing without the daemon (fail open)")
        line.log(pamh, priority: LOG_WARNING)
        return PAM_SUCCESS
    }

    /// How this handle's open was registered, if it was.
    private var registration: Registration? {
        var data: UnsafeRawPointer? = nil
        guard pam_get_data(pamh, Self.pointer(Registration.markName), &data) == PAM_SUCCESS, let data else {
            return nil
        }
        return data == UnsafeRawPointer(Registration.spooledValue.utf8Start) ? .spooled : .delivered
    }

    private func mark(_ registration: Registration) {
        let value = registration == .spooled ? Registration.spooledValue : Registration.deliveredValue
        _ = pam_set_data(pamh, Self.pointer(Registration.markName),
                         UnsafeMutableRawPointer(mutating: UnsafeRawPointer(value.utf8Start)), nil)
    }

    private static func pointer(_ text: StaticString) -> UnsafePointer<CChar> {
        UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
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
        case EAGAIN, EWOULDBLOCK: line.append("daemon socket backlog is full")
        case EACCES, EPERM: line.append("daemon socket not accessible")
        case ENOTSOCK: line.append("socket path is not a socket")
        case EPROTOTYPE: line.append("socket path is not a session socket (a daemon of an earlier release?)")
        default: line.append("cannot send to the daemon")
        }
        line.append(": ")
        describe(&line, errno: error)
    }

    private static func describe(_ line: inout LogLine, _ failure: Spool.Failure) {
        switch failure {
        case .relativeSocketPath: line.append("the socket path is not absolute or is directly in /")
        case .unsafe(let directory):
            line.append(directory)
            line.append(" is not owned by root or is writable by others")
        case .full: line.append("the spool is full")
        case .noStartTime: line.append("cannot read /proc/self/stat")
        case .noPIDNamespace: line.append("cannot stat /proc/self/ns/pid")
        case .system(let step, let error):
            line.append(step)
            line.append(": ")
            describe(&line, errno: error)
        }
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
