import ArgumentParser
import Foundation
import IdleWardenDaemon

#if canImport(Glibc)
import Glibc
#endif

/// `idlewarden x-idle`: the daemon's helper for graphical sessions (hidden). It asks one X display for its idle
/// time and prints `idle_ms=N` or `error=TEXT`. It runs as a short-lived child of the daemon, which kills it
/// after a deadline, so a hanging X server or Xlib's exit() on a lost connection never reaches the daemon.
struct XIdleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "x-idle", abstract: "Print an X display's idle time (helper of the daemon).",
        shouldDisplay: false)

    @Option(help: "The X display, e.g. :0.") var display: String
    @Option(help: "The X authority file of the display's session.") var xauthority: String?

    func run() throws {
        alarm(2) // a last resort: the daemon's deadline is shorter
        switch XIdleQuery.queryHere(display: display, xauthority: xauthority) {
        case .success(let idle):
            print("idle_ms=\(idle)")
        case .failure(let error):
            print("error=\(error.description.replacingOccurrences(of: "\n", with: " "))")
            throw ExitCode(2)
        }
    }
}
