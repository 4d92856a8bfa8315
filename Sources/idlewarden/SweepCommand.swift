import ArgumentParser
import IdleWardenClient
import IdleWardenWire

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Apply the policy to every session now, once: warn or end what is due (root).")

    @OptionGroup var control: ControlSocketOptions

    @Flag(help: "Only list what would be done.")
    var dryRun = false

    func run() throws {
        let reply = try ControlCall.send(.sweep(dryRun: dryRun), socket: control.socket)
        if let message = reply.message { print(EscapedText.escaping(message)) }
        for line in reply.lines { print(EscapedText.escaping(line)) }
        if reply.lines.isEmpty && reply.ok { print("(no sessions)") }
        if !reply.ok { throw ExitCode.failure }
    }
}
