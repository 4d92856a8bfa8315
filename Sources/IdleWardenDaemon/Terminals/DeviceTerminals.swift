#if canImport(Glibc)
import Glibc
#endif

/// The terminals in /dev. Reading a device's metadata never counts as input and never touches the terminal.
struct DeviceTerminals: Terminals {
    func device(forPAMTTY tty: String?) -> String? {
        TerminalDevice.path(forPAMTTY: tty)
    }

    func device(forTTYNumber number: UInt32) -> String? {
        TerminalDevice.path(forTTYNumber: number)
    }

    func times(of device: String) -> TerminalTimes? {
        var info = stat()
        guard stat(device, &info) == 0 else { return nil }
        return TerminalTimes(access: Int64(info.st_atim.tv_sec), modification: Int64(info.st_mtim.tv_sec))
    }

    func write(_ text: String, to device: String) -> TerminalWriter.Outcome {
        TerminalWriter.write(text, to: device)
    }
}
