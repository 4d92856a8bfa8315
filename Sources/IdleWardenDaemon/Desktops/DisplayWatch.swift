import CIdleWardenX
import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// Where a graphical session's desktop can be reached, found in the environments of the session's own
/// processes (/proc/PID/environ of members owned by the user): the X authority file for its display, and the
/// user's session bus for notifications. A Wayland session has no X display, only the bus.
public struct DisplayEndpoint: Equatable, Sendable {
    public var display: String?
    public var xauthority: String?
    public var dbusAddress: String?
    public var home: String?

    /// The endpoint for `display` from environments (NUL-separated `KEY=value` blocks), first match wins: an
    /// environment whose DISPLAY is this display, else any environment (the session's first processes, such as a
    /// display manager's session wrapper, may not have DISPLAY set yet while they already have XAUTHORITY).
    public static func find(display: String?, environments: [[UInt8]]) -> DisplayEndpoint {
        var endpoint = DisplayEndpoint(display: display)
        let parsed = environments.map(parse)
        let matching = display.map { display in parsed.filter { $0["DISPLAY"] == display } } ?? []
        for environment in matching + parsed {
            if endpoint.xauthority == nil, let value = environment["XAUTHORITY"], value.hasPrefix("/") {
                endpoint.xauthority = value
            }
            if endpoint.dbusAddress == nil, let value = environment["DBUS_SESSION_BUS_ADDRESS"], !value.isEmpty {
                endpoint.dbusAddress = value
            }
            if endpoint.home == nil, let value = environment["HOME"], value.hasPrefix("/") { endpoint.home = value }
        }
        return endpoint
    }

    static func parse(_ block: [UInt8]) -> [String: String] {
        var result: [String: String] = [:]
        for entry in block.split(separator: 0) {
            guard let equals = entry.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let key = String(decoding: entry[entry.startIndex..<equals], as: UTF8.self)
            if result[key] == nil {
                result[key] = String(decoding: entry[(equals + 1)...], as: UTF8.self)
            }
        }
        return result
    }
}

/// The X server's idle time, read through MIT-SCREEN-SAVER (what `xprintidle` reads). The query runs in a
/// short-lived child, `idlewarden x-idle`, with a deadline: Xlib may block on a stuck server and calls exit()
/// on a broken connection, and neither may reach the daemon.
public enum XIdleQuery {
    /// How long the daemon waits for the helper before it kills it and counts the display as unknown.
    public static let timeoutMilliseconds: Int32 = 500

    /// In the helper process: connect and query, with XAUTHORITY set from `xauthority`.
    public static func queryHere(display: String, xauthority: String?) -> Result<UInt64, QueryError> {
        if let xauthority { setenv("XAUTHORITY", xauthority, 1) }
        var idle: UInt = 0
        var message = [CChar](repeating: 0, count: 256)
        let rc = iw_x_idle_ms(display, &idle, &message, message.count)
        guard rc == 0 else {
            let text = String(decoding: message.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .failure(QueryError(text))
        }
        return .success(UInt64(idle))
    }

    public struct QueryError: Error, Equatable, CustomStringConvertible, Sendable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// The helper's one line: "idle_ms=N" or "error=TEXT".
    public static func parseAnswer(_ text: String) -> Result<UInt64, QueryError> {
        let line = text.split(separator: "\n").first.map(String.init) ?? ""
        if line.hasPrefix("idle_ms="), let value = UInt64(line.dropFirst(8)) { return .success(value) }
        if line.hasPrefix("error=") { return .failure(QueryError(String(line.dropFirst(6)))) }
        return .failure(QueryError("no answer from the x-idle helper"))
    }
}

/// The daemon's side of graphical sessions: finds each session's display endpoint, queries its idle time in a
/// child process, and shows desktop warnings. Holds per-session memory only (nothing persisted): after a restart
/// the endpoint is found again from /proc.
final class DisplayWatch {
    enum Reading: Equatable {
        /// The X server's last input, as a wall-clock moment.
        case lastInput(Instant)
        /// The display could not be asked; the session is neither active nor idle.
        case unknown(String)
    }

    private var endpoints: [String: DisplayEndpoint] = [:]
    /// Sessions whose failed query has been logged: once per session until a query succeeds again.
    private(set) var failing: Set<String> = []
    private var notifiers: [String: pid_t] = [:]
    private let helper: String
    /// logind's idle hints, asked before the X server (see `Daemon.readDesktop`).
    let logind = LogindWatch()

    init() {
        helper = Self.ownExecutable() ?? "/usr/sbin/idlewarden"
    }

    /// The endpoint of `session`'s desktop, looked for again when unknown or when `refresh` is set (the
    /// previous one failed: the session's processes may have moved to another authority file). Without a bus
    /// address in the environments, the user's bus at /run/user/UID/bus (dbus-user-session) is used if it exists.
    func endpoint(of session: Session, table: () -> ProcessTable, refresh: Bool = false) -> DisplayEndpoint? {
        guard session.facts.isGraphical else { return nil }
        let display = session.facts.display
        if !refresh, let known = endpoints[session.id], (display == nil ? known.dbusAddress : known.xauthority) != nil {
            return known
        }
        let members = table().members(of: session.leader, includingLeader: true)
            .filter { $0.realUID == session.facts.uid }
        let environments = members.compactMap { ProcText.bytes(of: "/proc/\($0.pid)/environ", limit: 256 * 1024) }
        var endpoint = DisplayEndpoint.find(display: display, environments: environments)
        let userBus = "/run/user/\(session.facts.uid)/bus"
        if endpoint.dbusAddress == nil, access(userBus, F_OK) == 0 { endpoint.dbusAddress = "unix:path=\(userBus)" }
        endpoints[session.id] = endpoint
        return endpoint
    }

