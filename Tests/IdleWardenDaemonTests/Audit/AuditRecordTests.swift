import Foundation
import XCTest
@testable import IdleWardenDaemon

final class AuditRecordTests: XCTestCase {
    func testPlainValuesStayBare() {
        let record = AuditRecord("open", [("session", "3"), ("user", "alice"), ("rhost", "192.0.2.1"), ("tty", nil)])
        XCTAssertEqual(record.description, "event=open session=3 user=alice rhost=192.0.2.1")
    }

    func testHostileValuesCannotForgeFieldsOrLines() {
        let record = AuditRecord("open", [("user", "eve user=root"), ("rhost", "a\"b\\c\nevent=close\u{7}")])
        XCTAssertEqual(
            record.description,
            #"event=open user="eve user=root" rhost="a\"b\\c\x0Aevent=close\x07""#)
        XCTAssertFalse(record.description.contains("\n"))
    }

    /// audit_format = "json": the same event and fields, in order, every value the kv value's text, as one line that
    /// a JSON parser reads back exactly; nothing outside printable ASCII is written raw.
    func testJSONHasTheSameFieldsAndCannotBeForgedEither() throws {
        let record = AuditRecord("open", [
            ("session", "3"), ("user", "eve\",\"user\":\"root"), ("rhost", "a\\b\nc\u{7}"), ("gecos", "jü\u{202E}txt"),
            ("tty", nil), ("uid", "1001"),
        ])
        let line = record.json
        XCTAssertEqual(line, #"{"event":"open","session":"3","user":"eve\",\"user\":\"root","rhost":"a\\b\u000ac\u0007","#
                       + #""gecos":"j\u00fc\u202etxt","uid":"1001"}"#)
        XCTAssertFalse(line.unicodeScalars.contains { $0.value < 0x20 || $0.value > 0x7E })
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        XCTAssertEqual(object, ["event": "open", "session": "3", "user": "eve\",\"user\":\"root", "rhost": "a\\b\nc\u{7}",
                                "gecos": "jü\u{202E}txt", "uid": "1001"])
        XCTAssertEqual(record.rendered(.kv), record.description)
        XCTAssertEqual(record.rendered(.json), line)
        // A character outside the basic plane: a surrogate pair, as JSON wants it.
        XCTAssertEqual(AuditRecord.jsonString("🙂"), #""\ud83d\ude42""#)
    }

    func testEmptyAndNonASCIIValuesAreQuoted() {
        XCTAssertEqual(AuditRecord.escape(""), #""""#)
        XCTAssertEqual(AuditRecord.escape("jü"), #""j\xC3\xBC""#)
    }
}
