import ArgumentParser

/// `idlewarden`: the daemon and the admin's tools, one executable.
@main
struct IdleWarden: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idlewarden",
        abstract: "Log out idle login sessions (SSH, console, su), warning users first.",
        version: Version.current,
        subcommands: [
            DaemonCommand.self, StatusCommand.self, KeepaliveCommand.self, InhibitCommand.self, ExplainCommand.self,
            CheckConfigCommand.self, ReloadCommand.self, SweepCommand.self, MetricsCommand.self, VersionCommand.self,
            XIdleCommand.self, ControlReceiverCommand.self, SessionEnvCommand.self,
        ]
    )
}

/// Paths shared by every subcommand, with the defaults an installed system uses.
enum Defaults {
    static let config = "/etc/idlewarden/idlewarden.conf"
    static let socket = "/run/idlewarden/control.sock"
    static let stateDirectory = "/var/lib/idlewarden"
}

enum Version {
    static let current = "0.1.0"
}
