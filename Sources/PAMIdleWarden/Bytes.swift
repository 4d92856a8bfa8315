import CPAM

/// A NUL-terminated C string owned by someone else (libpam, the pam.d line, a literal), seen as bytes.
/// The module never converts such values to `String`: they are sent byte for byte, whatever they hold, and
/// the daemon decides whether they are acceptable. Valid only while the owner keeps the memory alive (for
/// PAM items and arguments: the duration of the module call). A collection of its bytes, so that it goes into a
/// `SessionDatagram` as it is.
struct CBytes: RandomAccessCollection {
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

    var startIndex: Int { 0 }
    var endIndex: Int { count }
    subscript(position: Int) -> UInt8 { buffer[position] }

    /// The bytes after position `index` (none past the end): the value of `name=value`, given the `=`.
    func bytes(after index: Int) -> CBytes {
        let start = Swift.min(index + 1, count)
        return CBytes(pointer: pointer + start, count: count - start)
    }

    private init(pointer: UnsafePointer<CChar>, count: Int) {
        self.pointer = pointer
        self.count = count
    }
}
