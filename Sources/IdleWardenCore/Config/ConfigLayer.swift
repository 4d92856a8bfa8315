/// What one file of the config says, before the main file and its drop-ins are merged: its top-level keys (nil
/// when the file does not set them), its exclusion lists and its rules, and every problem found in it. Bounds
/// that depend on other files (the 60 s minimum, warn_before < idle_timeout) are checked after the merge.
struct ConfigLayer {
    let file: String
    /// The file's top level; nil when the file could not be parsed as TOML.
    private(set) var reader: ConfigTableReader?
    var defaults = PolicySettings()
    var allowShortTimeouts: Bool?
    var scope: IdleScope?
    var adopt: AdoptMode?
    var auditFormat: AuditFormat?
    var metricsFile: String?
    var lockCommand: [String]?
    /// nil: not set in this file; empty: set to `[]`, which empties what the files before it listed.
    var excludeUsers: [(text: String, location: SourceLocation)]?
    var excludeGroups: [(text: String, location: SourceLocation)]?
    var rules: [(rule: Rule, reader: ConfigTableReader)] = []
    private(set) var errors: [ConfigError] = []
    var warnings: [ConfigWarning] = []
    private(set) var notes: [ConfigNote] = []
    var nameReferences: [NameReference] = []

    /// Parses `text`; its rules are numbered from `firstRule` on (after the rules of the files read before).
    init(_ text: ConfigText, firstRule: Int) {
        file = text.path
        if let nul = Self.firstNUL(in: text.text) {
            errors.append(.syntax(SourceLocation(file: file, line: nul.line, column: nul.column), key: "syntax",
                                  message: "NUL character; the file is not a text file"))
            return
        }
        switch TOMLDocument.parse(text.text) {
        case .success(let root): read(root, firstRule: firstRule)
        case .failure(let error): errors.append(Self.syntaxError(error, text: text.text, path: file))
        }
    }

    /// Where `key` of the top level was written; nil when this file does not set it.
    func location(of key: String) -> SourceLocation? {
        guard let reader, reader.isSet(key) else { return nil }
        return reader.location(key)
    }

    private mutating func read(_ root: TOMLTable, firstRule: Int) {
        var reader = ConfigTableReader(table: root, file: file)
        for key in reader.keys where !ConfigKeys.isAccepted(key, among: ConfigKeys.topLevel) {
            reader.report(ConfigKeys.error(for: key, at: reader.location(key), inRule: nil))
        }
        defaults = PolicySettings(
            idleTimeout: reader.duration("idle_timeout"), warnBefore: reader.duration("warn_before"),
            signalInterval: reader.duration("signal_interval"), maxSession: reader.duration("max_session"),
            checkNoTTY: reader.bool("check_no_tty"), allowKeepalive: reader.bool("allow_keepalive"),
            activity: reader.choice("activity", as: ActivityMode.self), end: reader.choice("end", as: EndMode.self),
            graphical: reader.bool("graphical"),
            allowInhibit: reader.bool("allow_inhibit"), maxInhibit: reader.duration("max_inhibit"),
            warnMessage: reader.notice("warn_message"), warnAgain: reader.duration("warn_again"),
            lockAfter: reader.duration("lock_after"))
        allowShortTimeouts = reader.bool("allow_short_timeouts")
        excludeUsers = reader.stringList("exclude_users")
        excludeGroups = reader.stringList("exclude_groups")
        scope = reader.choice("scope", as: IdleScope.self)
        adopt = reader.choice("adopt", as: AdoptMode.self)
        auditFormat = reader.choice("audit_format", as: AuditFormat.self)
        metricsFile = metricsPath(&reader)
        lockCommand = lockProgram(&reader)

        nameReferences =
            (excludeUsers ?? []).map { NameReference(kind: .user, name: $0.text, key: "exclude_users", location: $0.location) }
            + (excludeGroups ?? []).map {
                NameReference(kind: .group, name: $0.text, key: "exclude_groups", location: $0.location)
            }
        for (offset, table) in ruleTables(&reader) {
            var parser = RuleParser(table: table, index: firstRule + offset, file: file)
            let rule = parser.parse()
            errors += parser.reader.errors
            notes += parser.reader.notes
            nameReferences += parser.nameReferences
            if parser.reader.errors.isEmpty, rule.settings.isEmpty {
                warnings.append(.ruleSetsNothing(parser.headerLocation, rule: rule.index))
            }
            rules.append((rule, parser.reader))
        }
        errors += reader.errors
        notes += reader.notes
        self.reader = reader
    }

