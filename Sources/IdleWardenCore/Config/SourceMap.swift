/// The line and column of every key, table header and array element of a TOML document.
///
/// TOMLKit 0.6.0 reports positions only for syntax errors: toml++ knows where each node came from, but TOMLKit's C
/// shim does not expose it. So after toml++ has accepted a document, this scans the same text once more, with
/// just enough TOML grammar (strings, arrays, inline tables, comments, dotted and quoted keys, [table] and
/// [[array]] headers) to know which path each position belongs to. It runs only on text toml++ accepted, so it
/// can be lenient; it never traps and always advances, whatever the text.
struct SourceMap {
    /// One step of a path: a key, or an index into an array (including the Nth `[[rule]]`).
    enum Component: Hashable {
        case key(String)
        case index(Int)
    }

    /// A 1-based line and column.
    struct Position: Equatable {
        var line: Int
        var column: Int
    }

    private var positions: [[Component]: Position] = [:]

    /// A place where toml++ 3.x (inside TOMLKit 0.6.0) would parse with a broken assumption: a failed assertion
    /// (abort) in debug builds, undefined behaviour (`__builtin_assume(false)`) in release builds. Two call sites
    /// of toml++ skip the check their callee assumes:
    /// - a table header: after `[` or `[[` and blanks it calls its key parser without checking that a key can
    ///   start there (`[#`, `[é]`, `[.]`, `[` at the end of a line);
    /// - an array: where a value is expected it calls its value parser on `}`, U+0085, U+2028 or U+2029;
    /// - a date-time: after `YYYY-MM-DDT` (or `t`) it calls its time parser without checking for a digit
    ///   (`1979-05-27T:00`), and after `YYYY-MM-DD H` it scans on into a terminator (`1979-05-27 9,`).
    /// Each trap is text that is invalid TOML anyway, so refusing it never refuses a valid file.
    /// Text with a trap must never reach toml++.
    struct ParserTrap: Equatable {
        /// Where the construct with the trap (header, array element, value) begins.
        var start: Position
        var position: Position
        /// Offset in Unicode scalars, to cut the text just before the trap.
        var offset: Int
        var found: Unicode.Scalar
        /// What toml++ would have needed there, for the error message.
        var expected: String
    }

    /// The first trap in the text, if any.
    private(set) var parserTrap: ParserTrap?

    init(text: String) {
        var scanner = Scanner(text: text)
        scanner.scanDocument()
        positions = scanner.positions
        parserTrap = scanner.parserTrap
    }

    /// Where `path` was first written; for a path never written itself (an implicit table), its nearest ancestor.
    func position(of path: [Component]) -> Position? {
        var path = path
        while !path.isEmpty {
            if let position = positions[path] { return position }
            path.removeLast()
        }
        return nil
    }

    private struct Scanner {
        let scalars: [Unicode.Scalar]
        var index = 0
        var line = 1
        var column = 1
        var positions: [[Component]: Position] = [:]
        /// How many `[[name]]` headers each array-of-tables path has had so far.
        var arrayTableCounts: [[Component]: Int] = [:]
        var parserTrap: ParserTrap?

        /// toml++ does not stop at any nesting below this, so nothing valid is deeper.
        private static let maximumDepth = 300

        init(text: String) {
            scalars = Array(text.unicodeScalars)
            if scalars.first == "\u{FEFF}" { index = 1 }
        }

        var current: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }
        var position: Position { Position(line: line, column: column) }

        func peek(_ offset: Int) -> Unicode.Scalar? {
            index + offset < scalars.count ? scalars[index + offset] : nil
        }

        mutating func advance() {
            guard let scalar = current else { return }
            index += 1
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }

        mutating func record(_ path: [Component], _ position: Position) {
            if positions[path] == nil { positions[path] = position }
        }

        mutating func scanDocument() {
            var table: [Component] = []
            while true {
                skipTrivia(newlines: true)
                guard let scalar = current else { return }
                let start = index
                if scalar == "[" {
                    table = scanHeader()
                } else {
                    scanKeyValue(in: table, depth: 0)
                }
                if index == start { advance() }
            }
        }

