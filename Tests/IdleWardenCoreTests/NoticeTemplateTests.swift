import XCTest
@testable import IdleWardenCore

/// `warn_message`: placeholders filled in, mistakes caught when the config is read (file:line), a second warning
/// (`warn_again`) only after the first and only without input since.
final class NoticeTemplateTests: XCTestCase {
    let values = NoticeTemplate.Values(
        user: "alice", session: "7", idle: "14m", left: "1m", deadline: "10:15:00 UTC",
        stay: "Press any key to stay logged in")

    func testEveryPlaceholderIsFilledIn() throws {
        let template = try XCTUnwrap(NoticeTemplate(
            "{user}: lab PC {session} idle for {idle}; logout at {deadline} (in {left}). {stay}.\nSave your work."))
        XCTAssertEqual(template.render(values),
                       "alice: lab PC 7 idle for 14m; logout at 10:15:00 UTC (in 1m). Press any key to stay logged in.\n"
                        + "Save your work.")
        XCTAssertEqual(NoticeTemplate("no placeholders")?.render(values), "no placeholders")
    }

    func testMistakesAreNamed() {
        XCTAssertEqual(NoticeTemplate.problem(in: "{usr} is idle"),
                       "unknown placeholder {usr}; use {user}, {session}, {idle}, {left}, {deadline}, {stay}")
        XCTAssertEqual(NoticeTemplate.problem(in: "left: {left"), "a { without its }")
        XCTAssertNotNil(NoticeTemplate.problem(in: "  "))
        XCTAssertNotNil(NoticeTemplate.problem(in: "bell\u{7}"))
        XCTAssertNotNil(NoticeTemplate.problem(in: "csi\u{9b}2J"))
        XCTAssertNotNil(NoticeTemplate.problem(in: String(repeating: "x", count: 501)))
        XCTAssertNil(NoticeTemplate.problem(in: "two\nlines"))
    }

    func testConfigReportsABadMessageAndABadWarnAgainAtTheirLines() throws {
        let bad = ConfigParser.parse("""
            warn_before = "2m"
            warn_again = "3m"
            [[rule]]
            users = ["alice"]
            warn_message = "{who} is idle"
            """, path: "f")
        XCTAssertNil(bad.config)
        let messages = bad.errors.map(\.description)
        XCTAssertEqual(messages.count, 2, "\(messages)")
        XCTAssertTrue(messages.contains { $0.hasPrefix("f:2:1: warn_again:") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.hasPrefix("f:5:1: warn_message: unknown placeholder {who}") }, "\(messages)")

        let good = try XCTUnwrap(ConfigParser.parse("""
            warn_before = "2m"
            warn_again = "30s"
            [[rule]]
            name = "lab"
            users = ["alice"]
            warn_message = "Lab rules: {stay}"
            """, path: "f").config)
        let resolution = Policy.resolve(good, for: SessionFacts(user: "alice", uid: 1, groups: [], service: "sshd"))
        XCTAssertEqual(resolution.limits.warnMessage?.text, "Lab rules: {stay}")
        XCTAssertEqual(resolution.limits.warnAgain, .seconds(30))
        XCTAssertEqual(resolution.value(of: .warnMessage), "\"Lab rules: {stay}\"")
        XCTAssertEqual(resolution.source(of: .warnMessage), .rule(index: 1, name: "lab", file: "f", line: 3))
        let other = Policy.resolve(good, for: SessionFacts(user: "bob", uid: 2, groups: [], service: "sshd"))
        XCTAssertNil(other.limits.warnMessage)
        XCTAssertEqual(other.value(of: .warnMessage), "built-in")
        // A pam.d warn_before shorter than warn_again: the second warning is passed over, and said so.
        let short = Policy.resolve(good, for: SessionFacts(
            user: "bob", uid: 2, groups: [], service: "sshd", moduleArguments: ["warn_before=20s"]))
        XCTAssertNil(short.limits.warnAgain)
        XCTAssertEqual(short.ignored.map(\.key), ["warn_again"])
    }

    // MARK: warn_again in the verdict

    let opened = Instant(seconds: 1_000_000)
    func at(_ offset: Int64) -> Instant { opened + .seconds(offset) }

    func session() -> Session {
        var session = Session(
            id: "1", facts: SessionFacts(user: "alice", uid: 1001, groups: ["alice"], service: "sshd"),
            leader: ProcessIdentity(pid: 100, startTime: 5), sid: 100, openedAt: opened,
            limits: Limits(idleTimeout: .seconds(600), warnBefore: .seconds(120), warnAgain: .seconds(30)),
            terminals: ["/dev/pts/1"])
        session.terminalDiscovery = .settled
        return session
    }

    func testWarnsAgainOnceBeforeTheEndWithoutInput() {
        var warned = session()
        XCTAssertEqual(warned.verdict(now: at(480)), .warn(deadline: at(600), reason: .idle))
        warned.warning = Warning(issuedAt: at(480), deadline: at(600), reason: .idle)
        XCTAssertEqual(warned.verdict(now: at(481)), .sleep(until: at(570)))
        XCTAssertEqual(warned.verdict(now: at(570)), .warnAgain(deadline: at(600), reason: .idle))
        warned.warning?.repeatedAt = at(570)
        XCTAssertEqual(warned.verdict(now: at(571)), .sleep(until: at(600)))
        XCTAssertEqual(warned.verdict(now: at(600)), .terminate(reason: .idle))
    }

    func testInputAfterTheFirstWarningMeansNoSecond() {
        var warned = session()
        warned.warning = Warning(issuedAt: at(480), deadline: at(600), reason: .idle)
        warned.touch(now: at(500))
        XCTAssertNil(warned.warning)
        XCTAssertEqual(warned.verdict(now: at(571)), .sleep(until: at(500 + 480)))
    }

    /// A first warning given late (the daemon was down) is not followed by a second one right after it.
    func testNoSecondWarningRightAfterALateFirst() {
        var warned = session()
        warned.warning = Warning(issuedAt: at(590), deadline: at(710), reason: .idle)
        XCTAssertEqual(warned.verdict(now: at(600)), .sleep(until: at(680)))
    }
}
