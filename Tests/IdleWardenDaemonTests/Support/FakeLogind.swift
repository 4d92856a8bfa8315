import Foundation
import IdleWardenCore
import XCTest
@testable import IdleWardenDaemon

/// systemd-logind as a test sets it up: absent, or present with busctl replies looked up by their arguments
/// (those recorded from a real logind, `FakeLogind.Recording`, or made by the test) and the scope of each process.
final class FakeLogind: LogindBus {
    var isPresent = false
    var replies: [[String]: (status: Int32, output: String)] = [:]
    var scopes: [Int32: LogindScope] = [:]
    /// Every busctl call, in order.
    private(set) var calls: [[String]] = []

    func busctl(_ arguments: [String], outputLimit: Int, timeoutMilliseconds: Int32) -> (status: Int32, output: String) {
        calls.append(arguments)
        return replies[arguments] ?? (1, "Call failed: no reply for \(arguments.joined(separator: " ")) in this test")
    }

    func scope(of pid: Int32) -> LogindScope? { scopes[pid] }

    /// Makes logind present with the recorded reply `name` as the answer to the call it was recorded for.
    func answer(with recorded: Recording.Reply) {
        isPresent = true
        replies[recorded.arguments] = (recorded.status, recorded.output)
    }

    /// Tests/IdleWardenCoreTests/Fixtures/logind-252.json: what a real systemd 252 answered
    /// (Fixtures/record-logind-replies.sh), with the three `su -l` sessions it was recorded with.
    struct Recording: Decodable {
        struct Reply: Decodable {
            var arguments: [String]
            var status: Int32
            var output: String
        }

        struct LoginSession: Decodable {
            var id: String
            var leader: Int32
            var type: String
            /// /proc/LEADER/cgroup as read in the container.
            var cgroup: String
        }

        var sessions: [String: LoginSession]
        var replies: [String: Reply]

        static func load(file: StaticString = #filePath, line: UInt = #line) throws -> Recording {
            let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("IdleWardenCoreTests/Fixtures/logind-252.json")
            return try JSONDecoder().decode(Recording.self, from: Data(contentsOf: url))
        }

        func reply(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Reply {
            try XCTUnwrap(replies[name], "no recorded reply \(name)", file: file, line: line)
        }

        func session(_ kind: String, file: StaticString = #filePath, line: UInt = #line) throws -> LoginSession {
            try XCTUnwrap(sessions[kind], "no recorded \(kind) session", file: file, line: line)
        }
    }
}
