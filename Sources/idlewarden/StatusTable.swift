import IdleWardenCore
import IdleWardenClient
import IdleWardenWire

/// The `w`-like table of `idlewarden status`. Every text that comes from a session (user, service, tty, rhost,
/// and the rest) is escaped for the terminal (`EscapedText`).
enum StatusTable {
    static func render(_ entries: [StatusEntry], now: Int64) -> String {
        let header = ["SESSION", "USER", "SERVICE", "TTY", "FROM", "OPENED", "IDLE", "LIMIT", "NEXT", "STATE"]
        var rows = [header]
        for entry in entries {
            let state = entry.exemptReason.map { "exempt (\($0))" } ?? entry.state
            rows.append([
                entry.id, entry.user, entry.service,
                entry.terminals.isEmpty ? (entry.tty ?? "-") : entry.terminals.map(shortTTY).joined(separator: ","),
                entry.rhost ?? "-", age(now - entry.openedAt),
                ConfigDuration.format(.seconds(entry.idleSeconds)),
                ConfigDuration.format(.seconds(entry.idleTimeoutSeconds)),
                next(entry, now: now),
                state,
            ].map(EscapedText.escaping))
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        let lines = rows.map { row in
            row.indices.map { column in
                column == row.count - 1
                    ? row[column] : row[column] + String(repeating: " ", count: widths[column] - row[column].count)
            }.joined(separator: "  ")
        }
        if entries.isEmpty { return lines[0] + "\n(no sessions)" }
        let holds = entries.flatMap { entry in
            entry.inhibitors.map { hold in
                let held = ConfigDuration.format(.seconds(max(0, now - hold.since)))
                return "session \(EscapedText.escaping(entry.id)) held by pid \(hold.pid) for \(held)"
                    + (hold.holding ? "" : " (not holding: allow_inhibit = false or max_inhibit reached)")
                    + (hold.why.isEmpty ? "" : ": " + EscapedText.escaping(hold.why))
            }
        }
        return (lines + holds).joined(separator: "\n")
    }

    /// What comes next if nobody types: the warning or the logout, and when.
    static func next(_ entry: StatusEntry, now: Int64) -> String {
        func inTime(_ moment: Int64) -> String { "in " + ConfigDuration.format(.seconds(max(0, moment - now))) }
        if entry.state == "terminating" { return "-" }
        if entry.state != "warned", let warnAt = entry.warnAt { return "warning " + inTime(warnAt) }
        if let endAt = entry.endAt { return "logout " + inTime(endAt) }
        return "-"
    }

    static func shortTTY(_ path: String) -> String {
        path.hasPrefix("/dev/") ? String(path.dropFirst(5)) : path
    }

    static func age(_ seconds: Int64) -> String {
        ConfigDuration.format(.seconds(max(0, seconds))) + " ago"
    }
}
