import IdleWardenCore

/// What the daemon reads about processes: the daemon reads /proc (`LiveProcessTree`), the unit tests read
/// fixtures. Every read may find its process gone (nil or empty): processes come and go between any two reads.
protocol ProcessTreeSource {
    /// False when the kernel has no /proc/PID/task/TID/children (built without CONFIG_PROC_CHILDREN): then a
    /// session's processes can only be found from the parent links of a full listing.
    var listsChildren: Bool { get }
    /// /proc/PID/stat; `realUID` is left unset (`UInt32.max`), it costs another file.
    func stat(_ pid: Int32) -> ProcessRecord?
    /// The children of every thread of `process`: a child is listed under the thread that forked it.
    func children(of process: ProcessRecord) -> [Int32]
    /// The real uid, from /proc/PID/status.
    func realUID(_ pid: Int32) -> UInt32?
    /// The kernel audit session id (/proc/PID/sessionid).
    func auditSessionID(_ pid: Int32) -> UInt32?
    /// Whether the process ignores SIGHUP (/proc/PID/status).
    func ignoresHangup(_ pid: Int32) -> Bool
    /// The PID namespace of `pid`, compared with the daemon's (see `PIDNamespace`).
    func pidNamespace(_ pid: Int32) -> PIDNamespace
    /// Whether `identity` still runs; `unknown` when /proc could not be read (see `ProcessLiveness`).
    func liveness(of identity: ProcessIdentity) -> ProcessLiveness
    /// Every process with its real uid and PID namespace: the full listing.
    func all() -> [ProcessRecord]
}

extension ProcessTreeSource {
    /// One process with its real uid and PID namespace (stat, status, ns/pid); nil when it is gone.
    func record(_ pid: Int32) -> ProcessRecord? {
        guard var record = stat(pid), let uid = realUID(pid) else { return nil }
        record.realUID = uid
        record.pidNamespace = pidNamespace(pid)
        return record
    }
}
