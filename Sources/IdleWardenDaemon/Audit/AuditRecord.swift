import IdleWardenCore

/// One audit line: `event=NAME key=value ...`. Values that are not plain tokens are double-quoted with
/// `\"`, `\\` and `\xNN` escapes, so a hostile user name or rhost can neither add a field nor start a line.
/// With `audit_format = "json"` the same fields, in the same order, form one JSON object (see `json`).
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

    /// The line in `format`.
    public func rendered(_ format: AuditFormat) -> String {
        switch format {
        case .kv: return description
        case .json: return json
        }
    }

    /// `{"event":"NAME","key":"value",...}`: every value a JSON string, exactly the text of the kv value, so that
    /// both formats carry the same data. Everything outside printable ASCII is written as a `\uXXXX` escape, so
    /// that neither syslog's handling of control and 8-bit bytes nor a bidi override in a user name can change
    /// what a reader sees.
    public var json: String {
        var line = "{\"event\":" + Self.jsonString(event)
        for field in fields {
            line += "," + Self.jsonString(field.key) + ":" + Self.jsonString(field.value)
        }
        return line + "}"
    }

    static func jsonString(_ value: String) -> String {
        var quoted = "\""
        for unit in value.utf16 {
            switch unit {
            case 0x22: quoted += "\\\"" // quotation mark
            case 0x5C: quoted += "\\\\" // backslash
            case 0x20...0x7E: quoted.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default: quoted += "\\u" + String(unit, radix: 16).leftPadded(to: 4)
            }
        }
        return quoted + "\""
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
