import CTOML

/// A TOML document as toml++ parsed it (through CTOML), with the line and column of every key and value, so that
/// a config error can point at what the admin wrote. The values are read in place from toml++'s output, which
/// this object owns; `TOMLValue` and `TOMLTable` are positions in it.
final class TOMLDocument {
    private var raw: ctoml_document

    private init(_ raw: ctoml_document) {
        self.raw = raw
    }

    deinit {
        ctoml_free(&raw)
    }

    /// toml++ builds, walks and frees nested tables recursively, about 60 bytes of stack per level in a release
    /// build: `a.a.a…` nested 150,000 deep (300 KB of text) overflows an 8 MiB stack. Each "." "[" or "{" opens
    /// at most two levels, so text with no more of them than this nests too shallow to matter.
    static let maximumNestingCharacters = 20_000

    /// The root table of `text`, or the first syntax error (toml++ stops there).
    static func parse(_ text: String) -> Result<TOMLTable, TOMLSyntaxError> {
        if let position = nestingLimitExceeded(in: text) {
            return .failure(TOMLSyntaxError(
                position: position,
                message: "more than \(maximumNestingCharacters) \".\", \"[\" and \"{\" in the file; an idlewarden "
                    + "config never needs this many, and toml++ could not nest them safely"))
        }
        var text = text
        var raw = text.withUTF8 { ctoml_parse($0.baseAddress, $0.count) }
        switch raw.status {
        case CTOML_OK:
            let document = TOMLDocument(raw)
            guard raw.node_count > 0, let root = TOMLTable(TOMLValue(document: document, index: 0)) else {
                return .failure(TOMLSyntaxError(position: TextPosition(line: 1, column: 1), message: "no root table"))
            }
            return .success(root)
        case CTOML_SYNTAX_ERROR:
            defer { ctoml_free(&raw) }
            let position = TextPosition(line: Int(raw.error_line), column: Int(raw.error_column))
            return .failure(TOMLSyntaxError(position: position, message: String(cString: raw.message)))
        case CTOML_UNEXPECTED:
            defer { ctoml_free(&raw) }
            let scope = String(cString: raw.scope)
            // Line 0: the end of the text, or a place toml++ did not say (an assumption outside its parser).
            guard raw.error_line > 0 else {
                return .failure(.unexpected(nil, scope: scope, at: TextPosition.end(of: text)))
            }
            let position = TextPosition(line: Int(raw.error_line), column: Int(raw.error_column))
            return .failure(.unexpected(Unicode.Scalar(raw.found), scope: scope, at: position))
        default:
            ctoml_free(&raw)
            return .failure(TOMLSyntaxError(position: TextPosition(line: 1, column: 1),
                                            message: "out of memory while parsing the file"))
        }
    }

    private static func nestingLimitExceeded(in text: String) -> TextPosition? {
        var count = 0
        var position = TextPosition(line: 1, column: 1)
        for scalar in text.unicodeScalars {
            if scalar == "." || scalar == "[" || scalar == "{" {
                count += 1
                if count > maximumNestingCharacters { return position }
            }
            if scalar == "\n" {
                position.line += 1
                position.column = 1
            } else {
                position.column += 1
            }
        }
        return nil
    }


    func node(_ index: Int) -> ctoml_node { raw.nodes[index] }

    /// A key or string value: UTF-8 that toml++ has already validated.
    func text(offset: Int, length: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: UnsafeRawPointer(raw.strings + offset)
            .assumingMemoryBound(to: UInt8.self), count: length), as: UTF8.self)
    }
}
