import CIdleWarden

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's single wait point: an epoll set holding the session socket, the control receiver's channel and
/// pidfd, a signalfd, a boot-clock timerfd (it counts suspend, and setting the wall clock does not move it) armed
/// for the earliest due moment, a wall-clock timerfd that only reports the wall clock being set, and one pidfd per
/// session leader and per inhibitor. It sleeps until one of them is ready; nothing wakes it periodically.
final class EventLoop {
    enum Source: Equatable {
        /// The socket at this index of the ones given at creation.
        case socket(Int)
        case signal
        case timer
        /// A process handle (a session leader's or an inhibitor's) became readable: its process exited.
        case process(Int32)
        /// The wall clock was set (`date`, an NTP step): see `Daemon.followClock`.
        case clockSet
        /// The control receiver wrote to its channel.
        case receiver
        /// The control receiver exited.
        case receiverExited
    }

    private let epollFD: Int32
    let timerFD: Int32
    let signalFD: Int32
    /// A CLOCK_REALTIME timer armed for a moment that never comes, with TFD_TIMER_CANCEL_ON_SET: it becomes
    /// readable (its read fails with ECANCELED) when the wall clock is set, and only then.
    private let clockFD: Int32
    private static let timerKey: UInt64 = 1 << 40
    private static let clockKey: UInt64 = 1 << 43
    private static let signalKey: UInt64 = 1 << 41
    private static let socketKey: UInt64 = 1 << 42
    private static let receiverKey: UInt64 = 1 << 44
    private static let receiverExitKey: UInt64 = 1 << 45

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
        clockFD = timerfd_create(CLOCK_REALTIME, Int32(TFD_CLOEXEC | TFD_NONBLOCK))
        guard clockFD >= 0 else { throw SystemError("timerfd_create") }
        for (index, socket) in sockets.enumerated() { try add(socket, key: Self.socketKey + UInt64(index)) }
        try add(timerFD, key: Self.timerKey)
        try add(signalFD, key: Self.signalKey)
        rearmClockWatch()
        try add(clockFD, key: Self.clockKey)
    }

    deinit {
        close(epollFD)
        close(timerFD)
        close(signalFD)
        close(clockFD)
    }

    func watchProcess(_ pidfd: Int32) throws {
        try add(pidfd, key: UInt64(UInt32(bitPattern: pidfd)))
    }

    func unwatchProcess(_ pidfd: Int32) {
        epoll_ctl(epollFD, EPOLL_CTL_DEL, pidfd, nil)
    }

    func watchReceiver(channel: Int32, pidfd: Int32) throws {
        try add(channel, key: Self.receiverKey)
        try add(pidfd, key: Self.receiverExitKey)
    }

    /// Stops watching a descriptor given to `watchReceiver` (or any other; one not watched is ignored).
    func unwatch(_ fd: Int32) {
        epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
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
            case Self.clockKey: return .clockSet
            case Self.receiverKey: return .receiver
            case Self.receiverExitKey: return .receiverExited
            default: return .process(Int32(truncatingIfNeeded: event.data.u64))
            }
        }
    }

    /// Arms (again) the wall-clock watch: after it reported a set clock it stays readable until re-armed.
    func rearmClockWatch() {
        var spec = itimerspec()
        spec.it_value.tv_sec = Int(Int32.max) * 4  // the year 2514: never reached
        timerfd_settime(clockFD, Int32(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET), &spec, nil)
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
