import XCTest
@testable import IdleWardenWire

/// `SessionDatagram` is the PAM module's own encoder (the module compiles the same file): these tests check the
/// bytes the module sends and that the daemon's decoder reads them back as the same session.
final class SessionDatagramTests: XCTestCase {
    private func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

    func testOpenDecodesToTheSameSession() throws {
        let datagram = SessionDatagram(
            phase: .open, pid: 4242, user: utf8("alice"), service: utf8("sshd"), tty: utf8("ssh"),
            rhost: utf8("192.0.2.7"), xdisplay: utf8(":0"), xdgSessionID: utf8("c12"),
            xdgSessionType: utf8("x11"), overrides: [utf8("idle_timeout=30m"), utf8("exempt")])
        let expected = SessionEvent(
            phase: .open, pid: 4242, user: "alice", service: "sshd", tty: "ssh", rhost: "192.0.2.7", xdisplay: ":0",
            xdgSessionID: "c12", xdgSessionType: "x11", overrides: ["idle_timeout=30m", "exempt"])
        XCTAssertEqual(try Message.decode(try datagram.encoded()), .session(expected))
    }

    func testCloseWithoutOptionalItemsDecodes() throws {
        let datagram = SessionDatagram(phase: .close, pid: 1, user: "root".utf8, service: "su".utf8)
        XCTAssertEqual(try Message.decode(try datagram.encoded()),
                       .session(SessionEvent(phase: .close, pid: 1, user: "root", service: "su")))
    }

    /// The layout, byte for byte: header, then the pid and the items in a fixed order, each tag | length | value.
    func testBytesOnTheWire() throws {
        let datagram = SessionDatagram(
            phase: .open, pid: 0x0102_0304, user: "al".utf8, service: "su".utf8, tty: "t".utf8,
            overrides: ["exempt".utf8])
        XCTAssertEqual(try datagram.encoded(), [
            0x49, 0x57, 1, MessageKind.open.rawValue,
            FieldTag.pid.rawValue, 0, 4, 1, 2, 3, 4,
            FieldTag.user.rawValue, 0, 2, 0x61, 0x6C,
            FieldTag.service.rawValue, 0, 2, 0x73, 0x75,
            FieldTag.tty.rawValue, 0, 1, 0x74,
            FieldTag.policyOverride.rawValue, 0, 6,
        ] + Array("exempt".utf8))
    }

    func testNonASCIIUserRoundTrips() throws {
        let datagram = SessionDatagram(phase: .open, pid: 7, user: "jürgen".utf8, service: "login".utf8)
        XCTAssertEqual(try Message.decode(try datagram.encoded()),
                       .session(SessionEvent(phase: .open, pid: 7, user: "jürgen", service: "login")))
    }

    /// The module looks nothing up and judges nothing: an item that is not UTF-8 or holds a newline is sent as PAM
    /// gave it, and the daemon refuses the datagram.
    func testItemsAreSentByteForByteAndTheDaemonJudgesThem() throws {
        let user: [UInt8] = [0x69, 0x77, 0xFF, 0x0A, 0x74]
        let bytes = try SessionDatagram(phase: .open, pid: 1, user: user, service: utf8("login")).encoded()
        XCTAssertEqual(Array(bytes[11..<19]), [FieldTag.user.rawValue, 0, 5] + user)
        XCTAssertThrowsError(try Message.decode(bytes)) { XCTAssertEqual($0 as? WireError, .badUTF8(.user)) }

        let newline = try SessionDatagram(phase: .open, pid: 1, user: utf8("eve\nevent=close"), service: utf8("su"))
            .encoded()
        XCTAssertThrowsError(try Message.decode(newline)) { XCTAssertEqual($0 as? WireError, .forbiddenByte(.user)) }
    }

