import CPAM

/// The module arguments of one pam.d line, in Linux-PAM style: `debug`, `socket=PATH`, `require_daemon`, and the
/// policy overrides of `ModuleArgument` (`idle_timeout=30m`, `exempt`), passed to the daemon verbatim for it to
/// validate. Anything else is logged and ignored, never fatal.
struct ModuleArguments {
    /// The daemon's root-only session socket; the spool is `spool/` beside it.
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
            let nameEnd = argument.firstIndex(of: UInt8(ascii: "=")) ?? argument.endIndex
            guard let known = ModuleArgument(name: argument[..<nameEnd]),
                  known.takesValue == (nameEnd < argument.endIndex)
            else {
                var line = LogLine("unknown argument ")
                line.append(quoted: argument)
                line.append(" ignored")
                line.log(pamh, priority: LOG_WARNING)
                continue
            }
            switch known {
            case .debug: debug = true
            case .requireDaemon: requireDaemon = true
            case .socket: socket = argument.bytes(after: nameEnd)
            // Every other word is a policy override: sent as written, for the daemon to validate.
            default: overrides.append(argument)
            }
        }
    }
}
