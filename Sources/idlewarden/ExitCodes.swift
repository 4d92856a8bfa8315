import ArgumentParser

/// The exit statuses of `idlewarden`, as idlewarden(8) lists them under EXIT STATUS. Those of the daemon and of
/// an unreachable daemon follow sysexits.h, so an init system or a script can tell "fix the config" from
/// "try again later". ArgumentParser's own are kept: `success` (0), `failure` (1: check-config or explain found
/// errors, or the daemon refused a keepalive, reload or sweep) and `validationFailure` (64, EX_USAGE: wrong
/// command-line arguments).
extension ExitCode {
    /// 2: `x-idle` could not read the display's idle time (it printed `error=`); only the daemon reads it.
    static let displayUnreadable = ExitCode(2)
    /// 69, EX_UNAVAILABLE: the daemon cannot be reached, or gave no answer within 5 seconds.
    static let daemonUnavailable = ExitCode(69)
    /// 71, EX_OSERR: `daemon` cannot bind a socket or prepare its directories.
    static let systemError = ExitCode(71)
    /// 75, EX_TEMPFAIL: `daemon` found another daemon running on the same state directory (its lock is held); it
    /// touched neither that daemon's sockets nor its state. Try again once the other one has stopped.
    static let alreadyRunning = ExitCode(75)
    /// 77, EX_NOPERM: `daemon` is not running as root.
    static let notRoot = ExitCode(77)
    /// 78, EX_CONFIG: `daemon` found errors in its config file.
    static let configError = ExitCode(78)
}
