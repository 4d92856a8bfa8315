import SystemPackage

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
        let terminal: FileDescriptor
        do {
            // O_NOCTTY: the daemon has no controlling terminal, and opening a user's must not give it one.
            terminal = try FileDescriptor.open(
                FilePath(path), .writeOnly,
                options: [.nonBlocking, .closeOnExec, FileDescriptor.OpenOptions(rawValue: O_NOCTTY)])
        } catch {
            return .skipped("open: \(error)")
        }
        do {
            return try terminal.closeAfter {
                guard try terminal.stat().type == .characterSpecial else { return .skipped("not a terminal") }
                // A full terminal (EAGAIN) stops the write: the rest of the notice is dropped, never waited for.
                try terminal.writeAll(text.utf8)
                return .written
            }
        } catch {
            return .skipped("write: \(error)")
        }
    }
}
