import ArgumentParser
import Foundation
import IdleWardenClient
import IdleWardenWire

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
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
