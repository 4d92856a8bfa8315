/// Where a registered session is on its way out. Whether it was warned is `Session.warning`, which is persisted
/// with it; the phase is the daemon's alone and starts over as `watched` after a restart.
enum SessionPhase {
    /// Watched for input: warned, then ended, when it is idle.
    case watched
    /// Its processes are being ended. A close that came meanwhile (from the login, or its leader's exit) waits
    /// here with its reason until they are gone, so that the trail reads terminate, with the true outcome,
    /// then close.
    case ending(Termination, close: String?)
    /// Its processes are gone and the end was audited; it stays until the login closes or its leader exits.
    case ended

    var isWatched: Bool {
        if case .watched = self { return true }
        return false
    }
}
