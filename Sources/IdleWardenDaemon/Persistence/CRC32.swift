/// CRC-32 (IEEE 802.3, as zlib computes it). It detects a torn or damaged state file; it is not meant to
/// resist tampering, which the root-only 0700 state directory prevents.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var running = Running()
        running.update(bytes)
        return running.value
    }

    /// A checksum computed over bytes that arrive in pieces (the state file is written in chunks).
    struct Running {
        private var crc: UInt32 = 0xFFFF_FFFF

        mutating func update(_ bytes: some Sequence<UInt8>) {
            var crc = self.crc
            CRC32.table.withUnsafeBufferPointer { table in
                for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
            }
            self.crc = crc
        }

        var value: UInt32 { crc ^ 0xFFFF_FFFF }
    }
}
