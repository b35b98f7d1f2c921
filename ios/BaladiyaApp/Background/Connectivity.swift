import BaladiyaKit
import Foundation
import Network

/// While the app runs, a network coming back sends the outbox at once (the background task only
/// runs when iOS allows it). Sending when nothing is queued costs nothing. Every path change also
/// tells the library whether the network is metered (cellular, a personal hotspot, or Low Data
/// Mode): photos the citizen kept for Wi-Fi go only when it is not, so moving to Wi-Fi sends too.
final class Connectivity: @unchecked Sendable {
    static let shared = Connectivity()

    private let monitor = NWPathMonitor()
    private let queue = DispatchQueue(label: "ps.gaza.baladiya.connectivity")
    private var online = false
    private var metered = true

    func start() {
        monitor.pathUpdateHandler = { [weak self] path in
            guard let self else { return }
            let nowOnline = path.status == .satisfied
            let cameBack = nowOnline && !self.online
            self.online = nowOnline
            let nowMetered = path.isExpensive || path.isConstrained
            let onWifi = nowOnline && !nowMetered && self.metered
            self.metered = nowMetered
            AppClient.client?.setMetered(nowMetered)
            if cameBack || onWifi { self.flushSoon() }
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

    /// Send what is queued and bring the answers, now: after following a request (issue 15.3) the
    /// municipality counts the citizen on a refresh. Offline, the next refresh (pull to refresh,
    /// the background task) does it.
    func refreshSoon() {
        guard let client = AppClient.client else { return }
        Task.detached(priority: .utility) {
            _ = try? await client.sendAndRefresh()
        }
    }
}
