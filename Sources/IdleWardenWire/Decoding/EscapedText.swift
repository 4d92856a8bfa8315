/// Text a login program passes on from elsewhere, kept as printable text whatever its bytes: PAM_RHOST is what
/// the remote side or a resolver said (a reverse DNS name may hold any byte), so a control character or a
/// malformed sequence in it is no reason to refuse the login. Control characters (C0, DEL, C1), the bidirectional
/// overrides and isolates (which reorder what a terminal shows) and bytes that are not UTF-8 become `\xNN`, one
/// per byte; everything else, a backslash too, stays as it was (so printable text round-trips unchanged).
public enum EscapedText {
    public static func escaping(_ bytes: some Collection<UInt8>) -> String {
        let bytes = Array(bytes)
        var text = ""
        var index = 0
        while index < bytes.count {
            let length = sequenceLength(bytes, at: index)
            let sequence = bytes[index..<(index + max(length, 1))]
            if length == 0 || mustEscape(sequence) {
                for byte in sequence { text += "\\x" + hex(byte) }
            } else {
                text += String(decoding: sequence, as: UTF8.self)
            }
            index += max(length, 1)
        }
        return text
    }

    /// The length of the well-formed UTF-8 sequence at `index` (as `DatagramReader` accepts them), or 0.
    private static func sequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
        let lead = bytes[index]
        if lead < 0x80 { return 1 }
        let count: Int
        var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: count = 1
        case 0xE0: count = 2; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: count = 2
        case 0xED: count = 2; upper = 0x9F
        case 0xF0: count = 3; lower = 0x90
        case 0xF1...0xF3: count = 3
        case 0xF4: count = 3; upper = 0x8F
        default: return 0
        }
        guard bytes.count - index > count else { return 0 }
        for offset in 1...count {
            let byte = bytes[index + offset]
            let (low, high) = offset == 1 ? (lower, upper) : (UInt8(0x80), UInt8(0xBF))
            guard byte >= low, byte <= high else { return 0 }
        }
        return count + 1
    }

    private static func mustEscape(_ sequence: ArraySlice<UInt8>) -> Bool {
        let scalar = String(decoding: sequence, as: UTF8.self).unicodeScalars.first!.value
        switch scalar {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]], as: UTF8.self)
    }
}
