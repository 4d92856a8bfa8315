import ArgumentParser
import IdleWardenDaemon

struct KeepaliveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keepalive",
        abstract: "Reset the idle clock of your sessions (root: any session).")

    @Option(help: "The daemon's control socket.")
    var socket = Defaults.socket

    @Option(help: "Only this session (see `idlewarden status`).")
    var session: String?

    func run() throws {
        let reply = try ControlCall.send(.keepalive(sessionID: session), socket: socket)
        if let message = reply.message { print(message) }
        if !reply.ok { throw ExitCode(1) }
    }
}
