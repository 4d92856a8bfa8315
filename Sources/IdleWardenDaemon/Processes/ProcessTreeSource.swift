/// What a session-scoped process listing (`ProcessTable.session(of:auditSession:source:)`) reads about processes:
/// the daemon reads /proc (`LiveProcessTree`), the unit tests read fixtures. Every read may find its process
/// gone (nil or empty): processes come and go between any two reads.
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
    /// Every process with its real uid: the full listing.
    func all() -> [ProcessRecord]
}
