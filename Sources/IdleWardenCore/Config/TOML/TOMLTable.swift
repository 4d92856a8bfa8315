/// A TOML table: its entries by key, each with where its key was written.
struct TOMLTable {
    struct Entry {
        let value: TOMLValue
        let keyPosition: TextPosition
    }

    /// The table itself: where it was written (its `[header]`, or its `{`).
    let value: TOMLValue
    /// In toml++'s order, which is sorted by key, not the file's.
    let keys: [String]
    private let entries: [String: Entry]

    /// Nil when `value` is not a table.
    init?(_ value: TOMLValue) {
        guard value.kind == .table else { return nil }
        self.value = value
        var keys: [String] = []
        var entries: [String: Entry] = [:]
        for child in value.children {
            guard let key = child.key else { continue }
            keys.append(key.name)
            entries[key.name] = Entry(value: child, keyPosition: key.position)
        }
        self.keys = keys
        self.entries = entries
    }

    subscript(key: String) -> TOMLValue? { entries[key]?.value }

    func entry(_ key: String) -> Entry? { entries[key] }
}
