/// One piece of the daemon's answer to a `ControlRequest`. Answers larger than one datagram (status of
/// thousands of sessions) are split; the client joins chunks 0...n in order and stops at the final one.
public struct ReplyChunk: Equatable, Sendable {
    public var requestID: UInt32
    public var index: UInt16
    public var isFinal: Bool
    public var payload: [UInt8]

    public init(requestID: UInt32, index: UInt16, isFinal: Bool, payload: [UInt8]) {
        self.requestID = requestID
        self.index = index
        self.isFinal = isFinal
        self.payload = payload
    }

    public init(_ reader: DatagramReader) throws(WireError) {
        guard reader.kind == .reply else { throw .unknownKind(reader.kind.rawValue) }
        try reader.requireOnly([.requestID, .chunk, .isFinal, .payload])
        requestID = UInt32(truncatingIfNeeded: try reader.requiredInteger(.requestID))
        index = UInt16(truncatingIfNeeded: try reader.requiredInteger(.chunk))
        isFinal = try reader.requiredInteger(.isFinal) != 0
        guard let payload = reader.bytes(.payload) else { throw .missingField(.payload) }
        self.payload = payload
    }

    public func encoded() throws(WireError) -> [UInt8] {
        var writer = DatagramWriter(kind: .reply)
        writer.append(.requestID, integer: UInt64(requestID))
        writer.append(.chunk, integer: UInt64(index))
        writer.append(.isFinal, integer: isFinal ? 1 : 0)
        try writer.append(.payload, bytes: payload)
        return writer.bytes
    }

    /// Splits a whole answer into chunks that each fit in one reply datagram.
    public static func split(_ payload: [UInt8], requestID: UInt32) -> [ReplyChunk] {
        let size = FieldTag.payload.limit
        var chunks: [ReplyChunk] = []
        var start = 0
        repeat {
            let end = min(start + size, payload.count)
            chunks.append(ReplyChunk(
                requestID: requestID, index: UInt16(truncatingIfNeeded: chunks.count),
                isFinal: end == payload.count, payload: Array(payload[start..<end])))
            start = end
        } while start < payload.count
        return chunks
    }
}
