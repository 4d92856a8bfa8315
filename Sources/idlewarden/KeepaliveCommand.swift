import ArgumentParser
import IdleWardenClient
import IdleWardenWire

struct KeepaliveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keepalive",
        abstract: "Reset the idle clock of your sessions (root: any session).")

    @OptionGroup var control: ControlSocketOptions

    @Option(help: "Only this session (see `idlewarden status`).")
    var session: String?

    func run() throws {
        let reply = try ControlCall.send(.keepalive(sessionID: session), socket: control.socket)
        if let message = reply.message { print(EscapedText.escaping(message)) }
        if !reply.ok { throw ExitCode.failure }
    }
}
