import CIdleWardenX

#if canImport(Glibc)
import Glibc
#endif

/// The X server's idle time, read through MIT-SCREEN-SAVER (what `xprintidle` reads). The query runs in a
/// short-lived child, `idlewarden x-idle`, with a deadline: Xlib may block on a stuck server and calls exit()
/// on a broken connection, and neither may reach the daemon.
public enum XIdleQuery {
    /// How long the daemon waits for the helper before it kills it and counts the display as unknown.
    public static let timeoutMilliseconds: Int32 = 500

    /// In the helper process: connect and query, with XAUTHORITY set from `xauthority`.
    public static func queryHere(display: String, xauthority: String?) -> Result<UInt64, QueryError> {
        if let xauthority { setenv("XAUTHORITY", xauthority, 1) }
        var idle: UInt = 0
        var message = [CChar](repeating: 0, count: 256)
        let rc = iw_x_idle_ms(display, &idle, &message, message.count)
        guard rc == 0 else {
            let text = String(decoding: message.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .failure(QueryError(text))
        }
        return .success(UInt64(idle))
    }

    public struct QueryError: Error, Equatable, CustomStringConvertible, Sendable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// The helper's one line: "idle_ms=N" or "error=TEXT".
    public static func parseAnswer(_ text: String) -> Result<UInt64, QueryError> {
        let line = text.split(separator: "\n").first.map(String.init) ?? ""
        if line.hasPrefix("idle_ms="), let value = UInt64(line.dropFirst(8)) { return .success(value) }
        if line.hasPrefix("error=") { return .failure(QueryError(String(line.dropFirst(6)))) }
        return .failure(QueryError("no answer from the x-idle helper"))
    }
}
