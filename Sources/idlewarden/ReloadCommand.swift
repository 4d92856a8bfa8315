import ArgumentParser
import IdleWardenClient
import IdleWardenWire

struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make the daemon re-read its config now (root). A config with errors is refused and listed.",
        discussion: "The same as sending the daemon SIGHUP, but it answers with the result.")

    @OptionGroup var control: ControlSocketOptions

    func run() throws {
        let reply = try ControlCall.send(.reload, socket: control.socket)
        if let message = reply.message { print(EscapedText.escaping(message)) }
        for line in reply.lines { printError(EscapedText.escaping(line)) }
        if !reply.ok { throw ExitCode.failure }
    }
}
