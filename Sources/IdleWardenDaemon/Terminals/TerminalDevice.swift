#if canImport(Glibc)
import Glibc
#endif

/// Maps between the names a login gives its terminal and the device files whose atime records input.
public enum TerminalDevice {
    /// The device for PAM_TTY when it names one ("/dev/pts/3", "pts/3", "tty1"); nil for "ssh", ":0" and
    /// anything that is not a character device.
    public static func path(forPAMTTY tty: String?) -> String? {
        guard let tty, !tty.isEmpty, !tty.contains("..") else { return nil }
        let path = tty.hasPrefix("/dev/") ? tty : "/dev/" + tty
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFCHR else { return nil }
        let major = UInt32(truncatingIfNeeded: (info.st_rdev >> 8) & 0xFFF)
        return terminalMajors.contains(major) ? path : nil
    }

    /// Device majors of terminals a login can sit on: virtual consoles and serial lines (4), pseudo-terminals
    /// (136-143), USB serial adapters (166, 188) and low-density serial ports (204).
    static let terminalMajors: Set<UInt32> = [4, 136, 137, 138, 139, 140, 141, 142, 143, 166, 188, 204]

    /// The device file of a controlling terminal number from /proc/PID/stat; nil for none or one that
    /// has no device node (the kernel's encoding: major in bits 8-19, minor in 0-7 and 20-31).
    public static func path(forTTYNumber number: UInt32) -> String? {
        guard number != 0 else { return nil }
        let major = (number >> 8) & 0xFFF
        let minor = (number & 0xFF) | ((number >> 12) & 0xFFF00)
        let candidate: String
        switch major {
        case 136...143: candidate = "/dev/pts/\((major - 136) * 256 + minor)"
        case 4 where minor < 64: candidate = "/dev/tty\(minor)"
        case 4: candidate = "/dev/ttyS\(minor - 64)"
        default: return nil
        }
        var info = stat()
        guard stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFCHR,
              UInt32(truncatingIfNeeded: info.st_rdev) == deviceNumber(major: major, minor: minor)
        else { return nil }
        return candidate
    }

    /// glibc's makedev for the 32-bit values the tty driver uses.
    static func deviceNumber(major: UInt32, minor: UInt32) -> UInt32 {
        (minor & 0xFF) | ((major & 0xFFF) << 8) | ((minor & ~0xFF) << 12)
    }
}
