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
        abstract: "Run the daemon in the foreground (audit to syslog, and to stderr unless that is the journal).",
        discussion: """
            SIGHUP reloads the config; a config with errors is logged and the old one stays in force. Started by \
            systemd with Type=notify (NOTIFY_SOCKET), it reports readiness, reloads and its status there.
            """)

    @Option(help: "The config file (its drop-ins are read from conf.d beside it).")
    var config = Defaults.config

    @OptionGroup var control: ControlSocketOptions

    @Option(help: "The socket the PAM module registers sessions on (root only; default: session.sock beside --socket).")
    var sessionSocket: String?

    @Option(help: "Directory for the daemon's state (created 0700).")
    var stateDir = Defaults.stateDirectory

    @Flag(inversion: .prefixedNo, help: "At start, adopt the live logins that were never registered, as the config's adopt key says (--no-adopt: none).")
    var adopt = true

    func run() throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "idlewarden")
        // Under systemd, stderr is the journal, where the syslog lines go too: each audit line once.
        let audit = AuditLog(logger: logger, mirror: !JournalStream.isStandardError())
        let notifier = ServiceNotifier.fromEnvironment()
        // Start-up failures go to syslog too, so a crash loop under an init system is visible in auth.log, and
        // to systemd's status line (`systemctl status idlewarden`).
        func refuse(_ reason: String, _ error: String, exitCode: ExitCode) -> ExitCode {
            audit.record(AuditRecord("start-failed", [("reason", reason), ("error", error),
                                                      ("exit", String(exitCode.rawValue))]), priority: LOG_ERR)
            notifier?.status("Not started (\(reason), exit status \(exitCode.rawValue)): \(error)")
            return exitCode
        }
        guard getuid() == 0 else {
            throw refuse("not-root", "the daemon must run as root: it reads every login's terminals and ends "
                         + "their processes", exitCode: .notRoot)
        }
        let result = ConfigLoader.load(path: config)
        guard let loaded = result.config else {
            for error in result.errors { logger.error("\(error.description)") }
            throw refuse("config-error", "fix \(config) (check it with `idlewarden check-config \(config)`): "
                         + result.errors.map(\.description).joined(separator: "; "), exitCode: .configError)
        }
        let daemon: Daemon
        do {
            daemon = try Daemon(
                options: .init(
                    configPath: config, socketPath: control.socket, sessionSocketPath: sessionSocket,
                    stateDirectory: stateDir, adoptsLogins: adopt),
                config: loaded, logger: logger, audit: audit, notifier: notifier)
        } catch let error as StateLock.Held {
            throw refuse("already-running", error.description, exitCode: .alreadyRunning)
        } catch {
            throw refuse("system-error", "\(error)", exitCode: .systemError)
        }
        daemon.run()
    }
}
