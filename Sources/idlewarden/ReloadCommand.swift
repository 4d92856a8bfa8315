import ArgumentParser
import IdleWardenClient

struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make the daemon re-read its config now (root). A config with errors is refused and listed.",
        discussion: "The same as sending the daemon SIGHUP, but it answers with the result.")

    @OptionGroup var control: ControlSocketOptions

    func run() throws {
        let reply = try ControlCall.send(.reload, socket: control.socket)
        if let message = reply.message { print(TerminalText.escaped(message)) }
        for line in reply.lines { printError(TerminalText.escaped(line)) }
        if !reply.ok { throw ExitCode.failure }
    }
}
