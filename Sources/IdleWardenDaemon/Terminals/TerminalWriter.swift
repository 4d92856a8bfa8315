#if canImport(Glibc)
import Glibc
#endif

/// Writes a notice to a terminal without ever blocking the daemon: non-blocking open and write, a terminal
/// that is gone, stuck (flow control) or not a character device is skipped.
public enum TerminalWriter {
    public enum Outcome: Equatable, Sendable {
        case written
        case skipped(String)
    }

    public static func write(_ text: String, to path: String) -> Outcome {
        let fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return .skipped("open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFCHR else { return .skipped("not a terminal") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if written == bytes.count { return .written }
        if written < 0 { return .skipped("write: \(String(cString: strerror(errno)))") }
        return .skipped("short write")
    }
}
