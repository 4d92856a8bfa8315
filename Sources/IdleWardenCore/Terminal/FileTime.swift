/// A file time as stat(2) reports it: wall-clock seconds and nanoseconds since the epoch.
public struct FileTime: Comparable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var seconds: Int64
    public var nanoseconds: Int32

    public init(seconds: Int64, nanoseconds: Int32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    public static func < (lhs: FileTime, rhs: FileTime) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    /// Whether it has a fraction of a second: the kernel stores a terminal's read or write time in whole seconds.
    public var hasFraction: Bool { nanoseconds != 0 }

    /// "1767225600.123456789": whole seconds, then all nine digits of the fraction.
    public var description: String {
        let fraction = String(nanoseconds)
        return "\(seconds)." + String(repeating: "0", count: max(0, 9 - fraction.count)) + fraction
    }
}
