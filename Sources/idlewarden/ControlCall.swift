import ArgumentParser
import IdleWardenClient
import IdleWardenWire

#if canImport(Glibc)
import Glibc
#endif

/// One request to the daemon from a subcommand; an unreachable daemon is a clear message and exit 69.
enum ControlCall {
    static func send(_ action: ControlRequest.Action, socket: String) throws -> ControlReply {
        do {
            return try ControlClient(socketPath: socket).send(action)
        } catch {
            printError("idlewarden: \(error)")
            throw ExitCode.daemonUnavailable
        }
    }
}

func printError(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
