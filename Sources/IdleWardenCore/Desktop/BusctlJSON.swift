/// One JSON value as `busctl --json=short` prints it: each reply (a method's out arguments, or one property) is
/// a line `{"type":"SIGNATURE","data":VALUE}`. Integers are kept exact (D-Bus `t` is 64 bits, more than a
/// Double holds), which is why this small parser exists instead of a general JSON library.
public indirect enum BusctlJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    /// A number without fraction or exponent, as its digits with sign (D-Bus integers; `u`, `t`, `x`).
    case integer(String)
    /// Any other number (D-Bus `d`); not used by idlewarden, kept so such a reply still parses.
    case number(String)
    case string(String)
    case array([BusctlJSON])
    case object([String: BusctlJSON])

    /// Parses one complete value (surrounding whitespace allowed), nil when the text is not exactly one JSON value.
    public static func parse(_ text: String) -> BusctlJSON? {
        var parser = Parser(bytes: Array(text.utf8))
        guard let value = parser.value(depth: 0) else { return nil }
        parser.skipSpace()
        return parser.index == parser.bytes.count ? value : nil
    }

    public subscript(key: String) -> BusctlJSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var uint64: UInt64? {
        if case .integer(let digits) = self { return UInt64(digits) }
        return nil
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        /// Deeper nesting than this is not a busctl reply; it also bounds the recursion.
        static let maxDepth = 32

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func value(depth: Int) -> BusctlJSON? {
            guard depth < Self.maxDepth else { return nil }
            skipSpace()
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "{"): return object(depth: depth)
            case UInt8(ascii: "["): return array(depth: depth)
            case UInt8(ascii: "\""): return string().map(BusctlJSON.string)
            case UInt8(ascii: "t"): return literal("true", .bool(true))
            case UInt8(ascii: "f"): return literal("false", .bool(false))
            case UInt8(ascii: "n"): return literal("null", .null)
            default: return number()
            }
        }

        mutating func literal(_ word: String, _ value: BusctlJSON) -> BusctlJSON? {
            let word = Array(word.utf8)
            guard bytes.count - index >= word.count, Array(bytes[index..<index + word.count]) == word else { return nil }
            index += word.count
            return value
        }

        mutating func number() -> BusctlJSON? {
            let start = index
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            let digitsStart = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            guard index > digitsStart else { return nil }
            var integral = true
            while index < bytes.count, "0123456789.eE+-".utf8.contains(bytes[index]) {
                integral = false
                index += 1
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            return integral ? .integer(text) : .number(text)
        }

        mutating func string() -> String? {
            index += 1
            var out: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { return nil }
                    let escaped = bytes[index]
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "u"):
                        guard bytes.count - index >= 4,
                              let code = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
                        else { return nil }
                        index += 4
                        // Surrogate pairs never occur in the values idlewarden reads; they become U+FFFD.
                        out += Array(String(Unicode.Scalar(code).map(Character.init) ?? "\u{FFFD}").utf8)
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
                    default: return nil
                    }
                case 0x00..<0x20: return nil
                default: out.append(byte)
                }
            }
            return nil
        }

        mutating func array(depth: Int) -> BusctlJSON? {
            index += 1
            var items: [BusctlJSON] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            while true {
                guard let item = value(depth: depth + 1) else { return nil }
                items.append(item)
                skipSpace()
                guard index < bytes.count else { return nil }
                index += 1
                if bytes[index - 1] == UInt8(ascii: "]") { return .array(items) }
                guard bytes[index - 1] == UInt8(ascii: ",") else { return nil }
            }
        }

        mutating func object(depth: Int) -> BusctlJSON? {
            index += 1
            var members: [String: BusctlJSON] = [:]
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let key = string() else { return nil }
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                guard let member = value(depth: depth + 1) else { return nil }
                members[key] = member
                skipSpace()
                guard index < bytes.count else { return nil }
                index += 1
                if bytes[index - 1] == UInt8(ascii: "}") { return .object(members) }
                guard bytes[index - 1] == UInt8(ascii: ",") else { return nil }
            }
        }
    }
}
