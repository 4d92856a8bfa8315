/// Reads what `busctl --json=short` prints for the two calls the daemon makes to systemd-logind (on stdout and
/// stderr together, with its exit status): the session object of the login's process, then four properties of
/// that session. Pure: the daemon runs busctl, tests feed recorded replies.
public enum LogindReply {
    /// The properties asked for with `busctl get-property`, in this order; busctl prints one line per property.
    public static let properties = ["IdleHint", "IdleSinceHintMonotonic", "Type", "Leader"]

    /// Object paths logind gives its sessions; anything else is not a reply from logind.
    static let sessionPathPrefix = "/org/freedesktop/login1/session/"

    /// `busctl call ... org.freedesktop.login1.Manager GetSessionByPID u PID` → the session's object path.
    public static func sessionPath(status: Int32, output: String) -> Result<String, LogindError> {
        guard status == 0 else { return .failure(failure(status: status, output: output)) }
        let lines = nonEmptyLines(output)
        guard lines.count == 1, let reply = BusctlJSON.parse(lines[0]), reply["type"] == .string("o"),
              case .array(let values)? = reply["data"], values.count == 1, case .string(let path) = values[0]
        else { return .failure(.malformed(excerpt(output))) }
        let name = path.dropFirst(sessionPathPrefix.count)
        guard path.hasPrefix(sessionPathPrefix), !name.isEmpty,
              name.utf8.allSatisfy({ isPathByte($0) })
        else { return .failure(.malformed("not a logind session path: \(excerpt(path))")) }
        return .success(path)
    }

    /// `busctl get-property ... org.freedesktop.login1.Session IdleHint IdleSinceHintMonotonic Type Leader`.
    public static func idleHint(status: Int32, output: String) -> Result<LogindIdleHint, LogindError> {
        guard status == 0 else { return .failure(failure(status: status, output: output)) }
        let replies = nonEmptyLines(output).map(BusctlJSON.parse)
        guard replies.count == properties.count,
              let idle = replies[0], idle["type"] == .string("b"), case .bool(let isIdle)? = idle["data"],
              let since = replies[1], since["type"] == .string("t"), let sinceValue = since["data"]?.uint64,
              let type = replies[2], type["type"] == .string("s"), case .string(let typeValue)? = type["data"],
              let leader = replies[3], leader["type"] == .string("u"),
              let leaderValue = leader["data"]?.uint64, leaderValue <= UInt64(UInt32.max)
        else { return .failure(.malformed(excerpt(output))) }
        return .success(LogindIdleHint(
            idle: isIdle, sinceMonotonicMicroseconds: sinceValue, type: typeValue, leader: UInt32(leaderValue)))
    }

    /// busctl's message for a failed call is its first line ("Call failed: ...", "Failed to get property ...: ...",
    /// "Failed to connect to bus: ...").
    static func failure(status: Int32, output: String) -> LogindError {
        guard let first = nonEmptyLines(output).first else {
            return .callFailed("busctl ended with status \(status) and printed nothing")
        }
        let message = excerpt(first)
        if first.contains("does not belong to any known session") || first.contains("NoSessionForPID") {
            return .noSession(message)
        }
        return .callFailed(message)
    }

    static func nonEmptyLines(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter { !$0.allSatisfy { $0 == " " || $0 == "\r" } }
    }

    /// At most 200 characters, for a log line.
    static func excerpt(_ text: String) -> String {
        let trimmed = text.split(separator: "\n").joined(separator: " | ")
        return trimmed.count > 200 ? String(trimmed.prefix(200)) + "..." : trimmed
    }

    static func isPathByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            || byte == UInt8(ascii: "_")
    }
}
