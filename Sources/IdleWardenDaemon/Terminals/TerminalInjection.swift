#if canImport(Glibc)
import Glibc
#endif

/// Whether the kernel lets any process push input into its own terminal with the TIOCSTI ioctl. Input pushed so
/// is read like a key press (the terminal's access time moves, its change time does not), so where it is allowed
/// a user can keep their own session looking used with a program, which idlewarden cannot tell from typing.
/// Linux 6.2 added `dev.tty.legacy_tiocsti` (0: only CAP_SYS_ADMIN may); older kernels always allow it.
public enum TerminalInjection: Equatable, Sendable {
    /// TIOCSTI works for every user; `setting` is what the kernel says ("1", or absent on an older kernel).
    case allowed(setting: String)
    /// Only processes with CAP_SYS_ADMIN may use it.
    case restricted

    public static let sysctlPath = "/proc/sys/dev/tty/legacy_tiocsti"
    public static let sysctlName = "dev.tty.legacy_tiocsti"

    /// From the contents of `sysctlPath`; nil when it does not exist.
    public static func from(sysctl contents: [UInt8]?) -> TerminalInjection {
        guard let contents else { return .allowed(setting: "absent") }
        let value = String(decoding: contents, as: UTF8.self).trimmingSpaces
        return value == "0" ? .restricted : .allowed(setting: value)
    }

    /// As this kernel has it now.
    public static func current() -> TerminalInjection {
        from(sysctl: ProcText.bytes(of: sysctlPath))
    }

    /// One line for an admin, naming the setting that closes it; nil when it is closed.
    public var notice: String? {
        guard case .allowed(let setting) = self else { return nil }
        let now = setting == "absent"
            ? "this kernel has no \(Self.sysctlName) (before Linux 6.2) and always allows TIOCSTI"
            : "\(Self.sysctlName) = \(setting)"
        return "\(now): any user can push input into their own terminal (TIOCSTI), which counts as a key press, "
            + "so a program can keep an idle session alive; set \(Self.sysctlName) = 0 (in /etc/sysctl.d/, "
            + "Linux 6.2 or later) to allow it to root only"
    }
}
