import CPAM

/// The module arguments of one pam.d line, in Linux-PAM style: `debug`, `socket=PATH`, `require_daemon`,
/// and policy overrides (`idle_timeout=`, `warn_before=`, `max_session=`, `grace=`, `exempt`) that are
/// passed to the daemon verbatim for it to validate. Anything else is logged and ignored, never fatal.
struct ModuleArguments {
    /// The daemon's root-only session socket: local users cannot fill its queue to make logins miss registration.
    static let defaultSocket: StaticString = "/run/idlewarden/session.sock"

    var debug = false
    var requireDaemon = false
    var socket = CBytes(Self.defaultSocket)
    var overrides: [CBytes] = []

    init(argc: Int32, argv: UnsafeMutablePointer<UnsafePointer<CChar>?>?, pamh: OpaquePointer?) {
        guard let argv, argc > 0 else { return }
        for index in 0..<Int(argc) {
            guard let pointer = argv[index] else { continue }
            let argument = CBytes(pointer)
            if argument.equals("debug") {
                debug = true
            } else if argument.equals("require_daemon") {
                requireDaemon = true
            } else if argument.hasPrefix("socket=") {
                socket = argument.dropFirst(7)
            } else if Self.isPolicyOverride(argument) {
                overrides.append(argument)
            } else {
                var line = LogLine("unknown argument ")
                line.append(quoted: argument)
                line.append(" ignored")
                line.log(pamh, priority: LOG_WARNING)
            }
        }
    }

    static func isPolicyOverride(_ argument: CBytes) -> Bool {
        argument.hasPrefix("idle_timeout=") || argument.hasPrefix("warn_before=")
            || argument.hasPrefix("max_session=") || argument.hasPrefix("grace=") || argument.equals("exempt")
    }
}
