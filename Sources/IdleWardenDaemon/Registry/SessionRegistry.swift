import IdleWardenCore

/// The one owner of per-session state: every session the daemon tracks with all it holds about it (`Entry`),
/// found by id, by leader process and by the leader's handle, and ordered by when each is next due. A session
/// enters through `insert` and leaves through `remove`, which takes it out of every index at once, so nothing
/// about a session outlives it (as systemd-logind's session_free does).
struct SessionRegistry {
    /// Everything the daemon holds about one session.
    struct Entry {
        var session: Session
        /// A handle on the leader that becomes readable when it exits (a pidfd in the event loop); nil when none
        /// could be opened or its watch ended. Only the registry changes it: it is one of its indexes.
        fileprivate(set) var leaderHandle: Int32?
        /// A handle on each inhibitor of the session (`Session.inhibitors`), readable when it exits; also an index.
        fileprivate(set) var inhibitorHandles: [Int32: ProcessIdentity] = [:]
        var phase: SessionPhase = .watched
        var display = DisplayWatch.SessionState()
        var logind = LogindWatch.SessionState()
        /// A forged terminal time was audited (`event=forged-input`): once per session.
        var forgedInputReported = false

        init(session: Session, leaderHandle: Int32?) {
            self.session = session
            self.leaderHandle = leaderHandle
        }

        var id: String { session.id }
        var leader: ProcessIdentity { session.leader }
    }

    private var entries: [String: Entry] = [:]
    private var idsByLeader: [ProcessIdentity: String] = [:]
    private var idsByHandle: [Int32: String] = [:]
    private var idsByInhibitorHandle: [Int32: String] = [:]
    private var schedule = Schedule()

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }

    subscript(id: String) -> Entry? { entries[id] }

    /// Every session, in no particular order.
    var sessions: LazyMapCollection<Dictionary<String, Entry>.Values, Session> { entries.values.lazy.map(\.session) }

    /// Every id, in the order the sessions were numbered (the order of `status` and of a snapshot).
    var orderedIDs: [String] { entries.keys.sorted(by: Self.numberedBefore) }

    /// The sessions `isIncluded` accepts, in the order they were numbered.
    func sessions(where isIncluded: (Session) -> Bool) -> [Session] {
        sessions.filter(isIncluded).sorted { Self.numberedBefore($0.id, $1.id) }
    }

    static func numberedBefore(_ first: String, _ second: String) -> Bool {
        (UInt64(first) ?? 0, first) < (UInt64(second) ?? 0, second)
    }

    /// How many keys each index holds: as many as sessions, fewer handles (a session whose leader is not
    /// watched) and deadlines (a session with nothing due).
    var indexSizes: (sessions: Int, leaders: Int, handles: Int, inhibitors: Int, deadlines: Int) {
        (entries.count, idsByLeader.count, idsByHandle.count, idsByInhibitorHandle.count, schedule.count)
    }

    func id(ofLeader leader: ProcessIdentity) -> String? { idsByLeader[leader] }

    func id(ofHandle handle: Int32) -> String? { idsByHandle[handle] }

    /// Adds a session whose id, leader and handle are all new (a login whose leader is registered already
    /// replaces that session, which the caller removes first).
    mutating func insert(_ entry: Entry) {
        precondition(entries[entry.id] == nil, "session \(entry.id) is registered already")
        precondition(idsByLeader[entry.leader] == nil, "leader \(entry.leader) is registered already")
        precondition(entry.leaderHandle.map { idsByHandle[$0] == nil } ?? true, "the leader's handle is in use")
        entries[entry.id] = entry
        idsByLeader[entry.leader] = entry.id
        if let handle = entry.leaderHandle { idsByHandle[handle] = entry.id }
    }

    /// Takes a session out of every index and returns what it held, for the caller to let go of (its leader's
    /// handle, a desktop notice); nil when it is not registered.
    @discardableResult
    mutating func remove(_ id: String) -> Entry? {
        guard let entry = entries.removeValue(forKey: id) else { return nil }
        idsByLeader[entry.leader] = nil
        if let handle = entry.leaderHandle { idsByHandle[handle] = nil }
        for handle in entry.inhibitorHandles.keys { idsByInhibitorHandle[handle] = nil }
        schedule.remove(id)
        return entry
    }

    /// Changes a registered session in place; nil when it is not registered (it may have ended meanwhile). The
    /// keys it is indexed by (id, leader, handle) must stay as they are.
    @discardableResult
    mutating func update<Result>(_ id: String, _ change: (inout Entry) throws -> Result) rethrows -> Result? {
        guard let keys = entries[id].map({ ($0.leader, $0.leaderHandle, $0.inhibitorHandles) }) else { return nil }
        let result = try change(&entries[id]!)
        let entry = entries[id]!
        precondition(entry.id == id && entry.leader == keys.0 && entry.leaderHandle == keys.1
                        && entry.inhibitorHandles == keys.2,
                     "an update changed the keys of session \(id)")
        return result
    }

    /// Ends the watch of a session's leader: its handle leaves the index and is returned, for the caller to close.
    mutating func takeLeaderHandle(_ id: String) -> Int32? {
        guard let handle = entries[id]?.leaderHandle else { return nil }
        entries[id]!.leaderHandle = nil
        idsByHandle[handle] = nil
        return handle
    }

    // MARK: Inhibitors

    /// The session and process of an inhibitor's handle.
    func inhibitor(ofHandle handle: Int32) -> (id: String, process: ProcessIdentity)? {
        guard let id = idsByInhibitorHandle[handle], let process = entries[id]?.inhibitorHandles[handle] else {
            return nil
        }
        return (id, process)
    }

    /// Indexes the handle on an inhibitor of a registered session; false when the session is not registered.
    mutating func addInhibitorHandle(_ handle: Int32, process: ProcessIdentity, to id: String) -> Bool {
        guard entries[id] != nil, idsByInhibitorHandle[handle] == nil else { return false }
        entries[id]!.inhibitorHandles[handle] = process
        idsByInhibitorHandle[handle] = id
        return true
    }

    /// Ends the watch of an inhibitor: its handle leaves the index and is returned with its session and process, for
    /// the caller to close.
    mutating func takeInhibitorHandle(_ handle: Int32) -> (id: String, process: ProcessIdentity)? {
        guard let found = inhibitor(ofHandle: handle) else { return nil }
        entries[found.id]!.inhibitorHandles[handle] = nil
        idsByInhibitorHandle[handle] = nil
        return found
    }

    // MARK: Deadlines

    /// Sets when a registered session is next due (a warning, an end, a terminal search, an end's next step).
    mutating func schedule(_ id: String, at moment: Instant) {
        guard entries[id] != nil else { return }
        schedule.set(id, at: moment)
    }

    mutating func unschedule(_ id: String) {
        schedule.remove(id)
    }

    func deadline(of id: String) -> Instant? { schedule.moment(of: id) }

    /// The earliest moment a session is due.
    mutating func nextDue() -> Instant? { schedule.next() }

    /// Takes the sessions due at or before `now` off the schedule, earliest first.
    mutating func popDue(now: Instant) -> [String] { schedule.popDue(now: now) }
}
