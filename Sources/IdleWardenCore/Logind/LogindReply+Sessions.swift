/// The two calls of the reconcile at start-up: logind's session list, and the properties of one session.
extension LogindReply {
    /// The properties asked for with `busctl get-property` for `sessionDetails`, in this order.
    public static let detailProperties = [
        "Leader", "Service", "Scope", "TTY", "Display", "RemoteHost", "Type", "Class", "State",
    ]

    /// `busctl call ... org.freedesktop.login1.Manager ListSessions` → every session, in logind's order.
    public static func sessionList(status: Int32, output: String) -> Result<[LogindSession], LogindError> {
        guard status == 0 else { return .failure(failure(status: status, output: output)) }
        let lines = nonEmptyLines(output)
        guard lines.count == 1, let reply = BusctlJSON.parse(lines[0]), reply["type"] == .string("a(susso)"),
              case .array(let arguments)? = reply["data"], arguments.count == 1, case .array(let entries) = arguments[0]
        else { return .failure(.malformed(excerpt(output))) }
        var sessions: [LogindSession] = []
        for entry in entries {
            guard case .array(let fields) = entry, fields.count == 5,
                  case .string(let id) = fields[0], isSessionID(id),
                  let uid = fields[1].uint64, uid <= UInt64(UInt32.max),
                  case .string(let user) = fields[2], !user.isEmpty,
                  case .string(let seat) = fields[3],
                  case .string(let path) = fields[4], path.hasPrefix(sessionPathPrefix)
            else { return .failure(.malformed("not a session entry: \(excerpt(String(describing: entry)))")) }
            sessions.append(LogindSession(id: id, uid: UInt32(uid), user: user, seat: seat, path: path))
        }
        return .success(sessions)
    }

    /// `busctl get-property ... org.freedesktop.login1.Session Leader Service Scope TTY Display RemoteHost Type
    /// Class State`.
    public static func sessionDetails(status: Int32, output: String) -> Result<LogindSessionDetails, LogindError> {
        guard status == 0 else { return .failure(failure(status: status, output: output)) }
        let replies = nonEmptyLines(output).map(BusctlJSON.parse)
        guard replies.count == detailProperties.count,
              let leader = replies[0], leader["type"] == .string("u"),
              let leaderValue = leader["data"]?.uint64, leaderValue <= UInt64(UInt32.max)
        else { return .failure(.malformed(excerpt(output))) }
        var texts: [String] = []
        for reply in replies.dropFirst() {
            guard let reply, reply["type"] == .string("s"), case .string(let text)? = reply["data"] else {
                return .failure(.malformed(excerpt(output)))
            }
            texts.append(text)
        }
        return .success(LogindSessionDetails(
            leader: UInt32(leaderValue), service: texts[0], scope: texts[1], tty: texts[2], display: texts[3],
            remoteHost: texts[4], type: texts[5], sessionClass: texts[6], state: texts[7]))
    }

    /// logind's session ids: letters and digits (`3`, `c12`), as it makes them.
    public static func isSessionID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64
            && id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
    }
}
