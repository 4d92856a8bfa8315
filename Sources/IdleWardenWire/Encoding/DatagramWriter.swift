/// Builds one datagram field by field. It refuses values that the reader would refuse, so a sender learns
/// about an over-long field before anything is sent.
public struct DatagramWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(kind: MessageKind) {
        bytes = Datagram.magic
        bytes.append(Datagram.version)
        bytes.append(kind.rawValue)
    }

    /// Appends an integer in the fixed width of its tag (high bytes beyond that width are dropped).
    public mutating func append(_ tag: FieldTag, integer value: UInt64) {
        let width = tag.limit
        appendHeader(tag, length: width)
        var shift = (width - 1) * 8
        while shift >= 0 {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
            shift -= 8
        }
    }

    /// Appends a value byte for byte: PAM items from the module, UTF-8 from the others.
    public mutating func append<Bytes: Collection<UInt8>>(_ tag: FieldTag, bytes value: Bytes) throws(WireError) {
        let count = value.count
        guard count <= tag.limit else { throw .fieldTooLong(tag, length: count, limit: tag.limit) }
        appendHeader(tag, length: count)
        bytes.append(contentsOf: value)
    }

    public mutating func append(_ tag: FieldTag, text: String) throws(WireError) {
        try append(tag, bytes: text.utf8)
    }

    private mutating func appendHeader(_ tag: FieldTag, length: Int) {
        bytes.append(tag.rawValue)
        bytes.append(UInt8(truncatingIfNeeded: length >> 8))
        bytes.append(UInt8(truncatingIfNeeded: length))
    }
}