    /// Asks the session's X server for its idle time. Never blocks longer than `XIdleQuery.timeoutMilliseconds`.
    func read(_ session: Session, table: () -> ProcessTable) -> Reading {
        reapNotifiers()
        let refresh = failing.contains(session.id)
        guard let endpoint = endpoint(of: session, table: table, refresh: refresh), let display = endpoint.display
        else {
            return .unknown("no X display")
        }
        var arguments = [
            helper, "x-idle", "--display", display,
            "--uid", String(session.facts.uid), "--gid", String(Self.primaryGID(uid: session.facts.uid)),
        ]
        if let xauthority = endpoint.xauthority { arguments += ["--xauthority", xauthority] }
        let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]
        var output = [CChar](repeating: 0, count: 512)
        let status = Self.withCStrings(arguments) { argv in
            Self.withCStrings(environment) { envp in
                iw_spawn_capture(argv, envp, XIdleQuery.timeoutMilliseconds, &output, output.count)
            }
        }
        let text = String(decoding: output.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let answer: Result<UInt64, XIdleQuery.QueryError>
        switch status {
        case -2: answer = .failure(.init("the X server did not answer within \(XIdleQuery.timeoutMilliseconds) ms"))
        case -1: answer = .failure(.init("cannot start \(helper) x-idle"))
        case 0: answer = XIdleQuery.parseAnswer(text)
        default:
            if case .failure(let error) = XIdleQuery.parseAnswer(text) {
                answer = .failure(error.description == "no answer from the x-idle helper"
                    ? .init("x-idle helper ended with status \(status) (X connection lost)") : error)
            } else {
                answer = .failure(.init("x-idle helper ended with status \(status)"))
            }
        }
        switch answer {
        case .success(let idle):
            // Counted back from when the answer came, not from before the helper started (its start-up varies).
            return .lastInput(WallClock.now() - .milliseconds(Int64(min(idle, UInt64(Int64.max / 2)))))
        case .failure(let error):
            return .unknown(error.description)
        }
    }

    /// Marks a failure as reported; true the first time for this session (log it then, not at every retry).
    func reportFailure(_ id: String) -> Bool { failing.insert(id).inserted }

    /// Marks a successful read; true when a failure had been reported for this session (log its recovery).
    func clearFailure(_ id: String) -> Bool { failing.remove(id) != nil }

    /// Shows `body` on the session's desktop without waiting: a notification on the user's session bus when
    /// the session has one (notify-send, org.freedesktop.Notifications), else, or if that fails, an X message
    /// window (xmessage) when it has an X display. Runs as the user, in its own process group, and ends by
    /// itself after `seconds` (timeout(1) kills it otherwise). Returns how it was started, for the audit line.
    @discardableResult
    func notify(_ session: Session, title: String, body: String, seconds: Int64, table: () -> ProcessTable) -> String {
        reapNotifiers()
        cancelNotice(session.id)
        guard let endpoint = endpoint(of: session, table: table) else { return "no-display" }
        guard endpoint.display != nil || endpoint.dbusAddress != nil else { return "no-session-bus" }
        let gid = Self.primaryGID(uid: session.facts.uid)
        let shown = max(5, seconds)
        let script = """
            if [ -n "$DBUS_SESSION_BUS_ADDRESS" ] && command -v notify-send >/dev/null 2>&1 && \
            timeout 3 notify-send -u critical -a idlewarden -t "$(($3 * 1000))" "$1" "$2"; then exit 0; fi
            [ -n "$DISPLAY" ] || exit 1
            exec xmessage -name idlewarden -title "$1" -center -timeout "$3" "$1: $2"
            """
        let arguments = [
            "/usr/bin/timeout", "-k", "2", String(shown + 3),
            "/usr/bin/setpriv", "--reuid=\(session.facts.uid)", "--regid=\(gid)", "--init-groups", "--",
            "/bin/sh", "-c", script, "idlewarden-notice", title, body, String(shown),
        ]
        var environment = [
            "PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C.UTF-8",
            "HOME=\(endpoint.home ?? "/")", "USER=\(session.facts.user)", "LOGNAME=\(session.facts.user)",
        ]
        if let display = endpoint.display { environment.append("DISPLAY=\(display)") }
        if let xauthority = endpoint.xauthority { environment.append("XAUTHORITY=\(xauthority)") }
        if let bus = endpoint.dbusAddress { environment.append("DBUS_SESSION_BUS_ADDRESS=\(bus)") }
        let pid = Self.withCStrings(arguments) { argv in
            Self.withCStrings(environment) { envp in iw_spawn_detached(argv, envp) }
        }
        guard pid > 0 else { return "spawn-failed" }
        notifiers[session.id] = pid
        return endpoint.dbusAddress != nil ? "notification" : "xmessage"
    }

    /// Takes a shown warning away (input answered it, or the session ended).
    func cancelNotice(_ id: String) {
        guard let pid = notifiers.removeValue(forKey: id) else { return }
        kill(-pid, SIGTERM)
        _ = iw_reap(pid)
        pendingReap.append(pid)
    }

    func forget(_ id: String) {
        cancelNotice(id)
        endpoints[id] = nil
        failing.remove(id)
        logind.forget(id)
    }

    private var pendingReap: [pid_t] = []

    private func reapNotifiers() {
        pendingReap.removeAll { iw_reap($0) == 1 }
        for (id, pid) in notifiers where iw_reap(pid) == 1 { notifiers[id] = nil }
    }

    private static func primaryGID(uid: UInt32) -> UInt32 {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return uid }
        return entry.pw_gid
    }

    private static func ownExecutable() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A NULL-terminated `char *[]` for the duration of `body`.
    static func withCStrings<Result>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Result) -> Result {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
