/// Reads typed values out of one TOML table (the top level, or one [[rule]]) and turns every type or format
/// problem into a `ConfigError` at the key's position, then carries on: the parser reports all problems of a
/// file at once, so an admin fixes them in one pass instead of one reload per typo.
///
/// Keys are asked for by their current names; a key written under an old name (`ConfigKeys.aliases`) is read in
/// its place, with a note, and every message about it names what the admin wrote.
struct ConfigTableReader {
    let table: TOMLTable
    let file: String
    private(set) var errors: [ConfigError] = []
    private(set) var notes: [ConfigNote] = []
    /// Current name → the old name it was written under in this table.
    private var oldNames: [String: String] = [:]

    init(table: TOMLTable, file: String) {
        self.table = table
        self.file = file
        for (old, current) in ConfigKeys.aliases.sorted(by: { $0.key < $1.key }) where table.entry(old) != nil {
            if table.entry(current) != nil {
                report(.invalidValue(location(old), key: old, message: "\(old) is the old name of \(current), which "
                    + "is set too (line \(location(current).line)); remove \(old)"))
            } else {
                oldNames[current] = old
                notes.append(.oldName(location(old), key: old, current: current))
            }
        }
    }

    /// The keys of the table as written. toml++ returns them sorted, not in file order; errors are sorted by
    /// position later.
    var keys: [String] { table.keys }

    /// Whether `key` (a current name) is set, under its name or an old one.
    func isSet(_ key: String) -> Bool { value(key) != nil }

    /// The name `key` was written under: itself, or its old name.
    func written(_ key: String) -> String { oldNames[key] ?? key }

    private func value(_ key: String) -> TOMLValue? { table[written(key)] }

    /// Where the table itself was written: its [[rule]] header, its `{`, or the start of the file.
    var tableLocation: SourceLocation { location(table.value.position) }

    /// Where `key` was written, or element number `element` of its list; for an absent key, the table's place.
    func location(_ key: String, element: Int? = nil) -> SourceLocation {
        guard let entry = table.entry(written(key)) else { return tableLocation }
        if let element, let elements = entry.value.array, elements.indices.contains(element) {
            return location(elements[element].position)
        }
        return location(entry.keyPosition)
    }

    private func location(_ position: TextPosition) -> SourceLocation {
        SourceLocation(file: file, line: position.line, column: position.column)
    }

    mutating func report(_ error: ConfigError) { errors.append(error) }

    mutating func duration(_ key: String) -> Duration? {
        guard let value = value(key) else { return nil }
        guard let text = value.string else {
            var advice: String?
            if let number = value.integer {
                advice = "durations are strings with a unit: write \"\(number)s\" for seconds or \"\(number)m\" for minutes"
            } else if value.kind == .float {
                advice = "use whole numbers of a unit, e.g. \"1h30m\""
            }
            report(.wrongType(location(key), key: written(key), expected: "a duration string such as \"15m\"",
                              found: Self.describe(value), advice: advice))
            return nil
        }
        do {
            return try ConfigDuration.parse(text)
        } catch {
            report(.invalidDuration(location(key), key: written(key), error))
            return nil
        }
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let value = value(key) else { return nil }
        guard let flag = value.bool else {
            let advice = value.kind == .string ? "write true or false without quotes" : nil
            report(.wrongType(location(key), key: written(key), expected: "true or false", found: Self.describe(value),
                              advice: advice))
            return nil
        }
        return flag
    }

    /// A notice text with placeholders (`warn_message`), checked now.
    mutating func notice(_ key: String) -> NoticeTemplate? {
        guard let text = string(key) else { return nil }
        if let problem = NoticeTemplate.problem(in: text) {
            report(.invalidValue(location(key), key: key, message: problem))
            return nil
        }
        return NoticeTemplate(text)
    }

    mutating func string(_ key: String) -> String? {
        guard let value = value(key) else { return nil }
        guard let text = value.string else {
            report(.wrongType(location(key), key: written(key), expected: "a string", found: Self.describe(value), advice: nil))
            return nil
        }
        return text
    }

    mutating func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, as: Choice.Type) -> Choice?
    where Choice.RawValue == String {
        let allowed = Choice.allCases.map(\.rawValue)
        guard let value = value(key) else { return nil }
        guard let text = value.string else {
            report(.wrongType(location(key), key: written(key),
                              expected: "one of " + allowed.map { "\"\($0)\"" }.joined(separator: ", "),
                              found: Self.describe(value), advice: nil))
            return nil
        }
        guard let choice = Choice(rawValue: text) else {
            report(.invalidChoice(location(key), key: written(key), value: text, allowed: allowed))
            return nil
        }
        return choice
    }

    /// A list of non-empty strings, each with its own position (for warnings that point at one name). Nil when
    /// the key is absent or any element is wrong, so that one mistake does not cascade into more errors.
    mutating func stringList(_ key: String) -> [(text: String, location: SourceLocation)]? {
        guard let value = value(key) else { return nil }
        guard let array = value.array else {
            let advice = value.string.map { "write [\"\($0)\"]" }
            report(.wrongType(location(key), key: written(key), expected: "a list of strings such as [\"admins\"]",
                              found: Self.describe(value), advice: advice))
            return nil
        }
        var elements: [(text: String, location: SourceLocation)] = []
        var valid = true
        for (index, element) in array.enumerated() {
            let elementLocation = location(key, element: index)
            guard let text = element.string else {
                report(.wrongType(elementLocation, key: written(key), expected: "a string", found: Self.describe(element),
                                  advice: "every element of \(key) must be a quoted name"))
                valid = false
                continue
            }
            guard !text.isEmpty else {
                report(.invalidValue(elementLocation, key: written(key), message: "empty name in the list; remove it"))
                valid = false
                continue
            }
            elements.append((text, elementLocation))
        }
        return valid ? elements : nil
    }

    /// What the admin wrote, in words, for "expected X, found Y".
    static func describe(_ value: TOMLValue) -> String {
        switch value.kind {
        case .string: return "the string \"\(value.string ?? "")\""
        case .integer: return "the integer \(value.integer.map(String.init) ?? "")"
        case .float: return "the number \(value.float.map { String($0) } ?? "")"
        case .boolean: return "the boolean \(value.bool.map(String.init) ?? "")"
        case .array: return "a list"
        case .table: return "a table"
        case .dateTime: return "a date or time"
        }
    }
}
