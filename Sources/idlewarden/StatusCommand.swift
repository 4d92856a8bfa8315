import ArgumentParser
import FoundationEssentials
import IdleWardenDaemon

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the registered sessions (yours only, unless you are root).",
        discussion: "Asking for the status never counts as activity.")

    @Option(help: "The daemon's control socket.")
    var socket = Defaults.socket

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let reply = try ControlCall.send(.status, socket: socket)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(reply.sessions), as: UTF8.self))
            return
        }
        print(StatusTable.render(reply.sessions, now: Int64(Date().timeIntervalSince1970)))
    }
}
