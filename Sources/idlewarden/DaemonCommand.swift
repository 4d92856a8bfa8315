import ArgumentParser
import IdleWardenCore
import IdleWardenDaemon
import Logging

#if canImport(Glibc)
import Glibc
#endif

struct DaemonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run the daemon in the foreground (logs to stderr and syslog).",
        discussion: "SIGHUP reloads the config; a config with errors is logged and the old one stays in force.")

    @Option(help: "The config file.")
    var config = Defaults.config

    @Option(help: "The control socket the commands (any user) talk to.")
    var socket = Defaults.socket

    @Option(help: "The socket the PAM module registers sessions on (root only; default: session.sock beside --socket).")
    var sessionSocket: String?

    @Option(help: "Directory for the daemon's state (created 0700).")
    var stateDir = Defaults.stateDirectory

    func run() throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "idlewarden")
        guard getuid() == 0 else {
            logger.error("the daemon must run as root: it reads every login's terminals and ends their processes")
            throw ExitCode(77)
        }
        let result = ConfigLoader.load(path: config)
        guard let loaded = result.config else {
            for error in result.errors { logger.error("\(error.description)") }
            logger.error("not starting: fix \(config) (check it with `idlewarden check-config \(config)`)")
            throw ExitCode(78)
        }
        let audit = AuditLog(logger: logger)
        let daemon: Daemon
        do {
            daemon = try Daemon(
                options: .init(
                    configPath: config, socketPath: socket, sessionSocketPath: sessionSocket, stateDirectory: stateDir),
                config: loaded, logger: logger, audit: audit)
        } catch {
            logger.error("cannot start: \(error)")
            throw ExitCode(71)
        }
        daemon.run()
    }
}
