/// Layout shared by every datagram on the control socket:
///
///     "IW" (2 bytes) | version (1) | kind (1) | fields...
///     field = tag (1) | length (2, big-endian) | value (length bytes)
///
/// Requests are capped at `requestLimit` so that a datagram fits comfortably in a socket buffer and a flood
/// of them cannot grow the daemon's memory; replies may be larger and are split into chunks.
public enum Datagram {
    public static let magic: [UInt8] = [0x49, 0x57]
    public static let version: UInt8 = 1
    public static let headerSize = 4
    public static let requestLimit = 4096
    public static let replyLimit = 60_000
    public static let maxOverrides = 16
}
