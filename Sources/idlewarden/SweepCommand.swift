import ArgumentParser
import IdleWardenDaemon

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Apply the policy to every session now, once: warn or end what is due (root).")

    @Option(help: "The daemon's control socket.")
    var socket = Defaults.socket

    @Flag(help: "Only list what would be done.")
    var dryRun = false

    func run() throws {
        let reply = try ControlCall.send(.sweep(dryRun: dryRun), socket: socket)
        if let message = reply.message { print(message) }
        for line in reply.lines { print(line) }
        if reply.lines.isEmpty && reply.ok { print("(no sessions)") }
        if !reply.ok { throw ExitCode(1) }
    }
}
