import ArgumentParser
import IdleWardenClient

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Print the daemon's metrics in the Prometheus text format (root).",
        discussion: """
            Sessions tracked by state, sessions opened and ended by reason, refused requests, and every audit \\
            event by name. The same text goes to metrics_file for node_exporter's textfile collector, when the \\
            config sets one.
            """)

    @OptionGroup var control: ControlSocketOptions

    func run() throws {
        let reply = try ControlCall.send(.metrics, socket: control.socket)
        guard reply.ok, let text = reply.message else {
            printError("idlewarden: \(reply.message ?? "the daemon sent no metrics")")
            throw ExitCode.failure
        }
        print(text, terminator: "")
    }
}
