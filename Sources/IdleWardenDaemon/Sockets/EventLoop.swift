import CIdleWarden

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's single wait point: an epoll set holding the control socket, a signalfd, a boot-clock
/// timerfd (it counts suspend, and setting the wall clock does not move it) armed for the earliest due moment, and one pidfd per session leader. It sleeps until one of
/// them is ready; nothing wakes it periodically.
final class EventLoop {
    enum Source: Equatable {
        /// The socket at this index of the ones given at creation.
        case socket(Int)
        case signal
        case timer
        case leader(Int32)
    }

    private let epollFD: Int32
    let timerFD: Int32
    let signalFD: Int32
    private static let timerKey: UInt64 = 1 << 40
    private static let signalKey: UInt64 = 1 << 41
    private static let socketKey: UInt64 = 1 << 42

    init(sockets: [Int32], signals: [Int32]) throws {
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { throw SystemError("epoll_create1") }
        timerFD = timerfd_create(CLOCK_BOOTTIME, Int32(TFD_CLOEXEC | TFD_NONBLOCK))
        guard timerFD >= 0 else { throw SystemError("timerfd_create") }
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in signals { sigaddset(&mask, signal) }
        guard sigprocmask(SIG_BLOCK, &mask, nil) == 0 else { throw SystemError("sigprocmask") }
        signalFD = signalfd(-1, &mask, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
        guard signalFD >= 0 else { throw SystemError("signalfd") }
        for (index, socket) in sockets.enumerated() { try add(socket, key: Self.socketKey + UInt64(index)) }
        try add(timerFD, key: Self.timerKey)
        try add(signalFD, key: Self.signalKey)
    }

    deinit {
        close(epollFD)
        close(timerFD)
        close(signalFD)
    }

    func watchLeader(_ pidfd: Int32) throws {
        try add(pidfd, key: UInt64(UInt32(bitPattern: pidfd)))
    }

    func unwatchLeader(_ pidfd: Int32) {
        epoll_ctl(epollFD, EPOLL_CTL_DEL, pidfd, nil)
    }

    /// Arms the timer to fire after `delay` milliseconds (nil disarms it; zero or less fires at once).
    func arm(afterMilliseconds delay: Int64?) {
        var spec = itimerspec()
        if let delay {
            let clamped = max(delay, 1)
            spec.it_value.tv_sec = Int(clamped / 1000)
            spec.it_value.tv_nsec = Int((clamped % 1000) * 1_000_000)
        }
        timerfd_settime(timerFD, 0, &spec, nil)
    }

    /// Waits for readiness; an interrupted wait returns no sources.
    func wait() -> [Source] {
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        let count = epoll_wait(epollFD, &events, Int32(events.count), -1)
        guard count > 0 else { return [] }
        return events.prefix(Int(count)).map { event in
            switch event.data.u64 {
            case Self.socketKey..<(Self.socketKey + 16): return .socket(Int(event.data.u64 - Self.socketKey))
            case Self.signalKey: return .signal
            case Self.timerKey: return .timer
            default: return .leader(Int32(truncatingIfNeeded: event.data.u64))
            }
        }
    }

    /// Consumes the timer's expiry count.
    func drainTimer() {
        var expirations: UInt64 = 0
        _ = read(timerFD, &expirations, MemoryLayout<UInt64>.size)
    }

    /// The next pending signal number, if any.
    func nextSignal() -> Int32? {
        var info = signalfd_siginfo()
        let count = read(signalFD, &info, MemoryLayout<signalfd_siginfo>.size)
        guard count == MemoryLayout<signalfd_siginfo>.size else { return nil }
        return Int32(info.ssi_signo)
    }

    private func add(_ fd: Int32, key: UInt64) throws {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = key
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0 else { throw SystemError("epoll_ctl add") }
    }
}
