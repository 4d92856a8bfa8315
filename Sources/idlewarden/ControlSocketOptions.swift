import ArgumentParser

/// `--socket`: the control socket, for the commands that talk to the daemon and for `daemon`, which binds it.
struct ControlSocketOptions: ParsableArguments {
    @Option(help: "The daemon's control socket (any user may send to it).")
    var socket = Defaults.socket
}
