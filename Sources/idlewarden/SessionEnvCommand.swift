import ArgumentParser
import IdleWardenDaemon

/// `idlewarden session-env`: the daemon's helper for graphical sessions (hidden). It reads the environments of
/// a desktop session's processes and prints where its desktop is reached (`xauthority=`, `dbus=`, `home=`). It
/// runs as a short-lived child of the daemon, which kills it after a deadline: a process's environment is in
/// that process's memory, which its user controls (see `SessionEnvironment`).
struct SessionEnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session-env", abstract: "Print a desktop session's display endpoint (helper of the daemon).",
        shouldDisplay: false)

    @Option(help: "The session's user id: only its processes are read.") var uid: UInt32
    @Option(help: "The session's processes, first first, comma-separated.") var pids: String
    @Option(help: "The session's X display, e.g. :0.") var display: String?

    func run() throws {
        let list = pids.split(separator: ",").compactMap { Int32($0) }
        print(SessionEnvironment.format(SessionEnvironment.readHere(pids: list, uid: uid, display: display)),
              terminator: "")
    }
}
