import IdleWardenClient
import XCTest

/// What `status` and the other commands print of a session's facts: no byte that a terminal would act on.
final class TerminalTextTests: XCTestCase {
    func testControlsAndBidiAreEscaped() {
        XCTAssertEqual(TerminalText.escaped("host\u{1B}]0;pwned\u{07}"), "host\\x1B]0;pwned\\x07")
        XCTAssertEqual(TerminalText.escaped("a\nb\tc\r\u{7F}"), "a\\x0Ab\\x09c\\x0D\\x7F")
        XCTAssertEqual(TerminalText.escaped("\u{9B}2J\u{85}\u{80}\u{9F}"), "\\x9B2J\\x85\\x80\\x9F")
        XCTAssertEqual(TerminalText.escaped("x\u{202E}gpj.exe"), "x\\u202Egpj.exe")
        XCTAssertEqual(TerminalText.escaped("\u{202A}\u{202B}\u{202C}\u{202D}"), "\\u202A\\u202B\\u202C\\u202D")
        XCTAssertEqual(TerminalText.escaped("\u{2066}\u{2067}\u{2068}\u{2069}"), "\\u2066\\u2067\\u2068\\u2069")
        XCTAssertEqual(TerminalText.escaped("\u{200E}\u{200F}\u{061C}\u{2028}\u{2029}"),
                       "\\u200E\\u200F\\u061C\\u2028\\u2029")
    }

    /// A backslash is doubled, so that typing "\x1B" into a field cannot pass for an escape the tool made.
    func testBackslashIsDoubled() {
        XCTAssertEqual(TerminalText.escaped("\\x1B"), "\\\\x1B")
    }

    /// Printable text, accents, other scripts and emoji stay as they are.
    func testPrintableTextIsUnchanged() {
        for text in ["alice", "203.0.113.7", "pts/3", "Zoë Ünal", "日本語", "ssh 🙂", "a b", "", "exempt (rule 1)"] {
            XCTAssertEqual(TerminalText.escaped(text), text)
        }
        XCTAssertFalse(TerminalText.needsEscape(" "))
        XCTAssertFalse(TerminalText.needsEscape("\u{A0}"))
        XCTAssertTrue(TerminalText.needsEscape("\u{0}"))
    }
}