    /// Nothing is cut: an item longer than its field refuses the whole datagram, naming the field.
    func testOverlongItemsAreRefusedNotCut() {
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: 4096)
        XCTAssertThrowsError(try SessionDatagram(phase: .open, pid: 1, user: long, service: utf8("su")).encoded()) {
            XCTAssertEqual($0 as? WireError, .fieldTooLong(.user, length: 4096, limit: 256))
        }
        XCTAssertThrowsError(
            try SessionDatagram(phase: .open, pid: 1, user: utf8("al"), service: utf8("su"), rhost: long).encoded()
        ) {
            XCTAssertEqual($0 as? WireError, .fieldTooLong(.rhost, length: 4096, limit: 1024))
        }
        let override = utf8("idle_timeout=" + String(repeating: "9", count: 200) + "s")
        XCTAssertThrowsError(
            try SessionDatagram(phase: .open, pid: 1, user: utf8("al"), service: utf8("su"), overrides: [override])
                .encoded()
        ) {
            XCTAssertEqual($0 as? WireError, .fieldTooLong(.policyOverride, length: 214, limit: 128))
        }
    }

    func testAtMostSixteenOverrides() throws {
        var datagram = SessionDatagram(phase: .open, pid: 1, user: utf8("al"), service: utf8("su"))
        datagram.overrides = (1...Datagram.maxOverrides).map { utf8("grace=\($0)s") }
        guard case .session(let event) = try Message.decode(try datagram.encoded()) else { return XCTFail("not a session") }
        XCTAssertEqual(event.overrides, (1...Datagram.maxOverrides).map { "grace=\($0)s" })

        datagram.overrides.append(utf8("exempt"))
        XCTAssertThrowsError(try datagram.encoded()) {
            XCTAssertEqual($0 as? WireError, .tooManyOverrides(limit: Datagram.maxOverrides))
        }
    }

    /// Every field within its limit can still add up to more than a request may be: refused, with the size.
    func testDatagramOverTheRequestLimitIsRefused() {
        func full(_ tag: FieldTag) -> [UInt8] { [UInt8](repeating: UInt8(ascii: "x"), count: tag.limit) }
        let datagram = SessionDatagram(
            phase: .open, pid: 1, user: full(.user), service: full(.service), tty: full(.tty), rhost: full(.rhost),
            xdisplay: full(.xdisplay), xdgSessionID: full(.xdgSessionID), xdgSessionType: full(.xdgSessionType),
            overrides: Array(repeating: full(.policyOverride), count: Datagram.maxOverrides))
        let items: [FieldTag] = [.user, .service, .tty, .rhost, .xdisplay, .xdgSessionID, .xdgSessionType]
        let size = Datagram.headerSize + 3 + 4 + items.map { 3 + $0.limit }.reduce(0, +)
            + Datagram.maxOverrides * (3 + FieldTag.policyOverride.limit)
        XCTAssertThrowsError(try datagram.encoded()) {
            XCTAssertEqual($0 as? WireError, .oversized(size: size, limit: Datagram.requestLimit))
        }
    }

    /// A spooled record names its caller by pid, start time and PID namespace: the daemon reads it when the pid may
    /// be reused, and the pid means that process only in the namespace it was written in.
    func testSpooledRecordCarriesTheStartTimeAndPIDNamespace() throws {
        let datagram = SessionDatagram(
            phase: .close, pid: 0x0102_0304, startTime: 0x0A0B_0C0D_0E0F_1011, pidNamespace: 0xEFFF_FFFC,
            user: "al".utf8, service: "su".utf8)
        let bytes = try datagram.encoded()
        XCTAssertEqual(Array(bytes[4..<33]), [
            FieldTag.pid.rawValue, 0, 4, 1, 2, 3, 4,
            FieldTag.startTime.rawValue, 0, 8, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11,
            FieldTag.pidNamespace.rawValue, 0, 8, 0, 0, 0, 0, 0xEF, 0xFF, 0xFF, 0xFC,
        ])
        XCTAssertEqual(try Message.decode(bytes), .session(SessionEvent(
            phase: .close, pid: 0x0102_0304, startTime: 0x0A0B_0C0D_0E0F_1011, pidNamespace: 0xEFFF_FFFC, user: "al",
            service: "su")))
    }

    /// A module of an earlier release, still loaded in a running sshd, also sent the start time, sid and uid.
    func testDatagramWithProcessFactsOfAnEarlierModuleDecodes() throws {
        var writer = DatagramWriter(kind: .open)
        writer.append(.pid, integer: 4242)
        writer.append(.startTime, integer: 987_654_321)
        writer.append(.sid, integer: 4242)
        writer.append(.uid, integer: 1001)
        try writer.append(.user, text: "alice")
        try writer.append(.service, text: "sshd")
        let expected = SessionEvent(
            phase: .open, pid: 4242, startTime: 987_654_321, sid: 4242, uid: 1001, user: "alice", service: "sshd")
        XCTAssertEqual(try Message.decode(writer.bytes), .session(expected))
    }

    func testMissingUserIsRejected() throws {
        var writer = DatagramWriter(kind: .open)
        writer.append(.pid, integer: 1)
        try writer.append(.service, text: "sshd")
        XCTAssertThrowsError(try Message.decode(writer.bytes)) {
            XCTAssertEqual($0 as? WireError, .missingField(.user))
        }
    }

    func testFieldOfAnotherKindIsRejected() throws {
        var bytes = try SessionDatagram(phase: .open, pid: 1, user: utf8("al"), service: utf8("su")).encoded()
        bytes += [FieldTag.sessionID.rawValue, 0, 1, UInt8(ascii: "x")]
        XCTAssertThrowsError(try Message.decode(bytes)) {
            XCTAssertEqual($0 as? WireError, .unexpectedField(.sessionID))
        }
    }

    /// PAM_RHOST is what a resolver or the remote side said: a newline, a control character, a bidi override or a
    /// byte that is not UTF-8 in it is kept escaped (`\xNN`, one per byte; printable text, a backslash too, as it
    /// is), never a reason to refuse the login. The other items are still refused with such bytes.
    func testRhostWithControlBytesIsKeptEscaped() throws {
        let cases: [([UInt8], String)] = [
            (Array("host\nevent=forged".utf8), "host\\x0Aevent=forged"),
            ([0x65, 0x78, 0xFF, 0x61, 0x6D], "ex\\xFFam"),
            (Array("a\\b\u{7F}\u{85}".utf8), "a\\b\\x7F\\xC2\\x85"),
            (Array("evil\u{202E}txt.exe".utf8), "evil\\xE2\\x80\\xAEtxt.exe"),
            (Array("例え.jp".utf8), "例え.jp"),
            ([0xE2, 0x82], "\\xE2\\x82"),
        ]
        for (rhost, stored) in cases {
            let bytes = try SessionDatagram(
                phase: .open, pid: 1, user: utf8("alice"), service: utf8("sshd"), rhost: rhost).encoded()
            guard case .session(let event) = try Message.decode(bytes) else { return XCTFail("not a session") }
            XCTAssertEqual(event.rhost, stored, "\(rhost)")
            XCTAssertTrue(event.rhost!.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x7F }, "printable: \(event.rhost!)")
        }
        let tty = try SessionDatagram(
            phase: .open, pid: 1, user: utf8("alice"), service: utf8("sshd"), tty: Array("pts/1\n".utf8)).encoded()
        XCTAssertThrowsError(try Message.decode(tty)) { XCTAssertEqual($0 as? WireError, .forbiddenByte(.tty)) }
    }
}
