/// The terminal devices sessions are watched on: what a login's names for them resolve to, when they were last
/// read (input) and written (output), and notices written to them. The daemon uses the devices themselves
/// (`DeviceTerminals`); unit tests, terminals they type on by hand.
protocol Terminals {
    /// The device PAM_TTY names, when it names a terminal device (see `TerminalDevice.path(forPAMTTY:)`).
    func device(forPAMTTY tty: String?) -> String?
    /// The device of a controlling terminal number from /proc/PID/stat.
    func device(forTTYNumber number: UInt32) -> String?
    /// Last access (input) and modification (output) times in whole seconds; nil when the device is gone.
    func times(of device: String) -> TerminalTimes?
    /// Writes a notice without ever blocking.
    func write(_ text: String, to device: String) -> TerminalWriter.Outcome
}

/// A terminal's timestamps in whole seconds: the kernel moves `access` when the terminal is read (input) and
/// `modification` when it is written (output).
struct TerminalTimes: Equatable {
    var access: Int64
    var modification: Int64
}
