/// TOML text → a validated `Config`, or every error in the text.
///
/// toml++ (through CTOML) does the TOML and tells where each key and value was written; this checks what
/// idlewarden means by it: known keys, types, durations, globs, bounds. A syntax error stops there (toml++
/// reports only the first); after a successful TOML parse every problem is collected, so an admin sees them all
/// in one `check-config` run.
public enum ConfigParser {
    /// - Parameter path: the file the text came from, used only in error locations.
    public static func parse(_ text: String, path: String) -> ConfigParseResult {
        if let nul = firstNUL(in: text) {
            return .failure(.syntax(SourceLocation(file: path, line: nul.line, column: nul.column), key: "syntax",
                                    message: "NUL character; the file is not a text file"))
        }
        switch TOMLDocument.parse(text) {
        case .success(let root): return build(root, path: path)
        case .failure(let error): return .failure(syntaxError(error, text: text, path: path))
        }
    }

    private static func build(_ root: TOMLTable, path: String) -> ConfigParseResult {
        var reader = ConfigTableReader(table: root, file: path)
        for key in reader.keys where !ConfigKeys.topLevel.contains(key) {
            reader.report(ConfigKeys.error(for: key, at: reader.location(key), inRule: nil))
        }
        let defaults = PolicySettings(
            idleTimeout: reader.duration("idle_timeout"), warnBefore: reader.duration("warn_before"),
            grace: reader.duration("grace"), maxSession: reader.duration("max_session"),
            checkNoTTY: reader.bool("check_no_tty"), allowKeepalive: reader.bool("allow_keepalive"),
            activity: reader.choice("activity", as: ActivityMode.self), end: reader.choice("end", as: EndMode.self),
            graphical: reader.bool("graphical"))
        let allowShortTimeouts = reader.bool("allow_short_timeouts") ?? false
        let excludeUsers = reader.stringList("exclude_users") ?? []
        let excludeGroups = reader.stringList("exclude_groups") ?? []
        let scope = reader.choice("scope", as: IdleScope.self) ?? .session
        let adopt = reader.choice("adopt", as: AdoptMode.self) ?? .module

        var warnings: [ConfigWarning] = []
        if allowShortTimeouts { warnings.append(.shortTimeoutsAllowed(reader.location("allow_short_timeouts"))) }
        var references =
            excludeUsers.map { NameReference(kind: .user, name: $0.text, key: "exclude_users", location: $0.location) }
            + excludeGroups.map {
                NameReference(kind: .group, name: $0.text, key: "exclude_groups", location: $0.location)
            }

        var rules: [Rule] = []
        var ruleReaders: [Int: ConfigTableReader] = [:]
        var errors: [ConfigError] = []
        for (index, table) in ruleTables(&reader) {
            var parser = RuleParser(table: table, index: index, file: path)
            let rule = parser.parse()
            ruleReaders[index] = parser.reader
            errors += parser.reader.errors
            references += parser.nameReferences
            if parser.reader.errors.isEmpty, rule.settings.isEmpty {
                warnings.append(.ruleSetsNothing(parser.headerLocation, rule: index))
            }
            if let name = rule.name, let earlier = rules.first(where: { $0.name == name }) {
                errors.append(.invalidValue(
                    parser.reader.location("name"), key: "name",
                    message: "\"\(name)\" is already the name of rule \(earlier.index) (line \(earlier.line)); "
                        + "rule names must be unique so that explain and the audit log are unambiguous"))
            }
            rules.append(rule)
        }
        errors += reader.errors
        let top = reader
        errors += ConfigValidation(
            defaults: defaults, allowShortTimeouts: allowShortTimeouts,
            locate: { rule, key in rule.flatMap { ruleReaders[$0] }.map { $0.location(key) } ?? top.location(key) }
        ).errors(rules: rules)

        let config = Config(
            path: path, fromFile: true, defaults: defaults, allowShortTimeouts: allowShortTimeouts,
            excludeUsers: excludeUsers.map(\.text), excludeGroups: excludeGroups.map(\.text), scope: scope,
            adopt: adopt, rules: rules)
        return ConfigParseResult(config: config, errors: errors, warnings: warnings, nameReferences: references)
    }

    /// The [[rule]] tables with their 1-based numbers; anything else under `rule` is reported on `reader`.
    private static func ruleTables(_ reader: inout ConfigTableReader) -> [(Int, TOMLTable)] {
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
            tables.append((index + 1, table))
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
