/// Any datagram the control socket may carry, decoded and validated as a whole or not at all.
public enum Message: Equatable, Sendable {
    case session(SessionEvent)
    case request(ControlRequest)
    case reply(ReplyChunk)

    public static func decode(_ bytes: [UInt8], limit: Int = Datagram.requestLimit) throws(WireError) -> Message {
        let reader = try DatagramReader(bytes, limit: limit)
        switch reader.kind {
        case .open, .close: return .session(try SessionEvent(reader))
        case .status, .keepalive, .reload, .sweep, .metrics, .inhibit: return .request(try ControlRequest(reader))
        case .reply: return .reply(try ReplyChunk(reader))
        }
    }
}
