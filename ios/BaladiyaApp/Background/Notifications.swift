import BaladiyaKit
import Foundation
import UserNotifications

/// Local notifications for what the core says is worth one: a reply or status change on a
/// complaint, a refusal, important news.
enum Notifications {
    static let complaintKey = "complaint"
    static let newsKey = "news"

    /// Asked after the first complaint is filed, when the reason is plain to the citizen.
    static func requestAuthorization() {
        UNUserNotificationCenter.current().requestAuthorization(options: [.alert, .sound, .badge]) { _, _ in }
    }

    /// Post what the sync says deserves a notification, worded by the kit in the app's language,
    /// less the kinds turned off in Settings.
    static func post(_ summary: SyncSummary, client: BaladiyaClient) async {
        guard !summary.notifications.isEmpty else { return }
        let center = UNUserNotificationCenter.current()
        let settings = await center.notificationSettings()
        guard settings.authorizationStatus == .authorized || settings.authorizationStatus == .provisional else { return }
        for notice in await client.notices(for: summary, store: DefaultsPreferences()) {
            let content = UNMutableNotificationContent()
            content.title = notice.title
            content.body = notice.body
            content.sound = .default
            content.threadIdentifier = notice.thread
            if let id = notice.complaintId { content.userInfo = [complaintKey: id] }
            if let id = notice.newsId { content.userInfo = [newsKey: id] }
            // One per complaint or news item: a newer update replaces the older one.
            let request = UNNotificationRequest(identifier: notice.id, content: content, trigger: nil)
            try? await center.add(request)
        }
    }
}
