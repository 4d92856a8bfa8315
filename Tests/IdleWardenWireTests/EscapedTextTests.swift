import IdleWardenWire
import XCTest

/// What `status` and the other commands print of a session's facts, and how PAM_RHOST is kept: no byte that a
/// terminal would act on, printable text unchanged. (Bytes that are not UTF-8: `SessionDatagramTests`.)
final class EscapedTextTests: XCTestCase {
    func testControlsAndBidiAreEscaped() {
        XCTAssertEqual(EscapedText.escaping("host\u{1B}]0;pwned\u{07}"), "host\\x1B]0;pwned\\x07")
        XCTAssertEqual(EscapedText.escaping("a\nb\tc\r\u{7F}"), "a\\x0Ab\\x09c\\x0D\\x7F")
        XCTAssertEqual(EscapedText.escaping("\u{9B}2J\u{85}\u{80}\u{9F}"), "\\xC2\\x9B2J\\xC2\\x85\\xC2\\x80\\xC2\\x9F")
        XCTAssertEqual(EscapedText.escaping("x\u{202E}gpj.exe"), "x\\xE2\\x80\\xAEgpj.exe")
        for scalar: Unicode.Scalar in ["\u{202A}", "\u{202B}", "\u{202C}", "\u{202D}", "\u{2066}", "\u{2067}",
                                       "\u{2068}", "\u{2069}", "\u{200E}", "\u{200F}", "\u{061C}", "\u{2028}",
                                       "\u{2029}"] {
            let escaped = EscapedText.escaping(String(scalar))
            XCTAssertEqual(escaped, String(scalar).utf8.map { "\\x" + hex($0) }.joined(), "U+\(hex(scalar.value))")
        }
    }

    /// The String and the byte form agree, and an escaped text is escaped again to itself: PAM_RHOST, kept
    /// escaped by the daemon, shows in `status` as it is stored.
    func testBothFormsAgreeAndEscapingTwiceChangesNothing() {
        for text in ["host\u{1B}[2J", "evil\u{202E}txt", "a\\b", "Zoë\u{85}", "\u{2029}"] {
            let once = EscapedText.escaping(text)
            XCTAssertEqual(once, EscapedText.escaping(Array(text.utf8)))
            XCTAssertEqual(EscapedText.escaping(once), once)
            XCTAssertFalse(once.unicodeScalars.contains(where: EscapedText.mustEscape))
        }
    }

    /// Printable text, accents, other scripts, emoji and a backslash stay as they are.
    func testPrintableTextIsUnchanged() {
        for text in ["alice", "203.0.113.7", "pts/3", "Zoë Ünal", "日本語", "ssh 🙂", "a b", "", "exempt (rule 1)",
                     "\\x1B"] {
            XCTAssertEqual(EscapedText.escaping(text), text)
        }
        XCTAssertFalse(EscapedText.mustEscape(" "))
        XCTAssertFalse(EscapedText.mustEscape("\u{A0}"))
        XCTAssertTrue(EscapedText.mustEscape("\u{0}"))
    }

    private func hex(_ value: some BinaryInteger) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return digits.count % 2 == 0 ? digits : "0" + digits
    }
}
