/// A process listing taken at most once per wake-up, and only if some due session needs it: many sessions
/// coming due together share one pass over /proc.
final class ProcessSnapshot {
    private var taken: ProcessTable?

    var table: ProcessTable {
        if let taken { return taken }
        let table = ProcessTable.snapshot()
        taken = table
        return table
    }
}
