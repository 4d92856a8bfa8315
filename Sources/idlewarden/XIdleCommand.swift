import ArgumentParser
import IdleWardenDaemon

#if canImport(Glibc)
import Glibc
#endif

/// `idlewarden x-idle`: the daemon's helper for graphical sessions (hidden). It asks one X display for its idle
/// time and prints `idle_ms=N` or `error=TEXT`. It runs as a short-lived child of the daemon, which kills it
/// after a deadline, so a hanging X server or Xlib's exit() on a lost connection never reaches the daemon.
/// With `--uid`, it becomes the session's user before it reads the authority file or talks to the X server,
/// so neither a file the user points XAUTHORITY at nor the server's answers are handled with root's rights.
struct XIdleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "x-idle", abstract: "Print an X display's idle time (helper of the daemon).",
        shouldDisplay: false)

    @Option(help: "The X display, e.g. :0.") var display: String
    @Option(help: "The X authority file of the display's session.") var xauthority: String?
    @Option(help: "Run the query as this user id (the session's user).") var uid: UInt32?
    @Option(help: "With --uid: this group id.") var gid: UInt32?

    func run() throws {
        alarm(2) // a last resort: the daemon's deadline is shorter
        if let uid {
            let group = gid ?? uid
            guard setgroups(0, nil) == 0, setgid(group) == 0, setuid(uid) == 0, getuid() == uid, geteuid() == uid
            else {
                print("error=cannot switch to uid \(uid): \(String(cString: strerror(errno)))")
                throw ExitCode.displayUnreadable
            }
        }
        switch XIdleQuery.queryHere(display: display, xauthority: xauthority) {
        case .success(let idle):
            print("idle_ms=\(idle)")
        case .failure(let error):
            print("error=\(String(String.UnicodeScalarView(error.description.unicodeScalars.map { $0 == "\n" ? " " : $0 })))")
            throw ExitCode.displayUnreadable
        }
    }
}