    /// metrics_file: an absolute path, which node_exporter reads only if it ends in ".prom".
    private mutating func metricsPath(_ reader: inout ConfigTableReader) -> String? {
        guard let path = reader.string("metrics_file") else { return nil }
        guard path.hasPrefix("/"), path.count > 1, !path.hasSuffix("/") else {
            reader.report(.invalidValue(reader.location("metrics_file"), key: "metrics_file",
                                        message: "\"\(path)\" is not an absolute file name; write the whole path, "
                                            + "such as \"/var/lib/prometheus/node-exporter/idlewarden.prom\""))
            return nil
        }
        if !path.hasSuffix(".prom") { warnings.append(.metricsFileName(reader.location("metrics_file"))) }
        return path
    }

    /// lock_command: an absolute program path, then its arguments.
    private func lockProgram(_ reader: inout ConfigTableReader) -> [String]? {
        guard let command = reader.stringList("lock_command")?.map(\.text) else { return nil }
        guard command.first?.hasPrefix("/") ?? false else {
            reader.report(.invalidValue(reader.location("lock_command"), key: "lock_command",
                                        message: "give the program as an absolute path, then its arguments, "
                                            + "e.g. [\"/usr/bin/xdg-screensaver\", \"lock\"]"))
            return nil
        }
        return command
    }

    /// The [[rule]] tables, numbered from 0 in the file; anything else under `rule` is reported on `reader`.
    private func ruleTables(_ reader: inout ConfigTableReader) -> [(Int, TOMLTable)] {
        guard let value = reader.table["rule"] else { return [] }
        guard let array = value.array else {
            reader.report(.wrongType(reader.location("rule"), key: "rule", expected: "[[rule]] tables",
                                     found: ConfigTableReader.describe(value),
                                     advice: "write each rule under its own [[rule]] header, with two brackets"))
            return []
        }
        var tables: [(Int, TOMLTable)] = []
        for (index, element) in array.enumerated() {
            guard let table = element.table else {
                reader.report(.wrongType(reader.location("rule", element: index), key: "rule",
                                         expected: "a [[rule]] table", found: ConfigTableReader.describe(element),
                                         advice: nil))
                continue
            }
            tables.append((tables.count, table))
        }
        return tables
    }

    /// toml++'s error at its position, named by the key on that line when there is one, with a hint for the
    /// commonest mistake: an unquoted duration (`idle_timeout = 15m`).
    private static func syntaxError(_ error: TOMLSyntaxError, text: String, path: String) -> ConfigError {
        let line = max(1, error.position.line)
        var location = SourceLocation(file: path, line: line, column: max(1, error.position.column))
        let lineText = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
            .dropFirst(line - 1).first.map { String(String.UnicodeScalarView($0)) } ?? ""
        var key = "syntax"
        var message = error.message
        let parts = lineText.split(separator: "=", maxSplits: 1).map(trimmed)
        if parts.count == 2, !parts[0].isEmpty, parts[0].unicodeScalars.allSatisfy(isKeyCharacter) {
            key = parts[0]
            if message.contains("redefine") {
                // A duplicate is the key's fault; toml++ points at the value.
                let blanks = lineText.unicodeScalars.prefix { $0 == " " || $0 == "\t" }.count
                location.column = blanks + 1
            }
            let value = trimmed(parts[1].split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0])
            if (try? ConfigDuration.parse(value)) != nil {
                message += "; durations are strings: write \(key) = \"\(value)\""
            }
        }
        return .syntax(location, key: key, message: message)
    }

    /// Without leading and trailing blanks; Foundation's trimming is not used in Core.
    private static func trimmed<Text: StringProtocol>(_ text: Text) -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        return String(String(text.drop(while: isBlank).reversed().drop(while: isBlank)).reversed())
    }

    private static func isKeyCharacter(_ scalar: Unicode.Scalar) -> Bool {
        ("0"..."9").contains(scalar) || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
            || scalar == "_" || scalar == "-" || scalar == "."
    }

    /// A NUL means a binary file, not a config with a typo: say so rather than pass on toml++'s error about it.
    private static func firstNUL(in text: String) -> TextPosition? {
        var line = 1
        var column = 1
        for scalar in text.unicodeScalars {
            if scalar == "\0" { return TextPosition(line: line, column: column) }
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return nil
    }
}
