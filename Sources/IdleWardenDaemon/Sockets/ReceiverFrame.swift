import CIdleWarden

/// One message from the control receiver on its channel (the framing of `iw_receiver_step`): a datagram it
/// peeked at, or word that it dequeued that datagram.
enum ReceiverFrame {
    /// A datagram of the control socket, as the kernel delivered it. `carriesDescriptors`: it came with ancillary
    /// data beyond the sender's credentials (descriptors, on a kernel that lets them through).
    case datagram(ControlSocket.Received, carriesDescriptors: Bool)
    /// The receiver dequeued the datagram it forwarded last.
    case consumed

    static let headerSize = MemoryLayout<iw_frame_header>.size

    /// Nil for anything that is not a frame the receiver writes (a short read, an unknown kind, a payload whose
    /// length does not match): the channel is the daemon's own, so this only guards against a broken receiver.
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.headerSize else { return nil }
        let header = bytes.loadUnaligned(as: iw_frame_header.self)
        let payload = bytes.count - Self.headerSize
        switch Int32(header.kind) {
        case IW_FRAME_CONSUMED:
            guard payload == 0 else { return nil }
            self = .consumed
        case IW_FRAME_DATAGRAM:
            let flags = Int32(header.flags)
            let size = Int(header.size)
            if flags & IW_FRAME_NO_CREDENTIALS != 0 {
                self = .datagram(.noCredentials, carriesDescriptors: flags & IW_FRAME_ANCILLARY != 0)
                return
            }
            let addressLength = min(Int(header.address_length), MemoryLayout.size(ofValue: header.address))
            let address = withUnsafeBytes(of: header.address) { Array($0.prefix(addressLength)) }
            let sender = Sender(pid: header.pid, uid: header.uid, gid: header.gid, address: address)
            let received: ControlSocket.Received
            if flags & IW_FRAME_OVERSIZED != 0 {
                guard payload == 0 else { return nil }
                received = .oversized(size, sender)
            } else {
                guard payload == size else { return nil }
                received = size == 0 ? .empty(sender) : .datagram(Array(bytes[Self.headerSize...]), sender)
            }
            self = .datagram(received, carriesDescriptors: flags & IW_FRAME_ANCILLARY != 0)
        default:
            return nil
        }
    }
}
