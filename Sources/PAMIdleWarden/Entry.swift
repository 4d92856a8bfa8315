import CPAM

// The two C entry points libpam looks up with dlsym. Nothing else is exported (exports.map), and the other
// pam_sm_* functions are absent, which libpam treats as "this module has no such service". libpam never
// passes a NULL handle; if it did, the module would stay out of the stack (PAM_IGNORE).

@_cdecl("pam_sm_open_session")
public func idlewardenOpenSession(
    _ pamh: OpaquePointer?, _ flags: Int32, _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let pamh else { return PAM_IGNORE }
    return SessionReport.run(.open, pamh: pamh, argc: argc, argv: argv)
}

@_cdecl("pam_sm_close_session")
public func idlewardenCloseSession(
    _ pamh: OpaquePointer?, _ flags: Int32, _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let pamh else { return PAM_IGNORE }
    return SessionReport.run(.close, pamh: pamh, argc: argc, argv: argv)
}
