/// Why toml++ refused a text, and where.
struct TOMLSyntaxError: Error, Equatable {
    var position: TextPosition
    var message: String

    /// For text that broke one of the assumptions of toml++'s parser (see CTOML): `scope` is what it was reading
    /// ("table header", "array", ...), `found` the code point there (nil: the end of the text).
    static func unexpected(_ found: Unicode.Scalar?, scope: String, at position: TextPosition) -> TOMLSyntaxError {
        let saw = found.map(describe) ?? "the end of the file"
        let expected: String
        switch scope {
        case "table header": expected = "a table name such as [[rule]]"
        case "array": expected = "a value or \"]\""
        case "date-time", "time", "value": expected = "a two-digit hour in a date-time such as 1979-05-27T07:32:00"
        case "": return TOMLSyntaxError(position: position, message: "unexpected \(saw)")
        default:
            return TOMLSyntaxError(position: position, message: "Error while parsing \(scope): unexpected \(saw)")
        }
        return TOMLSyntaxError(position: position, message: "Error while parsing \(scope): expected \(expected), saw \(saw)")
    }

    /// A character as an admin can recognise it in a message: itself, or its name when it is invisible.
    static func describe(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n", "\r": return "the end of the line"
        case _ where scalar.properties.generalCategory == .control || scalar.properties.isWhitespace:
            let hex = String(scalar.value, radix: 16, uppercase: true)
            return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        default: return "\"\(scalar)\""
        }
    }
}
