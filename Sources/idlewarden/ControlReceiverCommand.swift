import ArgumentParser
import IdleWardenDaemon

/// `idlewarden control-receiver`: the daemon's reader of the control socket (hidden). The daemon starts it with
/// the control socket as descriptor 3 and its channel as 4, and kills and replaces it when it stalls (see
/// `ControlReceiver`). Started any other way, it finds no such descriptors and exits.
struct ControlReceiverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "control-receiver", abstract: "Read the control socket for the daemon (helper of the daemon).",
        shouldDisplay: false)

    @Option(help: "The pid of the daemon that started it; it exits if that is not its parent.") var parent: Int32

    func run() throws {
        guard ControlReceiver.serve(parent: parent) else {
            printError("idlewarden control-receiver: not started by the idlewarden daemon (descriptors 3 and 4 "
                       + "must be its control socket and channel)")
            throw ExitCode.failure
        }
    }
}
