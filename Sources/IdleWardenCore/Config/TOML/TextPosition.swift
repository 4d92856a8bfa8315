/// A 1-based line and column in a text, the column counted in Unicode code points as toml++ counts it.
struct TextPosition: Equatable, Sendable {
    var line: Int
    var column: Int

    /// Just after the last character.
    static func end(of text: String) -> TextPosition {
        var position = TextPosition(line: 1, column: 1)
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                position.line += 1
                position.column = 1
            } else {
                position.column += 1
            }
        }
        return position
    }
}
