import CIdleWardenX
import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's side of graphical sessions: finds each session's display endpoint, queries its idle time in a
/// child process, and shows desktop warnings. What it remembers of a session is that session's `SessionState`,
/// kept in its registry entry (nothing persisted: after a restart the endpoint is found again from /proc).
final class DisplayWatch {
    enum Reading: Equatable {
        /// The X server's last input, as a wall-clock moment.
        case lastInput(Instant)
        /// The display could not be asked; the session is neither active nor idle.
        case unknown(String)
    }

    /// What the watch knows of one session.
    struct SessionState {
        var endpoint: DisplayEndpoint?
        /// A failed query was logged: once per session until a query succeeds again.
        var failureReported = false
        /// When the current run of failed reads began; nil while the display can be read.
        var unreadableSince: Instant?
        /// The run of failed reads outlasted idle_timeout and that was logged (`event=display
        /// result=unobservable`): once per run.
        var treatedAsIdleReported = false
        /// The desktop notice on show, as the id of its process (and process group). The process stays an
        /// unreaped child until the notice is taken back, so the group id cannot name anything else by then.
        var notifier: pid_t?
        /// The locker program the daemon started for the session (`lock_command`, xdg-screensaver), if any.
        var locker: pid_t?

        /// After the wall clock was set by `jump` (see `Daemon.followClock`).
        mutating func shift(by jump: Duration) {
            unreadableSince = unreadableSince.map { $0 + jump }
        }
    }

    private let helper: String
    private let clock: any DaemonClock
    /// Notices taken back whose process had not exited yet.
    private var pendingReap: [pid_t] = []
    /// logind's idle hints, asked before the X server (see `Daemon.readDesktop`).
    let logind: LogindWatch

    init(clock: any DaemonClock) {
        self.clock = clock
        helper = Self.ownExecutable() ?? "/usr/sbin/idlewarden"
        logind = LogindWatch(clock: clock)
    }

    /// The endpoint of `session`'s desktop, looked for again when unknown or when `refresh` is set (the
    /// previous one failed: the session's processes may have moved to another authority file). Without a bus
    /// address in the environments, the user's bus at /run/user/UID/bus (dbus-user-session) is used if it exists.
    func endpoint(
        of session: Session, state: inout SessionState, table: () -> ProcessTable, refresh: Bool = false
    ) -> DisplayEndpoint? {
        guard session.facts.isGraphical else { return nil }
        let display = session.facts.display
        if !refresh, let known = state.endpoint, (display == nil ? known.dbusAddress : known.xauthority) != nil {
            return known
        }
        let members = table().members(of: session.leader, includingLeader: true)
            .filter { $0.realUID == session.facts.uid }
        var endpoint = readEnvironments(of: members.map(\.pid), uid: session.facts.uid, display: display)
        // Under the shipped unit the daemon has no CAP_SYS_PTRACE, so the environments of the user's processes
        // may be unreadable: the account's home then, and the authority file Xlib would use there (read by the
        // helper as the user, never as root).
        endpoint.fillXlibDefaults(accountHome: Self.home(uid: session.facts.uid))
        let userBus = "/run/user/\(session.facts.uid)/bus"
        if endpoint.dbusAddress == nil, access(userBus, F_OK) == 0 { endpoint.dbusAddress = "unix:path=\(userBus)" }
        state.endpoint = endpoint
        return endpoint
    }

    /// The endpoint in the environments of `pids`, read by the `session-env` helper under a deadline (see
    /// `SessionEnvironment`); nothing found when it fails or runs out of time.
    private func readEnvironments(of pids: [Int32], uid: UInt32, display: String?) -> DisplayEndpoint {
        let chosen = pids.prefix(SessionEnvironment.maxProcesses)
        guard !chosen.isEmpty else { return DisplayEndpoint(display: display) }
        var arguments = [
            helper, "session-env", "--uid", String(uid), "--pids", chosen.map(String.init).joined(separator: ","),
        ]
        if let display { arguments += ["--display", display] }
        let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]
        var output = [CChar](repeating: 0, count: 16 * 1024)
        let status = Self.withCStrings(arguments) { argv in
            Self.withCStrings(environment) { envp in
                iw_spawn_capture(argv, envp, SessionEnvironment.timeoutMilliseconds, &output, output.count)
            }
        }
        guard status == 0 else { return DisplayEndpoint(display: display) }
        let text = String(decoding: output.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return SessionEnvironment.parse(text, display: display)
    }

    /// Asks the session's X server for its idle time. Never blocks longer than `XIdleQuery.timeoutMilliseconds`.
    func read(_ session: Session, state: inout SessionState, table: () -> ProcessTable) -> Reading {
        reapNotifiers()
        guard let endpoint = endpoint(of: session, state: &state, table: table, refresh: state.failureReported),
              let display = endpoint.display
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
            return .lastInput(clock.now() - .milliseconds(Int64(min(idle, UInt64(Int64.max / 2)))))
        case .failure(let error):
            return .unknown(error.description)
        }
    }

    /// Shows `body` on the session's desktop without waiting: a notification on the user's session bus when
    /// the session has one (notify-send, org.freedesktop.Notifications), else, or if that fails, an X message
    /// window (xmessage) when it has an X display. Runs as the user, in its own process group, and ends by
    /// itself after `seconds` (timeout(1) kills it otherwise). Returns how it was started, for the audit line.
    @discardableResult
    func notify(
        _ session: Session, state: inout SessionState, title: String, body: String, seconds: Int64,
        table: () -> ProcessTable
    ) -> String {
        reapNotifiers()
        cancelNotice(&state)
        guard let endpoint = endpoint(of: session, state: &state, table: table) else { return "no-display" }
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
        let environment = endpoint.environment(user: session.facts.user)
        let pid = Self.withCStrings(arguments) { argv in
            Self.withCStrings(environment) { envp in iw_spawn_detached(argv, envp) }
        }
        guard pid > 0 else { return "spawn-failed" }
        state.notifier = pid
        return endpoint.dbusAddress != nil ? "notification" : "xmessage"
    }

    /// Takes a shown warning away (input answered it, or the session ended).
    func cancelNotice(_ state: inout SessionState) {
        reapNotifiers()
        guard let pid = state.notifier else { return }
        state.notifier = nil
        kill(-pid, SIGTERM)
        if iw_reap(pid) != 1 { pendingReap.append(pid) }
    }

    /// Notices taken back whose process has not been reaped yet (each is reaped at the next desktop call).
    var unreapedNotices: Int { pendingReap.count }

    private func reapNotifiers() {
        pendingReap.removeAll { iw_reap($0) == 1 }
    }

    static func primaryGID(uid: UInt32) -> UInt32 {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return uid }
        return entry.pw_gid
    }

    /// The home directory of `uid` in the passwd database; nil when unknown or not absolute.
    private static func home(uid: UInt32) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let dir = entry.pw_dir
        else { return nil }
        let home = String(cString: dir)
        return home.hasPrefix("/") ? home : nil
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
