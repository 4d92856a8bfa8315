/// Whether one process (a pid and its start time) still runs, as far as /proc can tell. A read that fails for
/// any reason but the process's absence (no descriptor left, no memory) says nothing: a daemon out of descriptors
/// must not take a live leader for a gone one and close its session, nor an end for finished.
enum ProcessLiveness: Equatable {
    case alive
    /// Exited (also a zombie, which can do nothing more), or its pid names another process now.
    case gone
    case unknown
}
