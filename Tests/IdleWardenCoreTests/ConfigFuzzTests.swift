import Foundation
import XCTest

@testable import IdleWardenCore

/// Bounded, seeded fuzzing of the whole path from bytes to `Config`: whatever the input, the parser must return,
/// and return either a config or errors, each error pointing inside the text. A crash here would be a daemon that
/// dies on SIGHUP after an admin's bad edit.
final class ConfigFuzzTests: XCTestCase {
    private var example: [UInt8] {
        get throws {
            let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("etc/idlewarden.conf")
            return Array(try Data(contentsOf: url))
        }
    }

    /// Pieces of TOML and of idlewarden's vocabulary, so that mutations often stay parseable and reach past toml++.
    private let tokens: [[UInt8]] = [
        "[", "]", "[[rule]]\n", "{", "}", "\"", "'", "\"\"\"", "'''", "=", ",", ".", "#", "\n", "\r\n", "\\", " ",
        "\\u00e9", "é", "\u{0}", "idle_timeout", "warn_before", "grace", "max_session", "exempt", "groups", "ttys",
        "remote", "\"15m\"", "\"0\"", "\"-1s\"", "\"1h30m\"", "\"99999999999999999999d\"", "90", "true", "1.5",
        "1979-05-27", "1979-05-27T", "1979-05-27 1", "07:32:00", "\u{2028}", "\u{85}", "[\"a\", \"b\"]", "[]",
        "\"ttyS[\"", "\"local\"", "input+output", "leader", "user",
    ].map { Array($0.utf8) }

    private func check(_ bytes: [UInt8], _ label: String) {
        let text: String
        switch ConfigLoader.decode(bytes, path: "fuzz.conf") {
        case .success(let decoded): text = decoded
        case .failure(let error):
            XCTAssertEqual(error.key, "file", label)
            text = String(decoding: bytes, as: UTF8.self)
        }
        let result = ConfigParser.parse(text, path: "fuzz.conf")
        XCTAssertEqual(result.config == nil, !result.errors.isEmpty, label)
        let lineCount = text.unicodeScalars.filter { $0 == "\n" }.count + 1
        for error in result.errors {
            XCTAssertTrue((1...lineCount).contains(error.location.line), "\(label): \(error)")
            XCTAssertGreaterThanOrEqual(error.location.column, 1, "\(label): \(error)")
            XCTAssertTrue(error.description.hasPrefix("fuzz.conf:"), label)
            XCTAssertFalse(error.message.isEmpty, label)
        }
        if let config = result.config {
            let facts = SessionFacts(user: "alice", uid: 1000, groups: ["oncall", "a"], service: "sshd",
                                     tty: "/dev/ttyS0", rhost: nil, moduleArguments: ["idle_timeout=5m", "bogus"])
            let limits = Policy.resolve(config, for: facts).limits
            XCTAssertTrue(limits.warnBefore == .zero || limits.warnBefore < limits.idleTimeout, label)
            XCTAssertGreaterThanOrEqual(limits.idleTimeout, .seconds(1), label)
            _ = config.summary
        }
    }

    func testRandomBytes() {
        var generator = SplitMix64(seed: 0x1D1E_3A2D)
        for round in 0..<2_000 {
            let length = Int(generator.next() % 200)
            var bytes: [UInt8] = []
            for _ in 0..<length {
                if generator.next() % 4 == 0 {
                    bytes += tokens[Int(generator.next() % UInt64(tokens.count))]
                } else {
                    bytes.append(UInt8(truncatingIfNeeded: generator.next()))
                }
            }
            check(bytes, "random round \(round)")
        }
    }

    func testMutationsOfTheExampleConfig() throws {
        let original = try example
        var generator = SplitMix64(seed: 0xC0FF_EE)
        var accepted = 0
        for round in 0..<2_000 {
            var bytes = original
            for _ in 0..<(1 + Int(generator.next() % 4)) {
                let position = Int(generator.next() % UInt64(bytes.count + 1))
                switch generator.next() % 5 {
                case 0 where position < bytes.count:
                    bytes[position] = UInt8(truncatingIfNeeded: generator.next())
                case 1 where position < bytes.count:
                    let end = min(bytes.count, position + Int(generator.next() % 40))
                    bytes.removeSubrange(position..<end)
                case 2:
                    bytes.insert(contentsOf: tokens[Int(generator.next() % UInt64(tokens.count))], at: position)
                case 3 where position < bytes.count:
                    let end = min(bytes.count, position + Int(generator.next() % 80))
                    bytes.insert(contentsOf: bytes[position..<end], at: Int(generator.next() % UInt64(bytes.count)))
                default:
                    bytes.insert(UInt8(ascii: "\n"), at: position)
                }
            }
            let before = accepted
            check(bytes, "mutation round \(round)")
            if case .success(let text) = ConfigLoader.decode(bytes, path: "m"),
               ConfigParser.parse(text, path: "m").config != nil
            {
                accepted = before + 1
            }
        }
        // The mutations must reach the config checks, not only toml++'s syntax errors.
        XCTAssertGreaterThan(accepted, 100)
    }

    /// Syntactically valid files built from idlewarden's keys with values of random types: every error (there
    /// are many) must point at a line that contains its key, which checks the positions toml++ gives.
    func testGeneratedDocumentsPointAtTheirKeys() {
        let values = ["\"15m\"", "\"30s\"", "\"2h\"", "\"0\"", "\"x\"", "5", "true", "false", "[\"a\"]", "[]",
                      "[\"ttyS*\", \"[\"]", "\"input\"", "\"user\"", "\"leader\"", "1.5", "{ a = 1 }", "\"local\""]
        let keys = ConfigKeys.topLevel.filter { $0 != "rule" } + ConfigKeys.rule + ["idle_timout", "group", "nme"]
        var generator = SplitMix64(seed: 42)
        var errorsChecked = 0
        for round in 0..<500 {
            var lines: [String] = []
            for table in 0..<(1 + Int(generator.next() % 4)) {
                if table > 0 { lines.append(generator.next() % 2 == 0 ? "[[rule]]" : "  [[ rule ]]  # rule") }
                var used = Set<String>()
                for _ in 0..<Int(generator.next() % 6) {
                    let key = keys[Int(generator.next() % UInt64(keys.count))]
                    guard used.insert(key).inserted else { continue }
                    let value = values[Int(generator.next() % UInt64(values.count))]
                    let indent = String(repeating: " ", count: Int(generator.next() % 3))
                    let written = generator.next() % 5 == 0 ? "\"\(key)\"" : key
                    lines.append("\(indent)\(written) = \(value)" + (generator.next() % 3 == 0 ? "  # \(key) = 1" : ""))
                }
            }
            let text = lines.joined(separator: "\n")
            let result = ConfigParser.parse(text, path: "g")
            let textLines = text.split(separator: "\n", omittingEmptySubsequences: false)
            for error in result.errors {
                guard case .syntax = error else {
                    let line = textLines[error.location.line - 1]
                    let column = line.unicodeScalars.index(line.unicodeScalars.startIndex,
                                                           offsetBy: error.location.column - 1)
                    XCTAssertTrue(line.contains(error.key), "round \(round): \(error)\n\(text)")
                    XCTAssertLessThanOrEqual(error.location.column, line.unicodeScalars.count, "round \(round)")
                    XCTAssertFalse(line.unicodeScalars[column].properties.isWhitespace, "round \(round): \(error)")
                    errorsChecked += 1
                    continue
                }
            }
        }
        XCTAssertGreaterThan(errorsChecked, 500)
    }
}
