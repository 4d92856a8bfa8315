/// systemd-logind's own idle logout: `StopIdleSessionSec=` in the `[Login]` section of logind.conf (systemd 252
/// and later). Where it is in force, logind and idlewarden both end idle sessions, and logind's end comes without
/// a warning and without exemptions; `check-config` warns about it. Pure: the command reads the files.
public struct LogindIdleStop: Equatable, Sendable {
    /// The value as written (`30`, `15min`).
    public var value: String
    /// The assignment that is in force: the last one systemd reads.
    public var location: SourceLocation

    public init(value: String, location: SourceLocation) {
        self.value = value
        self.location = location
    }

    /// The main file, and the directories of drop-ins in systemd's order of precedence (a file name in an earlier
    /// directory hides the same name in a later one).
    public static let mainFile = "/etc/systemd/logind.conf"
    public static let dropInDirectories = [
        "/etc/systemd/logind.conf.d", "/run/systemd/logind.conf.d", "/usr/local/lib/systemd/logind.conf.d",
        "/usr/lib/systemd/logind.conf.d", "/lib/systemd/logind.conf.d",
    ]

    /// The files systemd reads, in the order it applies them: the main file, then the `*.conf` drop-ins of all
    /// directories sorted by file name, each name taken from the first directory that has it.
    public static func files(main: String, dropIns: [(directory: String, names: [String])]) -> [String] {
        var chosen: [String: String] = [:]
        for (directory, names) in dropIns {
            for name in names where name.hasSuffix(".conf") && !name.hasPrefix(".") && chosen[name] == nil {
                chosen[name] = directory + "/" + name
            }
        }
        return [main] + chosen.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
            .compactMap { chosen[$0] }
    }

    /// The assignment in force across `files` (path and text, in the order systemd applies them); nil when none
    /// sets it, or when the last one switches it off (empty, `infinity` or zero, which logind reads as off).
    public static func effective(in files: [(path: String, text: String)]) -> LogindIdleStop? {
        var last: LogindIdleStop?
        for (path, text) in files {
            var section = ""
            for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = trimmed(rawLine)
                if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
                if line.hasPrefix("[") {
                    section = line.hasSuffix("]") ? String(line.dropFirst().dropLast()) : ""
                    continue
                }
                guard section == "Login", let equals = line.firstIndex(of: "="),
                      trimmed(line[..<equals]) == "StopIdleSessionSec"
                else { continue }
                let value = trimmed(line[line.index(after: equals)...])
                last = LogindIdleStop(value: value, location: SourceLocation(file: path, line: index + 1, column: 1))
            }
        }
        guard let last, !isOff(last.value) else { return nil }
        return last
    }

    /// Empty (back to the default), `infinity`, or a zero duration (`0`, `0s`): logind does not end idle sessions.
    static func isOff(_ value: String) -> Bool {
        if value.isEmpty || value == "infinity" { return true }
        let digits = value.prefix(while: { $0.isNumber || $0 == "." })
        return !digits.isEmpty && digits.allSatisfy { $0 == "0" || $0 == "." }
    }

    private static func trimmed<Text: StringProtocol>(_ text: Text) -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        return String(String(text.drop(while: isBlank).reversed().drop(while: isBlank)).reversed())
    }
}
