import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A failed system call, named with what was being done, so the daemon's start-up error tells an admin
/// what to fix ("bind /run/idlewarden/control.sock: Address already in use").
public struct SystemError: Error, CustomStringConvertible {
    public var operation: String
    public var errno: Errno

    public init(_ operation: String, errno code: Int32 = Glibc.errno) {
        self.operation = operation
        self.errno = Errno(rawValue: code)
    }

    public var description: String { "\(operation): \(errno.description)" }

    /// Runs a swift-system call (which throws a bare `Errno`), naming `operation` if it fails.
    static func naming<Result>(_ operation: String, _ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as Errno {
            throw SystemError(operation, errno: error.rawValue)
        }
    }
}
