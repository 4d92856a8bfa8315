import IdleWardenCore

/// What the daemon asks of graphical sessions' desktops: logind's idle hint, the X server's idle time, and a
/// warning shown on the desktop. The daemon uses `DisplayWatch` (child processes: busctl, the x-idle helper,
/// notify-send or xmessage); unit tests, desktops they answer for by hand.
protocol Desktops: AnyObject {
    /// logind's view of the session; nil when logind does not run (see `LogindWatch.read`).
    func logindActivity(of session: Session, state: inout LogindWatch.SessionState) -> LogindActivity?
    /// The X server's last input (see `DisplayWatch.read`).
    func read(_ session: Session, state: inout DisplayWatch.SessionState, table: () -> ProcessTable)
        -> DisplayWatch.Reading
    /// Shows a warning on the desktop; returns how, for the audit line (see `DisplayWatch.notify`).
    func notify(
        _ session: Session, state: inout DisplayWatch.SessionState, title: String, body: String, seconds: Int64,
        table: () -> ProcessTable
    ) -> String
    /// Takes a shown warning away.
    func cancelNotice(_ state: inout DisplayWatch.SessionState)
    /// The session's display endpoint, for a locker run in its display (see `DisplayWatch.endpoint`).
    func endpoint(of session: Session, state: inout DisplayWatch.SessionState, table: () -> ProcessTable, refresh: Bool)
        -> DisplayEndpoint?
    /// Notices whose process is still held: none may stay once their sessions are gone.
    var unreapedNotices: Int { get }
}

extension DisplayWatch: Desktops {
    func logindActivity(of session: Session, state: inout LogindWatch.SessionState) -> LogindActivity? {
        logind.read(session, state: &state)
    }
}
