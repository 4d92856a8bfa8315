import IdleWardenClient
import IdleWardenWire
import IdleWardenCore
import IdleWardenDaemon

/// What `status` tells users about their own sessions, in words: their limit, when they will be warned and
/// logged out if they type nothing more, and how to stay logged in.
enum StatusAdvice {
    static func render(_ entry: StatusEntry, now: Int64) -> String {
        var where_ = [entry.service]
        if let terminal = entry.terminals.first ?? entry.tty { where_.append(StatusTable.shortTTY(terminal)) }
        if let rhost = entry.rhost { where_.append("from \(rhost)") }
        // Every text a login chose (its terminal's name, PAM_RHOST) is escaped for the terminal, as in the table.
        var lines = ["Your session \(entry.id) (\(EscapedText.escaping(where_.joined(separator: ", ")))):"]
        if let reason = entry.exemptReason {
            lines.append("  It is exempt (\(reason)): it is never logged out for being idle.")
            return lines.joined(separator: "\n")
        }
        let warnBefore = entry.warnBeforeSeconds ?? 0
        let idleChecked = !["no-tty", "unchecked", "pending"].contains(entry.state)
        if idleChecked {
            lines.append("  It is logged out after \(format(entry.idleTimeoutSeconds)) without input"
                + (warnBefore > 0 ? ", with a warning \(format(warnBefore)) before." : ", without a warning."))
        } else if entry.state == "pending" {
            lines.append("  Its terminal is not known yet; once it is, the session is logged out after "
                + "\(format(entry.idleTimeoutSeconds)) without input.")
        } else {
            lines.append("  It is not checked for idleness (\(entry.state == "no-tty" ? "no terminal" : "graphical = false")).")
        }
        if let maxSession = entry.maxSessionSeconds {
            lines.append("  It ends \(format(maxSession)) after it opened, whatever you do (max_session).")
        }
        guard let endAt = entry.endAt else { return lines.joined(separator: "\n") }
        let idle = "Idle now: at least \(format(entry.idleSeconds))."
        if entry.state == "warned" {
            lines.append("  \(idle) You have been warned: logout at \(clock(endAt, now: now)).")
        } else if let warnAt = entry.warnAt {
            lines.append("  \(idle) If you type nothing more: warning at \(clock(warnAt, now: now)), "
                + "logout at \(clock(endAt, now: now)).")
        } else {
            lines.append("  \(idle) If you type nothing more: logout at \(clock(endAt, now: now)).")
        }
        if entry.endReason == EndReason.maxSession.rawValue {
            lines.append("  That is its maximum length: typing does not move it. Save your work before then.")
        } else if entry.keepaliveAllowed == false {
            lines.append("  To stay logged in, type anything in the session (idlewarden keepalive is not allowed for it).")
        } else {
            lines.append("  To stay logged in, type anything in the session, or run: idlewarden keepalive --session \(entry.id)")
        }
        return lines.joined(separator: "\n")
    }

    private static func format(_ seconds: Int64) -> String { ConfigDuration.format(.seconds(max(0, seconds))) }

    private static func clock(_ moment: Int64, now: Int64) -> String {
        "\(Notice.clockTime(Instant(seconds: moment))) (in \(format(moment - now)))"
    }
}
