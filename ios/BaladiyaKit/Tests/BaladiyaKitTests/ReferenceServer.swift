import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real reference server (the Rust binary) with sample data on a free loopback port.
final class ReferenceServer {
    static let staffToken = "swift-test-staff-token"
    let url: String
    private var process: Process
    private let bin: String
    private let dataDir: URL

    init() throws {
        guard let bin = ProcessInfo.processInfo.environment["BALADIYA_SERVER_BIN"] else {
            throw NSError(domain: "test", code: 1, userInfo: [NSLocalizedDescriptionKey: "BALADIYA_SERVER_BIN is not set"])
        }
        self.bin = bin
        dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("baladiya-server-\(UUID().uuidString)")
        let (started, address) = try ReferenceServer.launch(bin: bin, listen: "127.0.0.1:0", dataDir: dataDir)
        process = started
        url = address
    }

    private static func launch(bin: String, listen: String, dataDir: URL) throws -> (Process, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bin)
        process.arguments = ["--demo", "--listen", listen, "--data-dir", dataDir.path]
        var env = ProcessInfo.processInfo.environment
        env["BALADIYA_STAFF_TOKEN"] = ReferenceServer.staffToken
        env["RUST_LOG"] = "warn"
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        try withTerminationSignalsUnblocked { try process.run() }
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let first = String(decoding: line, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        let url = first.replacingOccurrences(of: "listening on ", with: "")
        guard url.hasPrefix("http://127.0.0.1:") else {
            throw NSError(domain: "test", code: 2, userInfo: [NSLocalizedDescriptionKey: "server said: \(first)"])
        }
        return (process, url)
    }

    /// The child inherits the signal mask of the spawning thread, and the threads async tests run
    /// on block SIGTERM: a server started from one would never see `terminate()`.
    private static func withTerminationSignalsUnblocked<T>(_ body: () throws -> T) rethrows -> T {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        var previous = sigset_t()
        pthread_sigmask(SIG_UNBLOCK, &signals, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        return try body()
    }

    /// Stop the server (SIGTERM, a graceful stop; SIGKILL after 5 s) but keep its database: the app
    /// now finds nobody listening.
    func stopKeepingData() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Start the server again on the same address with the same database.
    func restart() throws {
        stopKeepingData()
        let listen = url.replacingOccurrences(of: "http://", with: "").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let (started, address) = try ReferenceServer.launch(bin: bin, listen: listen, dataDir: dataDir)
        process = started
        guard address == url else {
            throw NSError(domain: "test", code: 3, userInfo: [NSLocalizedDescriptionKey: "restarted at \(address), not \(url)"])
        }
    }

    /// Stop the server and delete its data.
    func stop() {
        stopKeepingData()
        try? FileManager.default.removeItem(at: dataDir)
    }

    /// A dispatcher's action on a complaint, e.g. `["action": "status", "detailed_status":
    /// "in_progress", "note": "…"]`; returns the HTTP status and the body.
    func staffAction(serverId: String, _ body: [String: String]) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: "\(url)api/v1/staff/requests/\(serverId)/actions")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(ReferenceServer.staffToken)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        return try await send(request)
    }

    /// Staff publish a news item (`POST /api/v1/staff/news`); returns the HTTP status and the body.
    func publishNews(_ item: [String: Any]) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: "\(url)api/v1/staff/news")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(ReferenceServer.staffToken)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: item)
        return try await send(request)
    }

    /// Staff replace a guide service (`PUT /api/v1/staff/guide/services/{id}`, the JSON as the
    /// guide gives it); returns the HTTP status and the body.
    func putService(id: String, json: String) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: "\(url)api/v1/staff/guide/services/\(id)")!)
        request.httpMethod = "PUT"
        request.setValue("Bearer \(ReferenceServer.staffToken)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(json.utf8)
        return try await send(request)
    }

    func get(_ path: String) async throws -> (Int, String) {
        try await send(URLRequest(url: URL(string: url + path)!))
    }

    private func send(_ request: URLRequest) async throws -> (Int, String) {
        try await withCheckedThrowingContinuation { continuation in
            URLSession.shared.dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(throwing: error)
                } else {
                    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                    continuation.resume(returning: (status, String(decoding: data ?? Data(), as: UTF8.self)))
                }
            }.resume()
        }
    }

    deinit { stop() }
}
