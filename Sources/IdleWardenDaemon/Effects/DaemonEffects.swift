/// What the daemon reads from or does to the system, each behind a protocol: `live(audit:)` is the system itself;
/// unit tests pass fakes and drive the daemon with a clock they move by hand. Not in here: the sockets and the
/// event loop (`DaemonIO`), and the state directory and the config file (paths in `Daemon.Options`).
struct DaemonEffects {
    var clock: any DaemonClock
    /// /proc: the processes of a session, the identity of a leader.
    var processes: any ProcessTreeSource
    var accounts: any AccountLookup
    /// Terminal devices: their names, what the kernel records on them (times, owner), notices written to them.
    var terminals: any Terminals
    /// pidfds: the leaders' exit, and the signals that end a session.
    var handles: any ProcessHandles
    /// cgroups: the logind scope of a session, frozen and listed at its end.
    var cgroups: any ControlGroups
    var audit: any AuditSink
    /// Desktop locks (`lock_after`).
    var locker: any SessionLocker
    /// Graphical sessions' desktops: their idle time and warnings shown on them (child processes).
    var desktops: any Desktops
    /// The live logins utmp lists, for adoption at start-up where logind does not run.
    var logins: () -> [LoginRecord]
    /// systemd-logind: its session list (reconciled at start-up) and the scope of a login's process.
    var logind: any LogindBus
    /// The text of a PAM configuration file (/etc/pam.d/SERVICE and what it includes), nil when it cannot be
    /// read: whether a logind session's service runs the module.
    var pamFile: (String) -> String?

    static func live(audit: AuditLog) -> DaemonEffects {
        let clock = SystemClock()
        return DaemonEffects(
            clock: clock, processes: LiveProcessTree(), accounts: AccountDirectory(),
            terminals: DeviceTerminals(), handles: Pidfds(), cgroups: LiveControlGroups(), audit: audit,
            locker: DesktopLocker(), desktops: DisplayWatch(clock: clock),
            logins: { LoginRecord.current() }, logind: Busctl(),
            pamFile: { path in ProcText.bytes(of: path, limit: 256 * 1024).map { String(decoding: $0, as: UTF8.self) } })
    }
}
