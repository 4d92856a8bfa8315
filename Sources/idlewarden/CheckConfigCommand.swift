import ArgumentParser
import IdleWardenCore
import IdleWardenDaemon

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check a config file and its drop-ins: print a summary, or every error as FILE:LINE:COLUMN: KEY: MESSAGE.",
        discussion: """
            Reads FILE, then the drop-ins conf.d/*.conf beside it, as the daemon would. Exit status 0 when the \
            result is valid (warnings and notes allowed), 1 when it has errors. Also warns when systemd-logind's \
            own idle logout (StopIdleSessionSec= in logind.conf or its drop-ins) is on. A valid result's summary \
            ends with host notices: settings of this machine, not of the file, that weaken enforcement.
            """)

    @Argument(help: "The config file to check (its drop-ins are read from conf.d beside it).")
    var file = Defaults.config

    func run() throws {
        let result = ConfigLoader.load(path: file, requireFile: true)
        let accounts = AccountDirectory()
        let warnings = result.warnings
            + result.lookupWarnings(userExists: accounts.userExists, groupExists: accounts.groupExists)
            + (LogindConfigFiles.idleStop().map { [.logindIdleStop($0)] } ?? [])
        for error in result.errors { printError("error: \(error.description)") }
        for warning in warnings { printError("warning: \(warning.description)") }
        for note in result.notes { printError("note: \(note.description)") }
        guard let config = result.config else {
            printError("\(file): \(result.errors.count) error(s); the daemon would refuse this file")
            throw ExitCode.failure
        }
        print(config.summary)
        let remarks = [(warnings.count, "warning(s)"), (result.notes.count, "note(s)")].filter { $0.0 > 0 }
        print("\(file)\(config.dropIns.isEmpty ? "" : " and \(config.dropIns.count) drop-in(s)"): OK"
              + (remarks.isEmpty ? "" : " (" + remarks.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + ")"))
        // About this host, not the file: no warning of the config, and no effect on the exit status.
        if let notice = TerminalInjection.current().notice { print("host notice: \(notice)") }
    }
}
