import IdleWardenCore

/// The processes of a full listing, with each one's children taken from the parent links: what the tree walks
/// read on a kernel without /proc/PID/task/TID/children (built without CONFIG_PROC_CHILDREN). Everything else is
/// read from `base` as it is now.
struct ParentLinkedTree<Base: ProcessTreeSource>: ProcessTreeSource {
    let base: Base
    private var childrenByParent: [Int32: [Int32]] = [:]

    init(base: Base) {
        self.base = base
        for record in base.all() { childrenByParent[record.ppid, default: []].append(record.pid) }
    }

    var listsChildren: Bool { true }
    func stat(_ pid: Int32) -> ProcessRecord? { base.stat(pid) }
    func children(of process: ProcessRecord) -> [Int32] { childrenByParent[process.pid] ?? [] }
    func realUID(_ pid: Int32) -> UInt32? { base.realUID(pid) }
    func auditSessionID(_ pid: Int32) -> UInt32? { base.auditSessionID(pid) }
    func ignoresHangup(_ pid: Int32) -> Bool { base.ignoresHangup(pid) }
    func pidNamespace(_ pid: Int32) -> PIDNamespace { base.pidNamespace(pid) }
    func liveness(of identity: ProcessIdentity) -> ProcessLiveness { base.liveness(of: identity) }
    func all() -> [ProcessRecord] { base.all() }
}
