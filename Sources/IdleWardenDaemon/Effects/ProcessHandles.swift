#if canImport(Glibc)
import Glibc
#endif

/// Handles that name one process for good (Linux pidfds): a handle opened before a process's identity is
/// checked reaches exactly that process, never a later holder of its pid. The daemon watches session leaders
/// through them (a handle becomes readable when its process exits) and sends the signals that end a session.
protocol ProcessHandles {
    /// A handle on `pid`, or why there is none.
    func open(_ pid: Int32) -> Result<Int32, HandleFailure>
    /// Sends `signal` through `handle`; nil when it was sent.
    func send(_ signal: Int32, to handle: Int32) -> HandleFailure?
    /// Whether the process behind `handle` has exited.
    func hasExited(_ handle: Int32) -> Bool
    func close(_ handle: Int32)
}

/// A failed call on a process handle, by its errno.
struct HandleFailure: Error, Equatable {
    var errno: Int32

    /// ESRCH: the process has exited.
    var processIsGone: Bool { errno == ESRCH }
}
