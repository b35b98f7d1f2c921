import XCTest
@testable import BaladiyaKit

/// A test case with a fresh reference server and a fresh app data directory for each test.
class ServerTestCase: XCTestCase {
    var server: ReferenceServer!
    var appDir: URL!

    override func setUpWithError() throws {
        server = try ReferenceServer()
        appDir = FileManager.default.temporaryDirectory.appendingPathComponent("baladiya-app-\(UUID().uuidString)")
    }

    override func tearDown() {
        server.stop()
        try? FileManager.default.removeItem(at: appDir)
    }

    /// The facade opened on this test's data directory, talking to this test's server.
    func client() throws -> BaladiyaClient {
        try BaladiyaClient(dataDir: appDir.path, serverUrl: server.url)
    }
}
