#if canImport(Glibc)
import Glibc
#endif

/// Whether the daemon's stderr is systemd's journal: systemd sets JOURNAL_STREAM to the device and inode of the
/// stream it connects a service's stdout and stderr to (systemd.exec(5)); a stderr with the same device and inode
/// is that stream. The audit trail then goes to the journal through syslog only, not a second time from stderr.
public enum JournalStream {
    public static func isStandardError() -> Bool {
        guard let value = getenv("JOURNAL_STREAM").map({ String(cString: $0) }) else { return false }
        var info = stat()
        guard fstat(STDERR_FILENO, &info) == 0 else { return false }
        return matches(value, device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// `DEVICE:INODE`, both decimal, as systemd writes it.
    static func matches(_ value: String, device: UInt64, inode: UInt64) -> Bool {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let streamDevice = UInt64(parts[0]), let streamInode = UInt64(parts[1]) else {
            return false
        }
        return streamDevice == device && streamInode == inode
    }
}
