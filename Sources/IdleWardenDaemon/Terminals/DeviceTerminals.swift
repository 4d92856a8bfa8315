import IdleWardenCore

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

    func stamp(of device: String) -> TerminalStamp? {
        var info = stat()
        guard stat(device, &info) == 0 else { return nil }
        func time(_ spec: timespec) -> FileTime {
            FileTime(seconds: Int64(spec.tv_sec), nanoseconds: Int32(truncatingIfNeeded: spec.tv_nsec))
        }
        return TerminalStamp(
            access: time(info.st_atim), modification: time(info.st_mtim), change: time(info.st_ctim),
            owner: info.st_uid)
    }

    func write(_ text: String, to device: String) -> TerminalWriter.Outcome {
        TerminalWriter.write(text, to: device)
    }
}
