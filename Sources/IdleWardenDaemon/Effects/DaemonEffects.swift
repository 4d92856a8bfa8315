/// What the daemon reads from or does to the system, each behind a protocol: `live(audit:)` is the system itself;
/// unit tests pass fakes and drive the daemon with a clock they move by hand. Not in here: the sockets and the
/// event loop (`DaemonIO`), the state directory and the config file (paths in `Daemon.Options`), and the child
/// processes that ask a desktop (`DisplayWatch`, `LogindWatch`).
struct DaemonEffects {
    var clock: any DaemonClock
    /// /proc: the processes of a session, the identity of a leader.
    var processes: any ProcessTreeSource
    var accounts: any AccountLookup
    /// Terminal devices: their names, their input and output times, notices written to them.
    var terminals: any Terminals
    /// pidfds: the leaders' exit, and the signals that end a session.
    var handles: any ProcessHandles
    /// cgroups: the logind scope of a session, frozen and listed at its end.
    var cgroups: any ControlGroups
    var audit: any AuditSink
    /// The live logins utmp lists, for adoption at start-up.
    var logins: () -> [LoginRecord]

    static func live(audit: AuditLog) -> DaemonEffects {
        DaemonEffects(
            clock: SystemClock(), processes: LiveProcessTree(), accounts: AccountDirectory(),
            terminals: DeviceTerminals(), handles: Pidfds(), cgroups: LiveControlGroups(), audit: audit,
            logins: { LoginRecord.current() })
    }
}