        /// Reads `[a.b]` or `[[a.b]]` and returns the path that the following key/value lines belong to.
        mutating func scanHeader() -> [Component] {
            let start = position
            let startsLine = isAtLineStart
            advance()
            let hadBlanks = skipBlanks()
            var isArray = false
            if current == "[", !hadBlanks {
                isArray = true
                advance()
                skipBlanks()
            }
            // Mirror toml++'s header parser: "[ [" is its own clean error; anything else that cannot start a key is
            // the unsafe case. Only a header that starts its line is reached: elsewhere toml++ fails earlier.
            if startsLine, let next = current, !(next == "[" && hadBlanks),
               !(next == "]" || next == "\"" || next == "'" || Self.isBareKey(next))
            {
                trap(next, expected: "a table name such as [[rule]]", start: start)
            }
            var path: [Component] = []
            let keys = scanKey()
            for (offset, (key, keyPosition)) in keys.enumerated() {
                path.append(.key(key))
                record(path, keyPosition)
                // `[a.b]` inside the latest `[[a]]`: step into that element, as TOML does.
                if offset < keys.count - 1, let count = arrayTableCounts[path] { path.append(.index(count - 1)) }
            }
            if isArray {
                let count = arrayTableCounts[path, default: 0]
                arrayTableCounts[path] = count + 1
                path.append(.index(count))
                record(path, start)
            }
            while let scalar = current, scalar != "\n", scalar != "#" { advance() }
            return path
        }

        mutating func scanKeyValue(in table: [Component], depth: Int) {
            var path = table
            for (key, keyPosition) in scanKey() {
                path.append(.key(key))
                record(path, keyPosition)
            }
            skipTrivia(newlines: false)
            guard current == "=" else { return }
            advance()
            skipTrivia(newlines: false)
            scanValue(path, depth: depth)
        }

        /// Reads a possibly dotted key and returns each part with where it starts.
        mutating func scanKey() -> [(String, Position)] {
            var parts: [(String, Position)] = []
            while true {
                skipTrivia(newlines: false)
                let start = position
                guard let scalar = current else { return parts }
                let key: String
                switch scalar {
                case "\"": key = scanBasicString()
                case "'": key = scanLiteralString()
                default:
                    var text = String.UnicodeScalarView()
                    while let next = current, Self.isBareKey(next) {
                        text.append(next)
                        advance()
                    }
                    guard !text.isEmpty else { return parts }
                    key = String(text)
                }
                parts.append((key, start))
                skipTrivia(newlines: false)
                guard current == "." else { return parts }
                advance()
            }
        }

        mutating func scanValue(_ path: [Component], depth: Int) {
            guard let scalar = current else { return }
            switch scalar {
            case "\"" where peek(1) == "\"" && peek(2) == "\"":
                scanMultilineString(quote: "\"")
            case "'" where peek(1) == "'" && peek(2) == "'":
                scanMultilineString(quote: "'")
            case "\"":
                _ = scanBasicString()
            case "'":
                _ = scanLiteralString()
            case "[" where depth < Self.maximumDepth:
                scanArray(path, depth: depth + 1)
            case "{" where depth < Self.maximumDepth:
                scanInlineTable(path, depth: depth + 1)
            default:
                if let ahead = dateTimeTrapOffset, let found = peek(ahead) {
                    trap(found, expected: "a two-digit hour in a date-time such as 1979-05-27T07:32:00",
                         start: position, ahead: ahead)
                }
                while let next = current, !["\n", ",", "]", "}", "#"].contains(next) { advance() }
            }
        }

        /// Where a date-time trap is, relative to the current position (see `ParserTrap`): after `YYYY-MM-DDT`
        /// (or `t`) something other than a digit, or after `YYYY-MM-DD ` a digit and then something else.
        var dateTimeTrapOffset: Int? {
            guard let first = current, Self.isDigit(first), peek(4) == "-", peek(7) == "-",
                  (1...9).allSatisfy({ peek($0).map { Self.isDigit($0) || $0 == "-" } ?? false })
            else { return nil }
            if peek(10) == "T" || peek(10) == "t", let hour = peek(11), !Self.isDigit(hour) { return 11 }
            if peek(10) == " ", let hour = peek(11), Self.isDigit(hour), let next = peek(12), !Self.isDigit(next) {
                return 12
            }
            return nil
        }

