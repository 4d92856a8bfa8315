/// Text that came from elsewhere, made printable whatever its bytes. PAM_RHOST is what the remote side or a
/// resolver said (a reverse DNS name may hold any byte), so a control character or a malformed sequence in it is
/// no reason to refuse the login; and `status` and the other commands print what logins and the daemon passed on
/// (a tty name, a user name) on the reader's terminal, where a control would move the cursor or retitle the
/// window. Control characters (C0, DEL, C1), the bidirectional overrides, isolates and marks and the line and
/// paragraph separators (which make a line read in another order than it is) and bytes that are not UTF-8 become
/// `\xNN`, one per byte; everything else, a backslash too, stays as it was (so printable text round-trips
/// unchanged, and escaping twice changes nothing).
public enum EscapedText {
    /// Text as it may be printed: `text` itself when nothing in it needs escaping.
    public static func escaping(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: mustEscape) else { return text }
        return escaping(text.utf8)
    }

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
        mustEscape(String(decoding: sequence, as: UTF8.self).unicodeScalars.first!)
    }

    /// C0 controls, DEL, C1 controls (U+0080–U+009F), the bidirectional embeddings and overrides (U+202A–U+202E),
    /// isolates (U+2066–U+2069) and marks (U+200E, U+200F, U+061C), and the line and paragraph separators
    /// (U+2028, U+2029).
    public static func mustEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: return true
        case 0x200E, 0x200F, 0x061C, 0x2028, 0x2029: return true
        default: return false
        }
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]], as: UTF8.self)
    }
}
