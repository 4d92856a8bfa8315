import CIdleWarden

#if canImport(Glibc)
import Glibc
#endif

/// A live login from utmp (USER_PROCESS), as login, sshd and display managers record them. Used at start-up
/// to adopt sessions that were opened while the daemon was down.
public struct LoginRecord: Equatable, Sendable {
    public var pid: Int32
    public var user: String
    public var line: String
    public var host: String?

    /// Every USER_PROCESS entry of the system's utmp file.
    public static func current(file: String = "/var/run/utmp") -> [LoginRecord] {
        var records: [LoginRecord] = []
        guard iw_utmp_open(file) == 0 else { return [] }
        defer { iw_utmp_close() }
        var entry = iw_login()
        while iw_utmp_next(&entry) == 1 {
            let user = withUnsafeBytes(of: entry.user) { text($0) }
            let line = withUnsafeBytes(of: entry.line) { text($0) }
            let host = withUnsafeBytes(of: entry.host) { text($0) }
            guard !user.isEmpty else { continue }
            records.append(LoginRecord(pid: entry.pid, user: user, line: line, host: host.isEmpty ? nil : host))
        }
        return records
    }

    /// The C side NUL-terminates every field.
    static func text(_ raw: UnsafeRawBufferPointer) -> String {
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
}
