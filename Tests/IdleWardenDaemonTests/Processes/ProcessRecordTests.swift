import XCTest
@testable import IdleWardenDaemon

final class ProcessRecordTests: XCTestCase {
    func testParsesStatWithHostileCommandName() throws {
        let line = "4242 (evil) 1 2 3 (x) S 4000 4242 4242 34817 4242 4194560 120 0 0 0 1 2 0 0 20 0 1 0 "
            + "987654 8790016 900 18446744073709551615 1 1 0 0 0 0 65536 3686404 1266761467 0 0 0 17 1 0 0 0 0 0\n"
        let record = try XCTUnwrap(ProcessRecord.parseStat(Array(line.utf8)))
        XCTAssertEqual(record.pid, 4242)
        XCTAssertEqual(record.ppid, 4000)
        XCTAssertEqual(record.processGroup, 4242)
        XCTAssertEqual(record.sid, 4242)
        XCTAssertEqual(record.ttyNumber, 34817)
        XCTAssertEqual(record.startTime, 987_654)
        XCTAssertEqual(record.threads, 1)
        XCTAssertEqual(record.name, "evil) 1 2 3 (x")
    }

    func testParsesRealUIDNotEffective() {
        let status = "Name:\tsu\nUmask:\t0022\nState:\tS (sleeping)\nUidMap:\t9\nUid:\t1000\t0\t0\t0\nGid:\t5\t5\t5\t5\n"
        XCTAssertEqual(ProcessRecord.parseRealUID(Array(status.utf8)), 1000)
        XCTAssertNil(ProcessRecord.parseRealUID(Array("Name:\tx\nGid:\t1\n".utf8)))
        XCTAssertNil(ProcessRecord.parseRealUID(Array("Uid:\t99999999999\t0\n".utf8)), "out of range")
    }

    func testRejectsStatWithoutStartTime() {
        let line = "7 (x) S 1 7 7 0 -1 4194560 120 0 0 0 1 2 0 0 20 0 1 0\n"
        XCTAssertNil(ProcessRecord.parseStat(Array(line.utf8)))
        XCTAssertNotNil(ProcessRecord.parseStat(Array((line.dropLast() + " 55\n").utf8)))
    }

    func testRejectsGarbage() {
        for text in ["", "12 (x", "x (y) S 1 2", "1 (a) S x y z"] {
            XCTAssertNil(ProcessRecord.parseStat(Array(text.utf8)), text)
        }
    }

    func testIgnoredSignalMaskIsReadFromStatus() {
        let status = Array("Name:\tsleep\nSigPnd:\t0000000000000000\nSigIgn:\t0000000000000001\nSigCgt:\t0\n".utf8)
        XCTAssertEqual(status.withUnsafeBufferPointer { ProcessRecord.parseIgnoredSignals($0) }, 1)
        XCTAssertNil(Array("Name:\tsleep\n".utf8).withUnsafeBufferPointer { ProcessRecord.parseIgnoredSignals($0) })
    }

    func testReadsOwnProcess() throws {
        let record = try XCTUnwrap(LiveProcessTree().record(getpid()))
        XCTAssertEqual(record.pid, getpid())
        XCTAssertEqual(record.realUID, getuid())
        XCTAssertEqual(record.ppid, getppid())
    }

    func testMembersIncludeDescendantsAndTheirSessionsOnly() {
        func record(_ pid: Int32, _ ppid: Int32, sid: Int32) -> ProcessRecord {
            ProcessRecord(pid: pid, ppid: ppid, processGroup: pid, sid: sid, ttyNumber: 0, startTime: 1, realUID: 1000)
        }
        // 10 = login leader in the caller's sid 5 (the shell around `su -l`, pid 5, must not be included);
        // 11 = user shell in sid 5; 12 = setsid job (sid 12) below it; 13 = member of sid 12 reparented to init.
        let table = ProcessTable(records: [
            record(5, 1, sid: 5), record(10, 5, sid: 5), record(11, 10, sid: 5), record(12, 11, sid: 12),
            record(13, 1, sid: 12), record(14, 1, sid: 5),
        ])
        let members = table.members(of: .init(pid: 10, startTime: 1)).map(\.pid).sorted()
        XCTAssertEqual(members, [11, 12, 13])
        XCTAssertEqual(table.members(of: .init(pid: 10, startTime: 2)), [], "a reused pid has no members")
    }
}
