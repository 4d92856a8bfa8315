import ArgumentParser
import FoundationEssentials
import IdleWardenClient

#if canImport(Glibc)
import Glibc
#endif

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the registered sessions (yours only, unless you are root).",
        discussion: """
            Below the table, for each of your own sessions: its limit, when you will be warned and logged out if \
            you type nothing more, and how to stay logged in. IDLE is read from the terminals when you ask. \
            Asking for the status never counts as activity.
            """)

    @OptionGroup var control: ControlSocketOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let reply = try ControlCall.send(.status, socket: control.socket)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(reply.sessions), as: UTF8.self))
            return
        }
        let now = Int64(Date().timeIntervalSince1970)
        print(StatusTable.render(reply.sessions, now: now))
        for entry in reply.sessions where entry.uid == getuid() {
            print("\n" + StatusAdvice.render(entry, now: now))
        }
    }
}
