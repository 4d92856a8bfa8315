/// TOML text → a validated `Config`, or every error in the text.
///
/// toml++ (through CTOML) does the TOML and tells where each key and value was written; this checks what
/// idlewarden means by it: known keys, types, durations, globs, bounds. A syntax error stops that file there
/// (toml++ reports only the first); otherwise every problem is collected, in every file, so an admin sees them
/// all in one `check-config` run.
///
/// The main file and its drop-ins are merged in the order given (the loader gives conf.d/*.conf in byte order
/// of their names), each file over the ones before it:
/// - a top-level key set in several files takes the value of the last file that sets it;
/// - exclude_users and exclude_groups add each file's names to those of the files before it, and an empty list
///   (`exclude_users = []`) empties what the files before it listed;
/// - [[rule]] tables are appended: the main file's first, then each drop-in's, numbered 1, 2, ... across all of
///   them, and tried in that order (rule names must be unique across all the files).
/// Bounds are checked on the merged result: a drop-in's idle_timeout must be longer than a warn_before from the
/// main file, and allow_short_timeouts from any file lifts the 60 s minimum in every file.
public enum ConfigParser {
    /// One file and no drop-ins. - Parameter path: the file the text came from, used only in positions.
    public static func parse(_ text: String, path: String) -> ConfigParseResult {
        parse(main: ConfigText(path: path, text: text), dropIns: [], mainPath: path)
    }

    /// The main file (nil when it does not exist: its drop-ins then apply over the built-in defaults) and its
    /// drop-ins, in the order they are merged.
    public static func parse(main: ConfigText?, dropIns: [ConfigText], mainPath: String) -> ConfigParseResult {
        var layers: [ConfigLayer] = []
        var nextRule = 1
        for text in (main.map { [$0] } ?? []) + dropIns {
            let layer = ConfigLayer(text, firstRule: nextRule)
            nextRule += layer.rules.count
            layers.append(layer)
        }
        return merge(layers, mainPath: mainPath, mainExists: main != nil)
    }

    private static func merge(_ layers: [ConfigLayer], mainPath: String, mainExists: Bool) -> ConfigParseResult {
        var errors = layers.flatMap(\.errors)
        var warnings = layers.flatMap(\.warnings)
        let notes = layers.flatMap(\.notes)
        let files = layers.map(\.file)

        var locations = ConfigLocations()
        for layer in layers {
            for key in ConfigKeys.shared + ConfigKeys.topLevelOnly {
                if let at = layer.location(of: key) { locations.keys[key] = at }
            }
        }
        let defaults = layers.reduce(PolicySettings()) { $0.overlaid(by: $1.defaults) }
        let allowShortTimeouts = layers.compactMap(\.allowShortTimeouts).last ?? false
        if allowShortTimeouts, let at = locations.keys["allow_short_timeouts"] {
            warnings.append(.shortTimeoutsAllowed(at))
        }
        let excludeUsers = mergeNames(layers.map(\.excludeUsers), into: &locations.excludedUsers)
        let excludeGroups = mergeNames(layers.map(\.excludeGroups), into: &locations.excludedGroups)

        let rules = layers.flatMap(\.rules)
        for (position, (rule, reader)) in rules.enumerated() {
            guard let name = rule.name, let earlier = rules[..<position].first(where: { $0.rule.name == name })?.rule
            else { continue }
            errors.append(.invalidValue(
                reader.location("name"), key: "name",
                message: "\"\(name)\" is already the name of rule \(earlier.index) (\(earlier.file):\(earlier.line)); "
                    + "rule names must be unique so that explain and the audit log are unambiguous"))
        }
        let ruleReaders = Dictionary(rules.map { ($0.rule.index, $0.reader) }, uniquingKeysWith: { first, _ in first })
        // A top-level key is named as the last file that sets it wrote it.
        let topReaders = Dictionary(
            layers.flatMap { layer in
                (ConfigKeys.shared + ConfigKeys.topLevelOnly).compactMap { key in
                    layer.location(of: key).flatMap { _ in layer.reader.map { (key, $0) } }
                }
            }, uniquingKeysWith: { _, last in last })
        let start = SourceLocation(file: files.first ?? mainPath, line: 1, column: 1)
        errors += ConfigValidation(
            defaults: defaults, allowShortTimeouts: allowShortTimeouts,
            locate: { rule, key in
                guard let reader = rule.map({ ruleReaders[$0] }) ?? topReaders[key] else { return (start, key) }
                return (reader.location(key), reader.written(key))
            }
        ).errors(rules: rules.map(\.rule))

        let config = Config(
            path: mainPath, fromFile: mainExists, dropIns: Array(files.dropFirst(mainExists ? 1 : 0)),
            defaults: defaults, allowShortTimeouts: allowShortTimeouts, excludeUsers: excludeUsers,
            excludeGroups: excludeGroups, scope: layers.compactMap(\.scope).last ?? .session,
            adopt: layers.compactMap(\.adopt).last ?? .module,
            auditFormat: layers.compactMap(\.auditFormat).last ?? .kv,
            metricsFile: layers.compactMap(\.metricsFile).last,
            lockCommand: layers.compactMap(\.lockCommand).last, rules: rules.map(\.rule), locations: locations)
        return ConfigParseResult(
            config: config, errors: errors, warnings: warnings, notes: notes,
            nameReferences: layers.flatMap(\.nameReferences), files: files)
    }

    /// The exclusion lists of the files in order: each adds its names, `[]` empties the list so far.
    private static func mergeNames(
        _ lists: [[(text: String, location: SourceLocation)]?], into locations: inout [String: SourceLocation]
    ) -> [String] {
        var names: [String] = []
        for list in lists {
            guard let list else { continue }
            if list.isEmpty {
                names = []
                locations = [:]
            }
            for (name, at) in list where locations[name] == nil {
                names.append(name)
                locations[name] = at
            }
        }
        return names
    }
}
