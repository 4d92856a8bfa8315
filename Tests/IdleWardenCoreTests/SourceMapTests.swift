import XCTest

@testable import IdleWardenCore

/// The scanner that stands in for the node positions TOMLKit does not expose.
final class SourceMapTests: XCTestCase {
    private func position(_ text: String, _ path: [SourceMap.Component]) -> [Int]? {
        SourceMap(text: text).position(of: path).map { [$0.line, $0.column] }
    }

    func testKeysHeadersAndElements() {
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
        XCTAssertEqual(position(text, [.key("a")]), [1, 1])
        XCTAssertEqual(position(text, [.key("b")]), [2, 3])
        XCTAssertEqual(position(text, [.key("b"), .index(0)]), [2, 9])
        XCTAssertEqual(position(text, [.key("b"), .index(1)]), [4, 5])
        XCTAssertEqual(position(text, [.key("rule")]), [5, 3])
        XCTAssertEqual(position(text, [.key("rule"), .index(0)]), [5, 1])
        XCTAssertEqual(position(text, [.key("rule"), .index(0), .key("name")]), [6, 1])
        XCTAssertEqual(position(text, [.key("rule"), .index(1)]), [7, 1])
        XCTAssertEqual(position(text, [.key("rule"), .index(1), .key("quoted key")]), [8, 3])
        XCTAssertEqual(position(text, [.key("rule"), .index(1), .key("quoted key"), .key("inner")]), [8, 20])
        XCTAssertEqual(position(text, [.key("rule"), .index(1), .key("quoted key"), .key("dotted"), .key("key")]),
                       [8, 38])
        XCTAssertEqual(
            position(text, [.key("rule"), .index(1), .key("quoted key"), .key("dotted"), .key("key"), .index(1)]),
            [8, 48])
        XCTAssertEqual(position(text, [.key("table"), .key("sub")]), [9, 10])
        XCTAssertEqual(position(text, [.key("table"), .key("sub"), .key("z")]), [10, 1])
        XCTAssertNil(position(text, [.key("w")]))
        XCTAssertEqual(position(text, [.key("table"), .key("sub"), .key("v")]), [13, 1])
        XCTAssertEqual(position(text, [.key("table"), .key("sub"), .key("after")]), [14, 1])
        // A path never written itself falls back to its nearest written ancestor.
        XCTAssertEqual(position(text, [.key("rule"), .index(0), .key("absent")]), [5, 1])
        XCTAssertNil(position(text, [.key("absent")]))
    }

    func testTablesInsideTheLatestArrayElement() {
        let text = "[[a]]\n[[a]]\n[a.b]\nc = 1\n[[a.d]]\ne = 2"
        XCTAssertEqual(position(text, [.key("a"), .index(1), .key("b"), .key("c")]), [4, 1])
        XCTAssertEqual(position(text, [.key("a"), .index(1), .key("d"), .index(0), .key("e")]), [6, 1])
    }

    func testEscapesInQuotedKeys() {
        let text = #"  "a\"b\u00e9" = 1"#
        XCTAssertEqual(position(text, [.key("a\"bé")]), [1, 3])
    }

    func testNeverCrashesOnGarbage() {
        var generator = SplitMix64(seed: 99)
        let alphabet = Array("[]{}\"'=,.#\n\\ abc123\u{FEFF}é")
        for _ in 0..<2_000 {
            let text = String((0..<Int(generator.next() % 80)).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
            _ = SourceMap(text: text).position(of: [.key("a")])
        }
    }
}
