import IdleWardenCore

/// The processes of the sessions looked at in one wake-up, each session's listed at most once (a due session's
/// terminal search and its display lookup share one listing) and only if it is needed.
final class ProcessSnapshot {
    private let source: any ProcessTreeSource
    private var taken: [ProcessIdentity: ProcessTable] = [:]

    init(source: any ProcessTreeSource) {
        self.source = source
    }

    func table(of leader: ProcessIdentity) -> ProcessTable {
        if let table = taken[leader] { return table }
        let table = ProcessTable.session(of: leader, source: source)
        taken[leader] = table
        return table
    }
}
