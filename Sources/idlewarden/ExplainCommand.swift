import ArgumentParser
import IdleWardenCore
import IdleWardenDaemon

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show the limits a login of USER would get, and which rule or argument set each one.",
        discussion: """
            Precedence per key: the first matching [[rule]] that sets it, then the pam.d module arguments, \
            then the config's top level, then the built-in default. exclude_users and exclude_groups win \
            over everything. Each value is followed by the file and line that set it (the config file or one \
            of its drop-ins in conf.d).
            """)

    @Argument(help: "The user to explain.")
    var user: String

    @Option(help: "The config file (its drop-ins are read from conf.d beside it).")
    var config = Defaults.config

    @Option(help: "PAM service of the login (sshd, login, su, ...).")
    var service = "sshd"

    @Option(help: "PAM_TTY of the login (ssh, pts/0, tty1, ttyS0, ...).")
    var tty: String?

    @Option(help: "Remote host of the login; omit for a local login.")
    var rhost: String?

    @Option(name: .customLong("arg"), help: "A pam.d module argument, such as idle_timeout=30m (repeatable).")
    var moduleArguments: [String] = []

    func run() throws {
        let result = ConfigLoader.load(path: config)
        guard let loaded = result.config else {
            for error in result.errors { printError("error: \(error.description)") }
            throw ExitCode.failure
        }
        let accounts = AccountDirectory()
        guard let account = accounts.account(named: user) else {
            printError("idlewarden: no such user: \(user)")
            throw ExitCode.failure
        }
        // As the daemon does: rules see the account's own name, whatever the case it was given in.
        let facts = SessionFacts(
            user: account.name, uid: account.uid, groups: accounts.groupNames(of: account), service: service, tty: tty,
            rhost: rhost, moduleArguments: moduleArguments)
        print("config: " + (loaded.files.isEmpty ? "none (built-in defaults)" : loaded.files.joined(separator: ", ")))
        print("user \(account.name) (uid \(account.uid), groups \(facts.groups.joined(separator: ","))), service \(service), "
              + "tty \(tty ?? "-"), from \(rhost ?? "local")")
        print(Policy.resolve(loaded, for: facts).description)
    }
}
