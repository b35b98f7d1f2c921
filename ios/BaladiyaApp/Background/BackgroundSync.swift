import BackgroundTasks
import BaladiyaKit
import Foundation

/// The background sync, as a `BGAppRefreshTask`: one call into the core, which sends the
/// complaints due, brings their answers, refreshes the news and the guide within the budget, and
/// says what deserves a notification. The identifier is listed in Info.plist under
/// `BGTaskSchedulerPermittedIdentifiers`.
enum BackgroundSync {
    static let identifier = "ps.gaza.baladiya.refresh"
    /// Well inside the ~30 s iOS gives an app refresh task, and kind to the battery.
    static let budgetMs: UInt64 = 8_000

    /// Call before the app finishes launching.
    static func register() {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: identifier, using: nil) { task in
            guard let refresh = task as? BGAppRefreshTask else {
                task.setTaskCompleted(success: false)
                return
            }
            run(refresh)
        }
    }

    /// Ask for the next run, about an hour from now, or at `date` when a complaint waits to be sent
    /// (iOS decides when, from how the app is used; a later request replaces an earlier one).
    static func schedule(at date: Date? = nil) {
        let request = BGAppRefreshTaskRequest(identifier: identifier)
        request.earliestBeginDate = date ?? Date(timeIntervalSinceNow: 60 * 60)
        do {
            try BGTaskScheduler.shared.submit(request)
        } catch {
            // Background refresh is off for the app, or the simulator: the foreground still syncs.
        }
    }

    private static func run(_ task: BGAppRefreshTask) {
        schedule()
        guard let client = AppClient.client else {
            task.setTaskCompleted(success: false)
            return
        }
        let done = Once()
        let work = Task {
            let summary = await client.backgroundSync(budgetMs: budgetMs)
            await Notifications.post(summary, client: client)
            if done.claim() { task.setTaskCompleted(success: summary.errors.isEmpty) }
        }
        task.expirationHandler = {
            // The library finishes the step it is in (every write is one transaction, the
            // outbox resends under the same key), so stopping here loses nothing.
            work.cancel()
            if done.claim() { task.setTaskCompleted(success: false) }
        }
    }
}

/// `setTaskCompleted` exactly once, whichever of the work and the expiration comes first.
private final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed = false

    func claim() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if claimed { return false }
        claimed = true
        return true
    }
}
