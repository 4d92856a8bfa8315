import XCTest

@testable import IdleWardenCore

final class ConfigDurationTests: XCTestCase {
    func testAcceptsEveryUnitAndCombinations() throws {
        let cases: [(String, Int64)] = [
            ("90s", 90), ("15m", 900), ("2h", 7_200), ("1d", 86_400), ("1h30m", 5_400), ("1d2h3m4s", 93_784),
            ("0", 0), ("0s", 0), ("0m", 0), ("015m", 900), ("1m0s", 60), ("365d", 365 * 86_400),
            ("364d23h59m60s", 365 * 86_400),
        ]
        for (text, seconds) in cases {
            XCTAssertEqual(try ConfigDuration.parse(text), .seconds(seconds), text)
        }
    }

    func testRejectsWithActionableMessages() {
        let cases: [(String, DurationParseError, String)] = [
            ("", .empty, "empty duration"),
            ("-5m", .negative("-5m"), "negative"),
            ("-0", .negative("-0"), "negative"),
            ("90", .missingUnit("90", number: "90"), "write \"90s\" for seconds or \"90m\" for minutes"),
            ("1h30", .missingUnit("1h30", number: "30"), "ends without a unit after 30"),
            ("5x", .unknownUnit("5x", unit: "x"), "unknown unit \"x\""),
            ("500ms", .unknownUnit("500ms", unit: "ms"), "use s, m, h or d"),
            ("15M", .unknownUnit("15M", unit: "M"), "unknown unit \"M\""),
            ("10min", .unknownUnit("10min", unit: "min"), "unknown unit \"min\""),
            ("1.5h", .fraction("1.5h"), "fraction"),
            ("1,5h", .fraction("1,5h"), "fraction"),
            ("30m1h", .unitOrder("30m1h"), "largest to smallest"),
            ("5m5m", .unitOrder("5m5m"), "each at most once"),
            ("1h 30m", .whitespace("1h 30m"), "without them"),
            (" 15m", .whitespace(" 15m"), "spaces"),
            ("m", .unexpectedCharacter("m", "m"), "digits followed by a unit"),
            ("+5m", .unexpectedCharacter("+5m", "+"), "unexpected \"+\""),
            ("5m-", .unexpectedCharacter("5m-", "-"), "unexpected \"-\""),
            ("366d", .tooLong("366d"), "longer than the 365d maximum"),
            ("364d23h59m61s", .tooLong("364d23h59m61s"), "maximum"),
            ("9223372036854775807s", .tooLong("9223372036854775807s"), "maximum"),
            ("9223372036854775808s", .tooLong("9223372036854775808s"), "maximum"),
            ("106751991167301d", .tooLong("106751991167301d"), "maximum"),
            ("99999999999999999999999999d", .tooLong("99999999999999999999999999d"), "maximum"),
        ]
        for (text, expected, fragment) in cases {
            XCTAssertThrowsError(try ConfigDuration.parse(text), text) { error in
                XCTAssertEqual(error as? DurationParseError, expected, text)
                XCTAssertTrue("\(error)".contains(fragment), "\(text): \(error)")
            }
        }
    }

    func testFormatIsShortestAndRoundTrips() throws {
        let cases: [(Int64, String)] = [
            (0, "0s"), (1, "1s"), (59, "59s"), (60, "1m"), (90, "1m30s"), (3_600, "1h"), (5_400, "1h30m"),
            (86_400, "1d"), (93_784, "1d2h3m4s"), (90_000, "1d1h"),
        ]
        for (seconds, text) in cases {
            XCTAssertEqual(ConfigDuration.format(.seconds(seconds)), text)
            XCTAssertEqual(try ConfigDuration.parse(text), .seconds(seconds))
        }
        var generator = SplitMix64(seed: 7)
        for _ in 0..<500 {
            let seconds = Int64(generator.next() % UInt64(ConfigDuration.maximum.wholeSeconds + 1))
            XCTAssertEqual(try ConfigDuration.parse(ConfigDuration.format(.seconds(seconds))), .seconds(seconds))
        }
    }
}
