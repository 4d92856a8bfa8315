import IdleWardenCore

/// The terminal devices sessions are watched on: what a login's names for them resolve to, what the kernel records
/// on them (times and owner), and notices written to them. The daemon uses the devices themselves
/// (`DeviceTerminals`); unit tests, terminals they type on by hand.
protocol Terminals {
    /// The device PAM_TTY names, when it names a terminal device (see `TerminalDevice.path(forPAMTTY:)`).
    func device(forPAMTTY tty: String?) -> String?
    /// The device of a controlling terminal number from /proc/PID/stat.
    func device(forTTYNumber number: UInt32) -> String?
    /// Its access, modification and change times and its owner, as stat(2) reads them; nil when it is gone.
    func stamp(of device: String) -> TerminalStamp?
    /// Writes a notice without ever blocking.
    func write(_ text: String, to device: String) -> TerminalWriter.Outcome
}
