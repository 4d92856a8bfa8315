/// A request from the `idlewarden` command to the daemon. Any user may send one; the daemon answers only
/// with what the sender's uid (from kernel credentials) may see or touch.
public struct ControlRequest: Equatable, Sendable {
    public enum Action: Equatable, Sendable {
        case status
        /// Reset the idle clock of one session, or of all the sender's sessions when nil.
        case keepalive(sessionID: String?)
        case reload
        case sweep(dryRun: Bool)
        case metrics
        /// Hold the sender's session while the sending process lives; `sessionID` names the session it must be in.
        case inhibit(why: String?, sessionID: String?)
    }

    public var requestID: UInt32
    public var action: Action
    /// Which chunk of the answer to send. The client asks for each chunk in turn, so the daemon never has
    /// more than one reply datagram in flight to a client that may not be reading.
    public var chunk: UInt16

    public init(requestID: UInt32, action: Action, chunk: UInt16 = 0) {
        self.requestID = requestID
        self.action = action
        self.chunk = chunk
    }

    public init(_ reader: DatagramReader) throws(WireError) {
        requestID = UInt32(truncatingIfNeeded: try reader.requiredInteger(.requestID))
        chunk = UInt16(truncatingIfNeeded: reader.integer(.chunk) ?? 0)
        switch reader.kind {
        case .status:
            try reader.requireOnly([.requestID, .chunk])
            action = .status
        case .keepalive:
            try reader.requireOnly([.requestID, .chunk, .sessionID])
            action = .keepalive(sessionID: reader.text(.sessionID))
        case .reload:
            try reader.requireOnly([.requestID, .chunk])
            action = .reload
        case .sweep:
            try reader.requireOnly([.requestID, .chunk, .flags])
            action = .sweep(dryRun: (reader.integer(.flags) ?? 0) & 1 == 1)
        case .metrics:
            try reader.requireOnly([.requestID, .chunk])
            action = .metrics
        case .inhibit:
            try reader.requireOnly([.requestID, .chunk, .why, .sessionID])
            action = .inhibit(why: reader.text(.why), sessionID: reader.text(.sessionID))
        default:
            throw .unknownKind(reader.kind.rawValue)
        }
    }

    public func encoded() throws(WireError) -> [UInt8] {
        var writer: DatagramWriter
        switch action {
        case .status: writer = DatagramWriter(kind: .status)
        case .keepalive: writer = DatagramWriter(kind: .keepalive)
        case .reload: writer = DatagramWriter(kind: .reload)
        case .sweep: writer = DatagramWriter(kind: .sweep)
        case .metrics: writer = DatagramWriter(kind: .metrics)
        case .inhibit: writer = DatagramWriter(kind: .inhibit)
        }
        writer.append(.requestID, integer: UInt64(requestID))
        writer.append(.chunk, integer: UInt64(chunk))
        switch action {
        case .keepalive(let sessionID?): try writer.append(.sessionID, text: sessionID)
        case .sweep(let dryRun): writer.append(.flags, integer: dryRun ? 1 : 0)
        case .inhibit(let why, let sessionID):
            if let why { try writer.append(.why, text: why) }
            if let sessionID { try writer.append(.sessionID, text: sessionID) }
        case .status, .reload, .keepalive(nil), .metrics: break
        }
        return writer.bytes
    }
}
