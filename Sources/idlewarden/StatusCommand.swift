import ArgumentParser
import FoundationEssentials
import IdleWardenClient

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the registered sessions (yours only, unless you are root).",
        discussion: "Asking for the status never counts as activity.")

    @OptionGroup var control: ControlSocketOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let reply = try ControlCall.send(.status, socket: control.socket)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(reply.sessions), as: UTF8.self))
            return
        }
        print(StatusTable.render(reply.sessions, now: Int64(Date().timeIntervalSince1970)))
    }
}
