import Foundation
import IdleWardenClient
import IdleWardenCore
import IdleWardenWire
import XCTest
@testable import IdleWardenDaemon

/// What the daemon tells people and tools: `status` as of now, the metrics (`idlewarden metrics` and the
/// textfile for node_exporter), the audit format.
final class DaemonReportingTests: XCTestCase {
    private var harness: DaemonHarness!
    private var audit: MemoryAudit { harness.audit }

    override func setUpWithError() throws {
        harness = try DaemonHarness()
        harness.user("alice", uid: 1001)
        harness.user("bob", uid: 1002)
    }

    override func tearDown() {
        harness = nil
    }

    /// The value of one sample of the metrics text, e.g. `idlewarden_sessions{state="active"}`.
    private func sample(_ name: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
    }

    // MARK: status

    /// A user who typed a moment ago sees that, not the idle time of the daemon's last look at the terminal; and
    /// `status` says when the warning and the end come if nothing more is typed.
    func testStatusReadsTheTerminalsWhenAskedAndSaysWhatComesNext() throws {
        let login = try harness.sshLogin("alice")
        harness.run(for: .seconds(5 * 60 + 11))
        // No input since the pty was made (its atime then may count up to the end of its 8 s step).
        let idle: Int64 = try XCTUnwrap(harness.status(of: login)?.idleSeconds)
        XCTAssertTrue(Int64(303)...Int64(311) ~= idle, "idle \(idle) s after 5m11s without input")
        harness.type(in: login)
        // The kernel keeps an atime in 8 s steps: the input may be as late as the end of its step.
        let input = TerminalInput.latestInput(atimeSeconds: harness.clock.now().seconds)
        harness.run(for: .seconds(2))
        let entry = try XCTUnwrap(harness.status(uid: 1001).first)
        XCTAssertLessThanOrEqual(entry.idleSeconds, 2, "the key press of 2 s ago, read when asked")
        XCTAssertEqual(entry.idleSeconds, max(0, (harness.clock.now() - input).wholeSeconds))
        XCTAssertEqual(entry.endAt, (input + .seconds(15 * 60)).seconds)
        XCTAssertEqual(entry.warnAt, (input + .seconds(14 * 60)).seconds)
        XCTAssertEqual(entry.endReason, "idle")
        XCTAssertEqual(entry.warnBeforeSeconds, 60)
        XCTAssertNil(entry.maxSessionSeconds)
        XCTAssertEqual(entry.keepaliveAllowed, true)
        XCTAssertEqual(audit.count("activity"), 0, "asking is not an observation that changes anything")

        // The daemon's own check still comes at its scheduled moment and finds the input then.
        harness.run(for: .seconds(9 * 60))
        XCTAssertEqual(audit.count("warn"), 0)
        harness.run(until: input + .seconds(14 * 60 + 1))
        XCTAssertEqual(audit.count("warn", ["session": login.id]), 1)
        let warned = try XCTUnwrap(harness.status(of: login))
        XCTAssertEqual(warned.state, "warned")
        XCTAssertEqual(warned.endAt, (input + .seconds(15 * 60)).seconds)
    }

    /// An exempt session and one without a terminal have nothing to wait for; max_session shows as the end.
    func testStatusOutlookOfExemptAndLimitedSessions() throws {
        harness.writeConfig(DaemonHarness.defaultConfig + "\nmax_session = \"1h\"\nexclude_users = [\"bob\"]\n")
        XCTAssertEqual(harness.daemon.reload(), [])
        let alice = try harness.sshLogin("alice", tty: false)
        let bob = try harness.sshLogin("bob")
        harness.run(for: .seconds(20))
        let quiet = try XCTUnwrap(harness.status(of: alice))
        XCTAssertEqual(quiet.state, "no-tty")
        XCTAssertEqual(quiet.endReason, "max-session")
        XCTAssertEqual(quiet.maxSessionSeconds, 3_600)
        XCTAssertEqual(quiet.endAt.map { $0 - quiet.openedAt }, 3_600)
        XCTAssertEqual(quiet.warnAt.map { $0 - quiet.openedAt }, 3_540)
        let exempt = try XCTUnwrap(harness.status(of: bob))
        XCTAssertNil(exempt.endAt)
        XCTAssertNil(exempt.warnAt)
    }

    // MARK: metrics

