import XCTest

@testable import IdleWardenCore

final class GlobTests: XCTestCase {
    private func glob(_ pattern: String, ignoringCase: Bool = false) throws -> Glob {
        try Glob(pattern, ignoringCase: ignoringCase)
    }

    func testMatching() throws {
        let cases: [(pattern: String, text: String, matches: Bool)] = [
            ("ttyS*", "ttyS0", true), ("ttyS*", "ttyS", true), ("ttyS*", "tty1", false), ("ttyS*", "xttyS0", false),
            ("*", "", true), ("*", "pts/3", true), ("pts/*", "pts/12", true), ("*/*", "pts/1", true),
            ("?", "a", true), ("?", "", false), ("?", "ab", false), ("tty?", "tty1", true), ("tty?", "tty12", false),
            ("tty[0-9]", "tty7", true), ("tty[0-9]", "ttya", false), ("tty[!0-9]", "ttya", true),
            ("tty[^0-9]", "tty5", false), ("[abc]x", "bx", true), ("[abc]x", "dx", false),
            ("[]a]", "]", true), ("[]a]", "a", true), ("[!]a]", "b", true), ("[!]a]", "]", false),
            ("[a-]", "-", true), ("[a-]", "a", true), ("\\*", "*", true), ("\\*", "a", false),
            ("a\\?b", "a?b", true), ("a\\?b", "axb", false), ("[\\]]", "]", true),
            ("*.example.net", "host.example.net", true), ("*.example.net", "example.net", false),
            ("*a*b*c*", "xxaxxbxxcxx", true), ("*a*b*c*", "xxaxxcxxbxx", false), ("a**b", "ab", true),
            ("*ab", "aab", true), ("*aab", "aaab", true), ("a*", "a", true), ("*x", "x", true),
            ("é?", "éü", true), ("[α-ω]", "λ", true),
        ]
        for (pattern, text, expected) in cases {
            XCTAssertEqual(try glob(pattern).matches(text), expected, "\(pattern) vs \(text)")
        }
    }

    func testIgnoringCase() throws {
        XCTAssertTrue(try glob("*.EXAMPLE.net", ignoringCase: true).matches("Host.example.NET"))
        XCTAssertTrue(try glob("[A-C]x", ignoringCase: true).matches("bX"))
        XCTAssertFalse(try glob("*.EXAMPLE.net").matches("host.example.net"))
        XCTAssertEqual(try glob("TTY*", ignoringCase: true).pattern, "TTY*")
    }

    func testRejectsMalformedPatterns() {
        let cases: [(String, GlobError, String)] = [
            ("", .empty, "use \"*\""),
            ("ttyS[0-3", .unterminatedSet("ttyS[0-3"), "without its closing"),
            ("[", .unterminatedSet("["), "without its closing"),
            ("[]", .unterminatedSet("[]"), "without its closing"),
            ("[!", .unterminatedSet("[!"), "without its closing"),
            ("tty\\", .trailingBackslash("tty\\"), "backslash"),
            ("[z-a]", .reversedRange("[z-a]", from: "z", to: "a"), "write \"a-z\""),
            ("[[:digit:]]", .characterClass("[[:digit:]]"), "[0-9]"),
        ]
        for (pattern, expected, fragment) in cases {
            XCTAssertThrowsError(try Glob(pattern), pattern) { error in
                XCTAssertEqual(error as? GlobError, expected)
                XCTAssertTrue("\(error)".contains(fragment), "\(error)")
            }
        }
    }

    /// A hostile rhost against a many-star pattern must not take more than linear time: the matcher keeps one
    /// backtracking point. Measured as a ratio, so that the bound holds on a slow or busy machine: 16 times the
    /// text may take at most 48 times as long (linear: 16, measured 16-17 in a debug build; quadratic: 256), each
    /// the fastest of 15 runs. Both texts are small enough to stay in the CPU's caches (beyond ~30,000
    /// characters the measured times jump for that reason alone).
    func testManyStarsStayLinearEnough() throws {
        let pattern = try glob(String(repeating: "*a", count: 30) + "b")
        let short = String(repeating: "a", count: 1_000)
        let long = String(repeating: "a", count: 16_000)
        XCTAssertFalse(pattern.matches(long))
        XCTAssertTrue(pattern.matches(long + "b"))
        let shortTime = fastest(of: 15) { XCTAssertFalse(pattern.matches(short)) }
        let longTime = fastest(of: 15) { XCTAssertFalse(pattern.matches(long)) }
        let ratio = longTime / shortTime
        XCTAssertLessThan(ratio, 48, "16× the text took \(ratio)× as long (\(shortTime) → \(longTime))")
    }

    private func fastest(of runs: Int, _ body: () -> Void) -> Swift.Duration {
        let clock = ContinuousClock()
        return (0..<runs).map { _ in clock.measure(body) }.min()!
    }
}
