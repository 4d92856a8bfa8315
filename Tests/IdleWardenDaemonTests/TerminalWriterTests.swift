import Foundation
import XCTest
@testable import IdleWardenDaemon

#if canImport(Glibc)
import Glibc
#endif

final class TerminalWriterTests: XCTestCase {
    /// The notice arrives on a real pseudo-terminal, whole.
    func testWritesToATerminal() throws {
        var master: Int32 = -1
        var slave: Int32 = -1
        var name = [CChar](repeating: 0, count: 64)
        XCTAssertEqual(openpty(&master, &slave, &name, nil, nil), 0)
        defer { close(master); close(slave) }
        let path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        XCTAssertEqual(TerminalWriter.write("idle: logging out\n", to: path), .written)
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
        XCTAssertEqual(String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self), "idle: logging out\r\n")
    }

    func testWhatIsNoTerminalIsSkipped() {
        XCTAssertEqual(TerminalWriter.write("x", to: "/nonexistent/pts/9"), .skipped("open: No such file or directory"))
        let file = NSTemporaryDirectory() + "/iw-terminal-writer-\(getpid())"
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: nil))
        defer { unlink(file) }
        XCTAssertEqual(TerminalWriter.write("x", to: file), .skipped("not a terminal"))
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "", "nothing written to a regular file")
    }
}