    /// The counters move with real sessions: opened, warned, ended, closed, refused; the gauge shows the state
    /// of the sessions there now.
    func testMetricsFollowTheSessions() throws {
        let alice = try harness.sshLogin("alice")
        let bob = try harness.sshLogin("bob")
        harness.run(for: .seconds(30))
        var text = try XCTUnwrap(harness.request(.metrics).message)
        XCTAssertEqual(sample(#"idlewarden_sessions{state="active"}"#, in: text), 2)
        XCTAssertEqual(sample(#"idlewarden_sessions{state="warned"}"#, in: text), 0)
        XCTAssertEqual(sample(#"idlewarden_sessions_opened_total{source="pam"}"#, in: text), 2)
        XCTAssertEqual(sample(#"idlewarden_session_ends_total{reason="idle"}"#, in: text), 0)
        XCTAssertEqual(sample(#"idlewarden_audit_events_total{event="open"}"#, in: text), 2)
        XCTAssertEqual(sample(#"idlewarden_audit_events_total{event="forged-input"}"#, in: text), 0)
        XCTAssertTrue(text.contains("# TYPE idlewarden_session_ends_total counter\n"), text)
        XCTAssertTrue(text.hasSuffix("\n"))

        harness.logout(bob)
        _ = harness.send(SessionEvent(phase: .open, pid: 4242, user: "alice", service: "sshd"), from: 4242, uid: 1001)
        harness.run(for: .seconds(14 * 60))
        text = try XCTUnwrap(harness.request(.metrics).message)
        XCTAssertEqual(sample(#"idlewarden_sessions{state="warned"}"#, in: text), 1)
        XCTAssertEqual(sample(#"idlewarden_sessions{state="active"}"#, in: text), 0)
        XCTAssertEqual(sample(#"idlewarden_session_closes_total{reason="pam-close"}"#, in: text), 1)
        XCTAssertEqual(sample(#"idlewarden_rejects_total{reason="not-root"}"#, in: text), 1)
        XCTAssertEqual(sample(#"idlewarden_audit_events_total{event="warn"}"#, in: text), 1)

        harness.run(for: .seconds(2 * 60))
        text = try XCTUnwrap(harness.request(.metrics).message)
        XCTAssertEqual(sample(#"idlewarden_session_ends_total{reason="idle"}"#, in: text), 1, audit.text)
        XCTAssertEqual(sample(#"idlewarden_session_ends_total{reason="max-session"}"#, in: text), 0)
        XCTAssertEqual(sample(#"idlewarden_audit_events_total{event="terminate"}"#, in: text), 1)
        _ = alice
    }

    /// metrics_file: written when something changed, at most every 15 s, atomically (the old file or the new one,
    /// never a part), mode 0644; a directory that is not there is audited once and tried again.
    func testMetricsFileIsWrittenWhenSomethingChangedAtMostEveryInterval() throws {
        let file = harness.directory + "/metrics/idlewarden.prom"
        harness.writeConfig(DaemonHarness.defaultConfig + "\nmetrics_file = \"\(file)\"\n")
        XCTAssertEqual(harness.daemon.reload(), [])
        harness.run(for: .seconds(1))
        XCTAssertEqual(audit.count("metrics-file", ["result": "retrying"]), 1, "no such directory yet")
        XCTAssertEqual(mkdir(harness.directory + "/metrics", 0o755), 0)
        harness.run(for: .seconds(15))
        XCTAssertEqual(audit.count("metrics-file", ["result": "written-again"]), 1)
        var attributes = try FileManager.default.attributesOfItem(atPath: file)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o644)
        XCTAssertFalse(FileManager.default.fileExists(atPath: file + ".tmp"))
        harness.run(for: .seconds(20))
        let written = try String(contentsOfFile: file, encoding: .utf8)
        attributes = try FileManager.default.attributesOfItem(atPath: file)
        let modified = attributes[.modificationDate] as? Date

        try harness.sshLogin("alice")
        harness.run(for: .seconds(1))
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), written, "not again within 15 s")
        harness.run(for: .seconds(15))
        let updated = try String(contentsOfFile: file, encoding: .utf8)
        XCTAssertEqual(sample(#"idlewarden_sessions_opened_total{source="pam"}"#, in: updated), 1)
        XCTAssertEqual(updated, try harness.request(.metrics).message)

        harness.run(for: .seconds(5 * 60))
        let idleSince = try FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date
        harness.run(for: .seconds(60))
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date, idleSince,
                       "nothing changed, nothing written")
        _ = modified
    }

    // MARK: audit format

    /// audit_format = "json" after a reload: the same events with the same fields, each line a JSON object.
    func testAuditFormatFollowsTheConfig() throws {
        XCTAssertEqual(audit.format, .kv)
        let kvLogin = try harness.sshLogin("alice")
        harness.writeConfig(DaemonHarness.defaultConfig + "\naudit_format = \"json\"\n")
        XCTAssertEqual(harness.daemon.reload(), [])
        XCTAssertEqual(audit.format, .json)
        let jsonLogin = try harness.sshLogin("bob")
        let kvOpen = try XCTUnwrap(audit.rendered.first { $0.hasPrefix("event=open ") && $0.contains("session=\(kvLogin.id) ") })
        let jsonOpen = try XCTUnwrap(audit.rendered.first { $0.hasPrefix(#"{"event":"open""#) })
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(jsonOpen.utf8)) as? [String: String])
        XCTAssertEqual(object["session"], jsonLogin.id)
        XCTAssertEqual(object["user"], "bob")
        let kvKeys = kvOpen.split(separator: " ").map { String($0.split(separator: "=")[0]) }
        XCTAssertEqual(Set(object.keys), Set(kvKeys), "the same fields in both formats")
        XCTAssertTrue(audit.rendered.contains { $0.hasPrefix(#"{"event":"config-reload""#) },
                      "the reload line is in the new format")
    }
}
