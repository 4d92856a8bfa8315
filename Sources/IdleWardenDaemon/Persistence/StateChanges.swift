/// What changed since the last save, so that a save writes the changed sessions, not all of them.
struct StateChanges {
    /// Sessions opened, changed or gone (a save tells them apart by looking them up).
    private(set) var ids: Set<String> = []
    /// A change to every session (a clock jump, a reload, start-up): the save is a snapshot.
    private(set) var all = false
    /// Only the session counter moved (an id taken by a session being opened).
    private(set) var counter = false

    var isEmpty: Bool { ids.isEmpty && !all && !counter }

    mutating func insert(_ id: String) {
        guard !all else { return }
        ids.insert(id)
        // Saves that keep failing (a full disk) would let the ids of every session since pile up: past a bound,
        // the next save is a snapshot instead, which needs no list.
        if ids.count > Self.limit { insertAll() }
    }

    static let limit = 4096

    mutating func insertAll() {
        all = true
        ids = []
    }

    mutating func insertCounter() {
        counter = true
    }
}
