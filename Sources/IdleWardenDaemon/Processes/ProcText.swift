#if canImport(Glibc)
import Glibc
#endif

/// Reads and parses /proc files as bytes: a session listing reads several small files per process, so they are
/// read into a stack buffer and parsed in place, without an array or a String per file. A missing or vanished file
/// is nil, never an error: processes come and go between any two reads.
enum ProcText {
    /// Calls `body` with the whole file (at most about `limit` bytes); nil when it cannot be opened or read (the
    /// process is gone).
    static func withContents<R>(
        _ path: String, limit: Int = maxLength, _ body: (UnsafeBufferPointer<UInt8>) -> R
    ) -> R? {
        try? contents(path, limit: limit, body).get()
    }

    /// As `withContents`, with the errno of a failed open or read, so that a caller can tell a process that is
    /// gone (ENOENT, ESRCH) from a read that failed (EMFILE, ENOMEM).
    static func contents<R>(
        _ path: String, limit: Int = maxLength, _ body: (UnsafeBufferPointer<UInt8>) -> R
    ) -> Result<R, ReadFailure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(ReadFailure(errno: errno)) }
        defer { close(fd) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { buffer -> Result<R, ReadFailure> in
            let base = buffer.baseAddress!
            var filled = 0
            while filled < buffer.count {
                let count = read(fd, base + filled, buffer.count - filled)
                if count < 0 && errno == EINTR { continue }
                guard count >= 0 else { return .failure(ReadFailure(errno: errno)) }
                if count == 0 { return .success(body(UnsafeBufferPointer(start: base, count: filled))) }
                filled += count
            }
            // Longer than the buffer (the children of a busy process): go on in an array.
            var whole = Array(UnsafeBufferPointer(start: base, count: filled))
            while whole.count < limit {
                let count = read(fd, base, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count >= 0 else { return .failure(ReadFailure(errno: errno)) }
                if count == 0 { break }
                whole.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
            }
            return .success(whole.withUnsafeBufferPointer(body))
        }
    }

    /// Why a /proc file could not be read.
    struct ReadFailure: Error, Equatable {
        var errno: Int32

        /// The process (or its file) is gone; any other errno says nothing about the process.
        var processIsGone: Bool { errno == ENOENT || errno == ESRCH }
    }

    /// The whole file as bytes (at most about `limit`): for files read whole, such as an environment.
    static func bytes(of path: String, limit: Int = 64 * 1024) -> [UInt8]? {
        withContents(path, limit: limit) { Array($0) }
    }

    /// More than any /proc file read here holds (a children file with every pid of a 4-million pid space).
    static let maxLength = 64 * 1024 * 1024

    /// The numeric entries of a directory (/proc, /proc/PID/task), in directory order.
    static func numericEntries(_ path: String) -> [Int32] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var result: [Int32] = []
        while let entry = readdir(dir) {
            let value: Int32? = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                let bytes = raw.assumingMemoryBound(to: UInt8.self)
                let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
                return number(bytes[..<end])
            }
            if let value, value > 0 { result.append(value) }
        }
        return result
    }

    /// The space-separated numbers of a text ("12 345 \n").
    static func numbers(_ text: UnsafeBufferPointer<UInt8>) -> [Int32] {
        var result: [Int32] = []
        var index = text.startIndex
        while index < text.endIndex {
            while index < text.endIndex && !isDigit(text[index]) { index += 1 }
            let begin = index
            while index < text.endIndex && isDigit(text[index]) { index += 1 }
            if index > begin, let value: Int32 = number(text[begin..<index]) { result.append(value) }
        }
        return result
    }

    /// A decimal integer, optionally negative, that is the whole of `bytes`; nil on anything else or overflow.
    static func number<T: FixedWidthInteger>(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> T? {
        var index = bytes.startIndex
        let negative = index < bytes.endIndex && bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < bytes.endIndex else { return nil }
        var value: T = 0
        while index < bytes.endIndex {
            let byte = bytes[index]
            guard isDigit(byte) else { return nil }
            let digit = T(byte - UInt8(ascii: "0"))
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = negative ? shifted.subtractingReportingOverflow(digit)
                : shifted.addingReportingOverflow(digit)
            guard !overflow && !overflow2 else { return nil }
            value = next
            index += 1
        }
        return value
    }

    static func trimmed(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Slice<UnsafeBufferPointer<UInt8>> {
        var lower = bytes.startIndex, upper = bytes.endIndex
        while lower < upper && (bytes[lower] == UInt8(ascii: " ") || bytes[lower] == UInt8(ascii: "\n")) { lower += 1 }
        while upper > lower && (bytes[upper - 1] == UInt8(ascii: " ") || bytes[upper - 1] == UInt8(ascii: "\n")) {
            upper -= 1
        }
        return bytes[lower..<upper]
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
