import XCTest

@testable import IdleWardenCore

/// toml++ 3.x's parser assumes a few things that invalid text can break (found by fuzzing): a failed assertion
/// (abort) in a debug build, undefined behaviour in a release build. CTOML turns each into an ordinary syntax error
/// at the offending character (see ctoml.cpp); similar-looking valid text must still parse.
final class TOMLParserTrapTests: XCTestCase {
    func testTrapsAreSyntaxErrorsAtTheOffendingCharacter() {
        let hour = "expected a two-digit hour in a date-time such as 1979-05-27T07:32:00"
        let cases: [(text: String, line: Int, column: Int, key: String, fragment: String)] = [
            ("[#", 1, 2, "syntax", "Error while parsing table header: expected a table name such as [[rule]], saw \"#\""),
            ("grace = \"1s\"\n[é]", 2, 2, "syntax", "saw \"é\""),
            ("[[ .rule]]", 1, 4, "syntax", "saw \".\""),
            ("[\n", 1, 2, "syntax", "saw the end of the line"),
            ("[[\t[x]]", 1, 4, "syntax", "saw \"[\""),
            ("\u{FEFF}[{]", 1, 2, "syntax", "saw \"{\""),
            ("exclude_users = [}", 1, 18, "exclude_users", "expected a value or \"]\", saw \"}\""),
            ("exclude_users = [\"a\",\n  }", 2, 3, "syntax", "saw \"}\""),
            ("exclude_users = [\u{2028}]", 1, 18, "exclude_users", "saw U+2028"),
            ("exclude_users = [\u{85}]", 1, 18, "exclude_users", "saw U+0085"),
            ("a = { b = [ } ] }", 1, 13, "a", "saw \"}\""),
            ("a = 1979-05-27t:", 1, 16, "a", hour + ", saw \":\""),
            ("a = 1979-05-27 9#", 1, 17, "a", hour + ", saw \"#\""),
            ("a = 1979-05-27 1,", 1, 17, "a", "saw \",\""),
            ("a = 1979-05-27 1\n", 1, 17, "a", "saw the end of the line"),
            // A trap of toml++ 3.4 that 3.3 reports cleanly.
            ("a = [1979-05-27T\n]", 1, 6, "a", "could not determine value type"),
        ]
        for (text, line, column, key, fragment) in cases {
            let result = ConfigParser.parse(text, path: "t")
            XCTAssertNil(result.config, text.debugDescription)
            XCTAssertEqual(result.errors.count, 1, text.debugDescription)
            guard let error = result.errors.first else { continue }
            XCTAssertEqual(error.key, key, text.debugDescription)
            XCTAssertEqual([error.location.line, error.location.column], [line, column], "\(text.debugDescription): \(error)")
            XCTAssertTrue(error.message.contains(fragment), "\(text.debugDescription): \(error)")
        }
    }

    /// When the text before a trap already has an error, toml++ stops there first.
    func testAnEarlierSyntaxErrorIsReportedInstead() {
        let result = ConfigParser.parse("grace = = 1\n[#", path: "t")
        XCTAssertEqual(result.errors.map(\.location.line), [1])
        XCTAssertTrue(result.errors.first?.message.contains("Error while parsing") ?? false, "\(result.errors)")
        // "[ [" is toml++'s own clean error ("brackets must be contiguous"), not a trap.
        let spaced = ConfigParser.parse("[ [x]]", path: "t")
        XCTAssertTrue(spaced.errors.first?.message.contains("contiguous") ?? false, "\(spaced.errors)")
    }

    /// CTOML replaces toml++ 3.3's test for non-ASCII blanks, which is undefined behaviour for most code points of
    /// three blocks (see ctoml.cpp; found with libFuzzer and UBSan, which this test does not run under): the blanks
    /// it means still give toml++'s "expected space or tab" error, their neighbours in those blocks an ordinary one.
    func testNonASCIIBlanksAndTheirNeighbours() {
        for blank in ["\u{A0}", "\u{2003}", "\u{3000}", "\u{FEFF}"] {
            let errors = ConfigParser.parse("grace = \"1s\" \(blank)", path: "t").errors
            XCTAssertEqual(errors.map(\.location.column), [14], blank.debugDescription)
            XCTAssertTrue(errors.first?.message.contains("expected space or tab") ?? false, "\(errors)")
        }
        for other in ["\u{A1}", "\u{48A}", "\u{2C5E}", "\u{3001}", "\u{3057}", "\u{FB26}", "\u{FEFE}"] {
            let errors = ConfigParser.parse("grace = \"1s\"\n\(other)", path: "t").errors
            XCTAssertEqual(errors.map { [$0.location.line, $0.location.column] }, [[2, 1]], other.debugDescription)
            XCTAssertTrue(errors.first?.message.contains("expected keys, tables, whitespace or comments") ?? false,
                          "\(errors)")
        }
    }

    func testLookalikesThatAreValidStillParse() throws {
        let text = """
            exclude_users = [ "}", '[#' ]   # [# in a comment, } too
            exclude_groups = [
              # comment
              "a", "b",
            ]
            ["rule"]
            """
        // `["rule"]` is a (quoted) table header: valid TOML, and a [rule] table is then a config error, not a trap.
        let result = ConfigParser.parse(text, path: "t")
        XCTAssertEqual(result.errors.map(\.key), ["rule"])
        XCTAssertEqual(try XCTUnwrap(result.errors.first).location.line, 6)

        let dates = "[[rule]]\nname = \"1979-05-27T:\"\nusers = [\"a\"]\nexempt = true\n" + "[x]\nd = 1979-05-27T07:32:00Z\ne = 1979-05-27 07:32:00\nf = 1979-05-27\ng = [1979-05-27, 07:32:00]"
        XCTAssertEqual(ConfigParser.parse(dates, path: "t").errors.map(\.key), ["x"])
    }
}
