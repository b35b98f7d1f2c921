import Foundation

/// The real reference server (the Rust binary) with sample data on a free loopback port.
final class ReferenceServer {
    static let staffToken = "swift-test-staff-token"
    let url: String
    private let process = Process()
    private let dataDir: URL

    init() throws {
        guard let bin = ProcessInfo.processInfo.environment["BALADIYA_SERVER_BIN"] else {
            throw NSError(domain: "test", code: 1, userInfo: [NSLocalizedDescriptionKey: "BALADIYA_SERVER_BIN is not set"])
        }
        dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("baladiya-server-\(UUID().uuidString)")
        process.executableURL = URL(fileURLWithPath: bin)
        process.arguments = ["--demo", "--listen", "127.0.0.1:0", "--data-dir", dataDir.path]
        var env = ProcessInfo.processInfo.environment
        env["BALADIYA_STAFF_TOKEN"] = ReferenceServer.staffToken
        env["RUST_LOG"] = "warn"
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let first = String(decoding: line, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        url = first.replacingOccurrences(of: "listening on ", with: "")
        guard url.hasPrefix("http://127.0.0.1:") else {
            throw NSError(domain: "test", code: 2, userInfo: [NSLocalizedDescriptionKey: "server said: \(first)"])
        }
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: dataDir)
    }

    deinit { stop() }
}
