import XCTest
@testable import IdleWardenWire

/// Every class of malformed datagram gives its own typed error; none traps.
final class MalformedDatagramTests: XCTestCase {
    func valid() throws -> [UInt8] {
        try SessionDatagram(phase: .open, pid: 10, user: "bob".utf8, service: "login".utf8, tty: "tty1".utf8).encoded()
    }

    func expect(_ bytes: [UInt8], _ error: WireError, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Message.decode(bytes), file: file, line: line) {
            XCTAssertEqual($0 as? WireError, error, file: file, line: line)
        }
    }

    func testEmptyAndShortHeaders() {
        expect([], .truncated(needed: 4, available: 0))
        expect([0x49, 0x57, 1], .truncated(needed: 4, available: 3))
    }

    func testBadMagicVersionAndKind() throws {
        var bytes = try valid()
        bytes[0] = 0
        expect(bytes, .badMagic)
        bytes = try valid()
        bytes[2] = 2
        expect(bytes, .unsupportedVersion(2))
        bytes = try valid()
        bytes[3] = 0x55
        expect(bytes, .unknownKind(0x55))
    }

    func testOversized() throws {
        let bytes = try valid() + [UInt8](repeating: 0, count: Datagram.requestLimit)
        expect(bytes, .oversized(size: bytes.count, limit: Datagram.requestLimit))
    }

    func testTruncatedFieldHeader() throws {
        expect(try valid() + [FieldTag.rhost.rawValue, 0], .truncated(needed: 3, available: 2))
    }

    func testLyingLength() throws {
        expect(try valid() + [FieldTag.rhost.rawValue, 0x0F, 0xFF, 0x41], .lyingLength(.rhost, claimed: 4095, remaining: 1))
    }

    /// A cut inside a field is an error; a cut exactly between fields can only drop the optional tail (tty).
    func testEveryTruncationOfAValidDatagramFailsOrLosesOnlyTheOptionalTail() throws {
        let bytes = try valid()
        var withoutTTY = try XCTUnwrap({ if case .session(let event) = try Message.decode(bytes) { event } else { nil } }())
        withoutTTY.tty = nil
        var accepted = 0
        for length in 0..<bytes.count {
            if let message = try? Message.decode(Array(bytes.prefix(length))) {
                XCTAssertEqual(message, .session(withoutTTY), "prefix \(length)")
                accepted += 1
            }
        }
        XCTAssertEqual(accepted, 1)
    }

    func testIntegerOfWrongWidth() throws {
        var writer = DatagramWriter(kind: .open)
        try writer.append(.pid, bytes: [0, 1])
        expect(writer.bytes, .badIntegerWidth(.pid, length: 2))
    }

    func testDuplicateField() throws {
        expect(try valid() + [FieldTag.pid.rawValue, 0, 4, 0, 0, 0, 1], .duplicateField(.pid))
    }

    func testUnknownField() throws {
        expect(try valid() + [200, 0, 0], .unknownField(200))
    }

    func testFieldAboveItsLimit() throws {
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: 300)
        expect(try valid() + [FieldTag.user.rawValue, 0x01, 0x2C] + long, .fieldTooLong(.user, length: 300, limit: 256))
    }

    func testBadUTF8() throws {
        for sequence: [UInt8] in [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]] {
            var writer = DatagramWriter(kind: .open)
            try writer.append(.tty, bytes: sequence)
            expect(writer.bytes, .badUTF8(.tty))
        }
    }

    func testControlCharactersCannotForgeALine() throws {
        var writer = DatagramWriter(kind: .open)
        try writer.append(.user, bytes: Array("eve\nevent=close".utf8))
        expect(writer.bytes, .forbiddenByte(.user))
    }

    func testTooManyOverrides() throws {
        var bytes = try valid()
        for _ in 0...Datagram.maxOverrides { bytes += [FieldTag.policyOverride.rawValue, 0, 1, UInt8(ascii: "x")] }
        expect(bytes, .tooManyOverrides(limit: Datagram.maxOverrides))
    }

    /// Bounded fuzzing with a fixed seed: random bytes and mutations of valid datagrams must decode or throw.
    func testRandomInputNeverTraps() throws {
        var generator = SplitMix64(seed: 0x1D1E)
        let seeds = [try valid(), try ControlRequest(requestID: 7, action: .keepalive(sessionID: "3")).encoded()]
        var decoded = 0
        for round in 0..<50_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int(generator.next() % 96)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                if bytes.count >= 4 && round % 4 == 0 { bytes[0] = 0x49; bytes[1] = 0x57; bytes[2] = 1 }
            } else {
                bytes = seeds[Int(generator.next() % UInt64(seeds.count))]
                for _ in 0..<(1 + generator.next() % 4) {
                    let index = Int(generator.next() % UInt64(bytes.count))
                    bytes[index] = UInt8(truncatingIfNeeded: generator.next())
                }
            }
            if (try? Message.decode(bytes)) != nil { decoded += 1 }
        }
        XCTAssertGreaterThan(decoded, 0, "mutations that keep a datagram valid must still decode")
    }
}

struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
