import Foundation
import XCTest

/// A test case with a fresh state directory of its own (mode 0700, as the daemon's), removed afterwards.
class StateDirectoryTestCase: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "idlewarden-state-\(UUID().uuidString)"
        XCTAssertEqual(mkdir(directory, 0o700), 0)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