        mutating func scanArray(_ path: [Component], depth: Int) {
            advance()
            var element = 0
            var expectingValue = true
            while true {
                skipTrivia(newlines: true)
                guard let scalar = current else { return }
                switch scalar {
                case "]":
                    advance()
                    return
                case ",":
                    advance()
                    expectingValue = true
                default:
                    if expectingValue, ["}", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar) {
                        trap(scalar, expected: "a value or \"]\"", start: position)
                    }
                    expectingValue = false
                    let start = index
                    record(path + [.index(element)], position)
                    scanValue(path + [.index(element)], depth: depth)
                    element += 1
                    if index == start { advance() }
                }
            }
        }

        /// Records the first trap: its construct starts at `start`, the trap itself is `ahead` scalars past the
        /// current position (never across a line break).
        mutating func trap(_ found: Unicode.Scalar, expected: String, start: Position, ahead: Int = 0) {
            guard parserTrap == nil else { return }
            parserTrap = ParserTrap(start: start, position: Position(line: line, column: column + ahead),
                                    offset: index + ahead, found: found, expected: expected)
        }

        mutating func scanInlineTable(_ path: [Component], depth: Int) {
            advance()
            while true {
                skipTrivia(newlines: true)
                guard let scalar = current else { return }
                switch scalar {
                case "}":
                    advance()
                    return
                case ",":
                    advance()
                default:
                    let start = index
                    scanKeyValue(in: path, depth: depth)
                    if index == start { advance() }
                }
            }
        }

        /// Reads "..." with escapes; returns the decoded text (for quoted keys).
        mutating func scanBasicString() -> String {
            advance()
            var text = String.UnicodeScalarView()
            while let scalar = current, scalar != "\n" {
                advance()
                if scalar == "\"" { return String(text) }
                if scalar == "\\" {
                    text.append(contentsOf: scanEscape())
                } else {
                    text.append(scalar)
                }
            }
            return String(text)
        }

        /// Reads the escape after a backslash; an unknown one decodes to itself (toml++ has already refused it).
        mutating func scanEscape() -> [Unicode.Scalar] {
            guard let scalar = current else { return [] }
            advance()
            switch scalar {
            case "n": return ["\n"]
            case "t": return ["\t"]
            case "r": return ["\r"]
            case "b": return ["\u{08}"]
            case "f": return ["\u{0C}"]
            case "e": return ["\u{1B}"]
            case "u", "U":
                var hex = ""
                for _ in 0..<(scalar == "u" ? 4 : 8) {
                    guard let digit = current, digit.properties.isASCIIHexDigit else { break }
                    hex.unicodeScalars.append(digit)
                    advance()
                }
                return UInt32(hex, radix: 16).flatMap(Unicode.Scalar.init).map { [$0] } ?? []
            default: return [scalar]
            }
        }

        mutating func scanLiteralString() -> String {
            advance()
            var text = String.UnicodeScalarView()
            while let scalar = current, scalar != "\n" {
                advance()
                if scalar == "'" { return String(text) }
                text.append(scalar)
            }
            return String(text)
        }

        /// Reads """...""" or '''...''', whose closing may carry up to two extra quotes that belong to the text.
        mutating func scanMultilineString(quote: Unicode.Scalar) {
            advance()
            advance()
            advance()
            while let scalar = current {
                if scalar == "\\" && quote == "\"" {
                    advance()
                    advance()
                } else if scalar == quote && peek(1) == quote && peek(2) == quote {
                    advance()
                    advance()
                    advance()
                    var extra = 0
                    while current == quote && extra < 2 {
                        advance()
                        extra += 1
                    }
                    return
                } else {
                    advance()
                }
            }
        }

        /// Whether only spaces and tabs precede the current position on its line.
        var isAtLineStart: Bool {
            var back = index - 1
            while back >= 0, scalars[back] == " " || scalars[back] == "\t" { back -= 1 }
            return back < 0 || scalars[back] == "\n" || (back == 0 && scalars[0] == "\u{FEFF}")
        }

        /// Skips spaces and tabs; returns whether there were any.
        @discardableResult
        mutating func skipBlanks() -> Bool {
            let start = index
            while current == " " || current == "\t" { advance() }
            return index > start
        }

        mutating func skipTrivia(newlines: Bool) {
            while let scalar = current {
                if scalar == " " || scalar == "\t" || (newlines && (scalar == "\n" || (scalar == "\r" && peek(1) == "\n"))) {
                    advance()
                } else if scalar == "#" {
                    while let next = current, next != "\n" { advance() }
                } else {
                    return
                }
            }
        }

        static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }

        static func isBareKey(_ scalar: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                || scalar == "_" || scalar == "-"
        }
    }
}
