/// A process named so that it cannot be confused with a later process that reuses its pid: the kernel's
/// start time (clock ticks since boot, /proc/PID/stat field 22) differs for every process that holds a pid.
public struct ProcessIdentity: Hashable, Sendable, Codable, CustomStringConvertible {
    public var pid: Int32
    public var startTime: UInt64

    public init(pid: Int32, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    public var description: String { "\(pid)@\(startTime)" }
}
