/// One audit line: `event=NAME key=value ...`. Values that are not plain tokens are double-quoted with
/// `\"`, `\\` and `\xNN` escapes, so a hostile user name or rhost can neither add a field nor start a line.
public struct AuditRecord: Equatable, Sendable, CustomStringConvertible {
    public var event: String
    public var fields: [(key: String, value: String)]

    public init(_ event: String, _ fields: [(String, String?)] = []) {
        self.event = event
        self.fields = fields.compactMap { key, value in value.map { (key, $0) } }
    }

    public static func == (lhs: AuditRecord, rhs: AuditRecord) -> Bool {
        lhs.description == rhs.description
    }

    public var description: String {
        var line = "event=" + Self.escape(event)
        for field in fields {
            line += " " + field.key + "=" + Self.escape(field.value)
        }
        return line
    }

    static func isPlain(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("._:/@+-,".utf8).contains(byte)
        }
    }

    public static func escape(_ value: String) -> String {
        let bytes = Array(value.utf8)
        if !bytes.isEmpty && bytes.allSatisfy(isPlain) { return value }
        var quoted = "\""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): quoted += "\\\""
            case UInt8(ascii: "\\"): quoted += "\\\\"
            case 0x20...0x7E: quoted.unicodeScalars.append(Unicode.Scalar(byte))
            default: quoted += "\\x" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return quoted + "\""
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
