import IdleWardenCore
@testable import IdleWardenDaemon

/// Records every lock the daemon asks for, and answers as told.
final class FakeLocker: SessionLocker {
    private(set) var locked: [(session: String, command: [String]?)] = []
    var outcome = LockOutcome(method: "xdg-screensaver", result: "started")

    func lock(_ session: Session, endpoint: DisplayEndpoint?, command: [String]?) -> LockOutcome {
        locked.append((session.id, command))
        return outcome
    }

    private(set) var released: [Int32] = []

    func release(_ process: Int32) { released.append(process) }
}
