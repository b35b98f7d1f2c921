import BaladiyaKit
import Foundation
import Network

/// While the app runs, a network coming back sends the outbox at once (the background task only
/// runs when iOS allows it). Sending when nothing is queued costs nothing.
final class Connectivity: @unchecked Sendable {
    static let shared = Connectivity()

    private let monitor = NWPathMonitor()
    private let queue = DispatchQueue(label: "ps.gaza.baladiya.connectivity")
    private var online = false

    func start() {
        monitor.pathUpdateHandler = { [weak self] path in
            guard let self else { return }
            let nowOnline = path.status == .satisfied
            let cameBack = nowOnline && !self.online
            self.online = nowOnline
            if cameBack { self.flushSoon() }
        }
        monitor.start(queue: queue)
    }

    /// Send what is queued, now. The core keeps the outbox, the order and the retry schedule;
    /// a failure here is reported by the complaint list through the library's events.
    func flushSoon() {
        guard let client = AppClient.client else { return }
        Task.detached(priority: .utility) {
            _ = try? await client.flushComplaints()
        }
    }
}
