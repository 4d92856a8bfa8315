import CPAM

/// One message for `pam_syslog`, built as bytes. Values that come from outside (user names, hosts, paths)
/// are escaped so that no byte of theirs can split the line or forge text: printable ASCII stays, `"` and
/// `\` and everything else become `\xNN`, and long values are cut.
struct LogLine {
    private var bytes: [UInt8] = []

    init(_ text: StaticString) {
        bytes.reserveCapacity(256)
        append(text)
    }

    mutating func append(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends `value` quoted and escaped, at most `limit` bytes of it.
    mutating func append(quoted value: CBytes?, limit: Int = 96) {
        guard let value else {
            append("(none)")
            return
        }
        bytes.append(0x22)
        var written = 0
        for byte in value.buffer {
            if written >= limit {
                append("...")
                break
            }
            if byte >= 0x20, byte < 0x7F, byte != 0x22, byte != 0x5C {
                bytes.append(byte)
            } else {
                bytes.append(0x5C)
                bytes.append(0x78)
                bytes.append(Self.hexDigit(byte >> 4))
                bytes.append(Self.hexDigit(byte & 0x0F))
            }
            written &+= 1
        }
        bytes.append(0x22)
    }

    /// Appends a trusted C string (a strerror text) with the same escaping, unquoted.
    mutating func append(text pointer: UnsafePointer<CChar>) {
        let value = CBytes(pointer)
        var written = 0
        for byte in value.buffer {
            if written >= 128 { break }
            bytes.append(byte >= 0x20 && byte < 0x7F ? byte : 0x3F)
            written &+= 1
        }
    }

    mutating func append(decimal value: UInt64) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { digits in
            repeat {
                guard count < digits.count else { break }
                digits[count] = UInt8(truncatingIfNeeded: rest % 10) &+ 0x30
                rest /= 10
                count &+= 1
            } while rest != 0
            while count > 0 {
                count &-= 1
                bytes.append(digits[count])
            }
        }
    }

    mutating func append(decimal value: Int) {
        if value < 0 {
            bytes.append(0x2D)
            append(decimal: UInt64(value.magnitude))
        } else {
            append(decimal: UInt64(value))
        }
    }

    /// Sends the line to the system log through libpam (which adds the module and service names).
    func log(_ pamh: OpaquePointer?, priority: Int32) {
        var message = bytes
        message.append(0)
        message.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            UnsafeRawPointer(base).withMemoryRebound(to: CChar.self, capacity: buffer.count) { text in
                cpam_syslog(pamh, priority, text)
            }
        }
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? value &+ 0x30 : value &- 10 &+ 0x61
    }
}
