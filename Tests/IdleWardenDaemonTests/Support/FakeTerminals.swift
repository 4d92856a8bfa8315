import IdleWardenCore
@testable import IdleWardenDaemon

/// Pseudo-terminals the test types on, with the times and owner the kernel keeps: a key press stores the current
/// second as the access time, output as the modification time, each only when the time leaves the 8-second
/// bucket of the stored value (`tty_update_time`), and neither touches the change time; utimensat, chmod and
/// chown move the change time to now, to the nanosecond. Every notice written to one is kept.
final class FakeTerminals: Terminals {
    private let clock: ManualClock
    private var stamps: [String: TerminalStamp] = [:]
    private var numbers: [UInt32: String] = [:]
    private(set) var written: [String: [String]] = [:]
    private var nextMinor: UInt32 = 0

    init(clock: ManualClock) {
        self.clock = clock
    }

    /// Now, as the kernel stamps an inode change: with a fraction of a second (never a whole one).
    var exactNow: FileTime {
        let ms = clock.now().milliseconds
        return FileTime(seconds: ms / 1000, nanoseconds: Int32(ms % 1000) * 1_000_000 + 417)
    }

    /// A new pty owned by `owner`, made now; returns its device and the controlling-terminal number /proc shows.
    func openPTY(owner: UInt32) -> (device: String, number: UInt32) {
        let minor = nextMinor
        nextMinor += 1
        let device = "/dev/pts/\(minor)"
        let number = TerminalDevice.deviceNumber(major: 136, minor: minor)
        stamps[device] = TerminalStamp(access: exactNow, modification: exactNow, change: exactNow, owner: owner)
        numbers[number] = device
        return (device, number)
    }

    /// The pty at `device` was closed and a new one made at the same path, for `owner`'s login.
    func reopen(_ device: String, owner: UInt32) {
        stamps[device] = TerminalStamp(access: exactNow, modification: exactNow, change: exactNow, owner: owner)
    }

    /// A key press: a program reads the terminal.
    func type(on device: String) {
        guard let stored = stamps[device]?.access else { return }
        let now = clock.now().seconds
        if (now ^ stored.seconds) & ~7 != 0 { stamps[device]?.access = FileTime(seconds: now) }
    }

    /// Output from a program: it writes to the terminal.
    func print(on device: String) {
        guard let stored = stamps[device]?.modification else { return }
        let now = clock.now().seconds
        if (now ^ stored.seconds) & ~7 != 0 { stamps[device]?.modification = FileTime(seconds: now) }
    }

    /// utimensat, as `touch -a` (access time now, to the nanosecond) or `touch -a -d` (`access` given).
    func touch(_ device: String, access: FileTime? = nil) {
        stamps[device]?.access = access ?? exactNow
        stamps[device]?.change = exactNow
    }

    /// chmod, as `mesg n` does.
    func chmod(_ device: String) {
        stamps[device]?.change = exactNow
    }

    /// chown, as login does to its terminal after the session opened.
    func chown(_ device: String, to owner: UInt32) {
        stamps[device]?.owner = owner
        stamps[device]?.change = exactNow
    }

    /// The pty is closed (its device node is gone).
    func close(_ device: String) {
        stamps[device] = nil
    }

    func notices(on device: String) -> [String] { written[device] ?? [] }

    // MARK: Terminals

    func device(forPAMTTY tty: String?) -> String? {
        guard let tty else { return nil }
        let path = tty.hasPrefix("/dev/") ? tty : "/dev/" + tty
        return stamps[path] != nil ? path : nil
    }

    func device(forTTYNumber number: UInt32) -> String? {
        numbers[number].flatMap { stamps[$0] != nil ? $0 : nil }
    }

    func stamp(of device: String) -> TerminalStamp? { stamps[device] }

    func write(_ text: String, to device: String) -> TerminalWriter.Outcome {
        guard stamps[device] != nil else { return .skipped("open: No such file or directory") }
        written[device, default: []].append(text)
        print(on: device)
        return .written
    }
}
