#if canImport(Glibc)
import Glibc
#endif

import IdleWardenCore

/// The process tree as /proc shows it now.
struct LiveProcessTree: ProcessTreeSource {
    /// Whether this kernel has /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN); asked once.
    static let kernelListsChildren = access("/proc/self/task/\(getpid())/children", F_OK) == 0

    var listsChildren: Bool { Self.kernelListsChildren }

    func stat(_ pid: Int32) -> ProcessRecord? {
        ProcText.withContents("/proc/\(pid)/stat") { ProcessRecord.parseStat($0) } ?? nil
    }

    func children(of process: ProcessRecord) -> [Int32] {
        let pid = process.pid
        let threads = process.threads > 1 ? ProcText.numericEntries("/proc/\(pid)/task") : [pid]
        var result: [Int32] = []
        for tid in threads {
            result += ProcText.withContents("/proc/\(pid)/task/\(tid)/children") { ProcText.numbers($0) } ?? []
        }
        return result
    }

    func realUID(_ pid: Int32) -> UInt32? {
        ProcText.withContents("/proc/\(pid)/status") { ProcessRecord.parseRealUID($0) } ?? nil
    }

    func auditSessionID(_ pid: Int32) -> UInt32? {
        ProcText.withContents("/proc/\(pid)/sessionid") { ProcText.number(ProcText.trimmed($0[...])) } ?? nil
    }

    /// SigIgn bit 0. Read by pid: a reused pid only changes which signal comes first, since every signal goes
    /// through a checked pidfd.
    func ignoresHangup(_ pid: Int32) -> Bool {
        let mask = ProcText.withContents("/proc/\(pid)/status") { ProcessRecord.parseIgnoredSignals($0) } ?? nil
        return mask.map { $0 & 1 == 1 } ?? false
    }

    func all() -> [ProcessRecord] {
        ProcText.numericEntries("/proc").compactMap(record)
    }

    /// The pids of the daemon itself on its NSpid line: one, unless its /proc belongs to an outer namespace.
    static let ownNamespacePIDs = ProcText.withContents("/proc/self/status") { ProcessRecord.parseNamespacePIDs($0) }
        ?? nil

    func pidNamespace(_ pid: Int32) -> PIDNamespace {
        guard let own = Self.ownNamespacePIDs else { return .unknown }
        let pids = ProcText.withContents("/proc/\(pid)/status") { ProcessRecord.parseNamespacePIDs($0) } ?? nil
        return PIDNamespace(pids: pids, ownPIDs: own)
    }

    func liveness(of identity: ProcessIdentity) -> ProcessLiveness {
        let read = ProcText.contents("/proc/\(identity.pid)/stat") { ProcessRecord.parseStat($0) }
        switch read {
        case .success(let record?):
            return record.startTime == identity.startTime && !record.hasExited ? .alive : .gone
        case .success(nil): return .unknown
        case .failure(let failure): return failure.processIsGone ? .gone : .unknown
        }
    }
}
