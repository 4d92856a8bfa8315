import IdleWardenCore
@testable import IdleWardenDaemon

/// Desktops the test answers for: each display's last input (or a failure) is what the test set, logind does not
/// run, and warnings are recorded instead of shown.
final class FakeDesktops: Desktops {
    /// What reading each X display gives; a display not set cannot be read.
    var readings: [String: DisplayWatch.Reading] = [:]
    private(set) var reads: [String] = []
    private(set) var notices: [(session: String, body: String)] = []
    private(set) var cancelled = 0
    /// A notice is held from its show until it is taken back.
    var unreapedNotices: Int { notices.count - cancelled }

    func logindActivity(of session: Session, state: inout LogindWatch.SessionState) -> LogindActivity? { nil }

    func read(_ session: Session, state: inout DisplayWatch.SessionState, table: () -> ProcessTable)
        -> DisplayWatch.Reading
    {
        let display = session.facts.display ?? "none"
        reads.append(display)
        return readings[display] ?? .unknown("the X server did not answer within 500 ms")
    }

    func notify(
        _ session: Session, state: inout DisplayWatch.SessionState, title: String, body: String, seconds: Int64,
        table: () -> ProcessTable
    ) -> String {
        notices.append((session.id, body))
        state.notifier = 1
        return "xmessage"
    }

    func endpoint(
        of session: Session, state: inout DisplayWatch.SessionState, table: () -> ProcessTable, refresh: Bool
    ) -> DisplayEndpoint? {
        session.facts.display.map { DisplayEndpoint(display: $0) }
    }

    func cancelNotice(_ state: inout DisplayWatch.SessionState) {
        if state.notifier != nil { cancelled += 1 }
        state.notifier = nil
    }
}
