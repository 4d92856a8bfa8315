import ArgumentParser
import IdleWardenClient

#if canImport(Glibc)
import Glibc
#endif

/// `idlewarden inhibit -- COMMAND`: runs COMMAND while the session it runs in is not idle-ended, as
/// `systemd-inhibit` does for logind. The hold belongs to this process, not to COMMAND: the daemon watches it
/// through a pidfd, and it ends when this process exits, after COMMAND did, or when it is killed.
struct InhibitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inhibit",
        abstract: "Run COMMAND while your session is not ended for idleness.",
        discussion: """
            The daemon holds the session this command runs in (it must be yours and registered), within the \
            policy: allow_inhibit must be true for it, and max_inhibit bounds how long after your last input the \
            hold lasts. The session may still be locked, and max_session still applies. Exits with COMMAND's \
            status (128+N when a signal N ended it, 127 when it cannot be run); when the daemon refuses the hold, \
            COMMAND is not run and the exit status is 1 (69 when the daemon cannot be reached).
            """)

    @OptionGroup var control: ControlSocketOptions

    @Option(help: "Why the session must stay (shown by status and in the audit log).")
    var why: String?

    @Option(help: "The session it must hold (see `idlewarden status`); by default the one this runs in.")
    var session: String?

    @Argument(parsing: .postTerminator, help: "The command to run, after --.")
    var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("give the command to run after --") }
        if let why, why.utf8.count > 256 { throw ValidationError("--why is longer than 256 bytes") }
    }

    func run() throws {
        let reply = try ControlCall.send(.inhibit(why: why, sessionID: session), socket: control.socket)
        if let message = reply.message { printError("idlewarden: \(message)") }
        guard reply.ok else { throw ExitCode.failure }
        throw ExitCode(Self.spawnAndWait(command))
    }

    /// Runs `arguments` and returns its exit status as a shell reports it. While it runs, this process ignores
    /// the terminal's SIGINT and SIGQUIT (COMMAND gets them and decides), as system(3) does, so that the hold
    /// does not end before COMMAND does.
    static func spawnAndWait(_ arguments: [String]) -> Int32 {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGQUIT)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
        signal(SIGINT, SIG_IGN)
        signal(SIGQUIT, SIG_IGN)

        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let error = posix_spawnp(&child, argv[0]!, nil, &attributes, &argv, environ)
        guard error == 0 else {
            printError("idlewarden: cannot run \(arguments[0]): \(String(cString: strerror(error)))")
            return error == ENOENT ? 127 : 126
        }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 {
            guard errno == EINTR else { return 1 }
        }
        let signalNumber = status & 0x7f
        return signalNumber == 0 ? (status >> 8) & 0xff : 128 + signalNumber
    }
}
