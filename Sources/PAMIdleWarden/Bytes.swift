import CPAM

/// A NUL-terminated C string owned by someone else (libpam, the pam.d line, a literal), seen as bytes.
/// The module never converts such values to `String`: they are sent byte for byte, whatever they hold, and
/// the daemon decides whether they are acceptable. Valid only while the owner keeps the memory alive (for
/// PAM items and arguments: the duration of the module call).
struct CBytes {
    let pointer: UnsafePointer<CChar>
    let count: Int

    init(_ pointer: UnsafePointer<CChar>) {
        self.pointer = pointer
        count = strlen(pointer)
    }

    init(_ literal: StaticString) {
        pointer = UnsafeRawPointer(literal.utf8Start).assumingMemoryBound(to: CChar.self)
        count = literal.utf8CodeUnitCount
    }

    var buffer: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: count)
    }

    /// Whether the bytes begin with `prefix` (compared byte by byte, no bounds can be exceeded).
    func hasPrefix(_ prefix: StaticString) -> Bool {
        let length = prefix.utf8CodeUnitCount
        guard count >= length else { return false }
        return memcmp(pointer, prefix.utf8Start, length) == 0
    }

    func equals(_ literal: StaticString) -> Bool {
        count == literal.utf8CodeUnitCount && hasPrefix(literal)
    }

    /// The bytes after the first `offset` ones (empty when `offset` is past the end).
    func dropFirst(_ offset: Int) -> CBytes {
        guard offset > 0 else { return self }
        guard offset < count else { return CBytes(pointer: pointer + count, count: 0) }
        return CBytes(pointer: pointer + offset, count: count - offset)
    }

    private init(pointer: UnsafePointer<CChar>, count: Int) {
        self.pointer = pointer
        self.count = count
    }
}
