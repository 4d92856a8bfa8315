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

    func testEmptyAndNonASCIIValuesAreQuoted() {
        XCTAssertEqual(AuditRecord.escape(""), #""""#)
        XCTAssertEqual(AuditRecord.escape("jü"), #""j\xC3\xBC""#)
    }
}
