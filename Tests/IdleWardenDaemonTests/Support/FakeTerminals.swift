import IdleWardenCore
@testable import IdleWardenDaemon

/// Pseudo-terminals the test types on: a key press moves a terminal's access time to now, output its
/// modification time, and every notice written to one is kept.
final class FakeTerminals: Terminals {
    private let clock: ManualClock
    private var times: [String: TerminalTimes] = [:]
    private var numbers: [UInt32: String] = [:]
    private(set) var written: [String: [String]] = [:]
    private var nextMinor: UInt32 = 0

    init(clock: ManualClock) {
        self.clock = clock
    }

    /// A new pty, last used now; returns its device and the controlling-terminal number /proc shows for it.
    func openPTY() -> (device: String, number: UInt32) {
        let minor = nextMinor
        nextMinor += 1
        let device = "/dev/pts/\(minor)"
        let number = TerminalDevice.deviceNumber(major: 136, minor: minor)
        let now = clock.now().seconds
        times[device] = TerminalTimes(access: now, modification: now)
        numbers[number] = device
        return (device, number)
    }

    /// A key press: the kernel stores the time of the read as the terminal's access time.
    func type(on device: String) {
        times[device]?.access = clock.now().seconds
    }

    /// Output from a program: the modification time moves, the access time does not.
    func print(on device: String) {
        times[device]?.modification = clock.now().seconds
    }

    /// The pty is closed (its device node is gone).
    func close(_ device: String) {
        times[device] = nil
    }

    func notices(on device: String) -> [String] { written[device] ?? [] }

    // MARK: Terminals

    func device(forPAMTTY tty: String?) -> String? {
        guard let tty else { return nil }
        let path = tty.hasPrefix("/dev/") ? tty : "/dev/" + tty
        return times[path] != nil ? path : nil
    }

    func device(forTTYNumber number: UInt32) -> String? {
        numbers[number].flatMap { times[$0] != nil ? $0 : nil }
    }

    func times(of device: String) -> TerminalTimes? { times[device] }

    func write(_ text: String, to device: String) -> TerminalWriter.Outcome {
        guard times[device] != nil else { return .skipped("open: No such file or directory") }
        written[device, default: []].append(text)
        print(on: device)
        return .written
    }
}
