/// Who sent a datagram, from the kernel (SCM_CREDENTIALS), never from the datagram itself.
public struct Sender: Equatable, Sendable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
    /// The sender's socket address, to send a reply to; empty when it has none (then no reply is possible).
    public var address: [UInt8]

    public var isRoot: Bool { uid == 0 }
}
