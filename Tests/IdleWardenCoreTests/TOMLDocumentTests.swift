import XCTest

@testable import IdleWardenCore

/// The document that toml++ gives through CTOML: values of every kind, and the position of every key, header and
/// array element, which config errors point at.
final class TOMLDocumentTests: XCTestCase {
    private func root(_ text: String) throws -> TOMLTable {
        try TOMLDocument.parse(text).get()
    }

    /// The value at `path`: keys, and list indices as Ints.
    private func value(_ table: TOMLTable, _ path: [AnyHashable]) -> TOMLValue? {
        var current = table.value
        for step in path {
            if let key = step as? String, let next = current.table?[key] {
                current = next
            } else if let index = step as? Int, let elements = current.array, elements.indices.contains(index) {
                current = elements[index]
            } else {
                return nil
            }
        }
        return current
    }

    private func at(_ position: TextPosition?) -> [Int]? { position.map { [$0.line, $0.column] } }

    func testKeysHeadersAndElements() throws {
        let text = """
            a = 1
              b = [ "x",
                # comment with c = 2 and [[rule]]
                "y" ]
            [[rule]]
            name = 'its'
            [[rule]]
              "quoted key" = { inner = 1, dotted.key = [1, 2] }
            [table . sub]
            z = \"\"\"
            w = "not a key"
            \"\"\"
            v = '''x'''
            after = true
            """
        let document = try root(text)
        XCTAssertEqual(at(document.entry("a")?.keyPosition), [1, 1])
        XCTAssertEqual(at(document.entry("b")?.keyPosition), [2, 3])
        XCTAssertEqual(at(value(document, ["b", 0])?.position), [2, 9])
        XCTAssertEqual(at(value(document, ["b", 1])?.position), [4, 5])
        XCTAssertEqual(value(document, ["b", 1])?.string, "y")
        XCTAssertEqual(at(document.entry("rule")?.keyPosition), [5, 3])
        XCTAssertEqual(at(value(document, ["rule", 0])?.position), [5, 1])
        XCTAssertEqual(at(value(document, ["rule", 0])?.table?.entry("name")?.keyPosition), [6, 1])
        XCTAssertEqual(value(document, ["rule", 0, "name"])?.string, "its")
        XCTAssertEqual(at(value(document, ["rule", 1])?.position), [7, 1])
        let second = try XCTUnwrap(value(document, ["rule", 1])?.table)
        XCTAssertEqual(at(second.entry("quoted key")?.keyPosition), [8, 3])
        XCTAssertEqual(at(value(second, ["quoted key"])?.table?.entry("inner")?.keyPosition), [8, 20])
        XCTAssertEqual(at(value(second, ["quoted key", "dotted"])?.table?.entry("key")?.keyPosition), [8, 38])
        XCTAssertEqual(at(value(second, ["quoted key", "dotted", "key", 1])?.position), [8, 48])
        XCTAssertEqual(value(second, ["quoted key", "dotted", "key", 1])?.integer, 2)
        XCTAssertEqual(at(value(document, ["table"])?.table?.entry("sub")?.keyPosition), [9, 10])
        let sub = try XCTUnwrap(value(document, ["table", "sub"])?.table)
        XCTAssertEqual(sub.keys, ["after", "v", "z"])
        XCTAssertEqual(at(sub.entry("z")?.keyPosition), [10, 1])
        XCTAssertEqual(value(sub, ["z"])?.string, "w = \"not a key\"\n")
        XCTAssertNil(document["w"])
        XCTAssertEqual(at(sub.entry("v")?.keyPosition), [13, 1])
        XCTAssertEqual(at(sub.entry("after")?.keyPosition), [14, 1])
        XCTAssertEqual(value(sub, ["after"])?.bool, true)
    }

    func testTablesInsideTheLatestArrayElement() throws {
        let document = try root("[[a]]\n[[a]]\n[a.b]\nc = 1\n[[a.d]]\ne = 2")
        XCTAssertEqual(at(value(document, ["a", 1, "b"])?.table?.entry("c")?.keyPosition), [4, 1])
        XCTAssertEqual(at(value(document, ["a", 1, "d", 0])?.table?.entry("e")?.keyPosition), [6, 1])
        XCTAssertEqual(value(document, ["a", 0])?.table?.keys, [])
    }

    func testEscapesInQuotedKeysAndStrings() throws {
        let document = try root(#"  "a\"b\u00e9" = "\tc\U0001F600""#)
        XCTAssertEqual(at(document.entry("a\"bé")?.keyPosition), [1, 3])
        XCTAssertEqual(document["a\"bé"]?.string, "\tc😀")
    }

    func testEveryKind() throws {
        let document = try root("s = 'x'\ni = -7\nf = 1.5\nb = false\nd = 1979-05-27\nt = 07:32:00\na = []\nn = {}")
        XCTAssertEqual(["s", "i", "f", "b", "d", "t", "a", "n"].map { document[$0]?.kind },
                       [.string, .integer, .float, .boolean, .dateTime, .dateTime, .array, .table])
        XCTAssertEqual(document["i"]?.integer, -7)
        XCTAssertEqual(document["f"]?.float, 1.5)
        XCTAssertEqual(document["b"]?.bool, false)
        XCTAssertNil(document["s"]?.integer)
        XCTAssertEqual(document["a"]?.array?.count, 0)
        XCTAssertEqual(document["n"]?.table?.keys, [])
    }

    func testSyntaxErrorHasToMLPlusPlusPositionAndMessage() {
        guard case .failure(let error) = TOMLDocument.parse("a = 1\nb = = 2") else { return XCTFail("parsed") }
        XCTAssertEqual(at(error.position), [2, 5])
        XCTAssertTrue(error.message.hasPrefix("Error while parsing"), error.message)
    }

    /// Deep nesting is read without recursion on this side, and text that could nest deep enough to overflow
    /// toml++'s own recursion is refused before it gets there.
    func testDeepNesting() throws {
        let depth = 5_000
        let document = try root(Array(repeating: "a", count: depth).joined(separator: ".") + " = 1")
        var table = document
        for _ in 1..<depth { table = try XCTUnwrap(table["a"]?.table) }
        XCTAssertEqual(table["a"]?.integer, 1)

        let deep = "# deep\n" + Array(repeating: "a", count: 300_000).joined(separator: ".") + " = 1"
        guard case .failure(let error) = TOMLDocument.parse(deep) else { return XCTFail("parsed") }
        XCTAssertEqual(at(error.position), [2, 2 * TOMLDocument.maximumNestingCharacters + 2])
        XCTAssertTrue(error.message.contains("more than 20000"), error.message)
    }

    func testNeverCrashesOnGarbage() {
        var generator = SplitMix64(seed: 99)
        let alphabet = Array("[]{}\"'=,.#\n\\ abc123\u{FEFF}é")
        for _ in 0..<2_000 {
            let text = String((0..<Int(generator.next() % 80)).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
            if case .success(let document) = TOMLDocument.parse(text) { _ = document["a"] }
        }
    }
}
