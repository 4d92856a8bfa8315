import CIdleWarden

#if canImport(Glibc)
import Glibc
#endif

/// Process handles as the kernel gives them: pidfd_open, pidfd_send_signal, and a pidfd that polls readable
/// once its process has exited.
struct Pidfds: ProcessHandles {
    func open(_ pid: Int32) -> Result<Int32, HandleFailure> {
        let fd = iw_pidfd_open(pid)
        return fd >= 0 ? .success(fd) : .failure(HandleFailure(errno: errno))
    }

    func send(_ signal: Int32, to handle: Int32) -> HandleFailure? {
        iw_pidfd_send_signal(handle, signal) == 0 ? nil : HandleFailure(errno: errno)
    }

    func hasExited(_ handle: Int32) -> Bool {
        var entry = pollfd(fd: handle, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) == 1
    }

    func close(_ handle: Int32) {
        _ = Glibc.close(handle)
    }
}
