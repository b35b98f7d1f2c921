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

    static func post(_ summary: SyncSummary, client: BaladiyaClient) async {
        guard !summary.notifications.isEmpty else { return }
        let center = UNUserNotificationCenter.current()
        let settings = await center.notificationSettings()
        guard settings.authorizationStatus == .authorized || settings.authorizationStatus == .provisional else { return }

        // The core words important news with the Arabic title; an English reader gets the English one.
        var englishTitles: [String: String] = [:]
        if AppLanguage.lang == .en, summary.notifications.contains(where: { $0.kind == .importantNews }) {
            let stored = (try? await client.news(unreadOnly: false)) ?? []
            for n in stored { englishTitles[n.item.id] = n.item.title.en }
        }

        // The kinds the citizen turned off in Settings are not shown.
        let prefs = DefaultsPreferences()
        for n in summary.notifications where SettingsModel.allowsNotification(n.kind, store: prefs) {
            let content = UNMutableNotificationContent()
            // The core's text may carry a phone or tracking number: isolated so it reads in order.
            content.body = FreeText.isolated(n.text)
            content.sound = .default
            switch n.kind {
            case .complaintUpdate:
                if let status = AppLanguage.display.statusLabel(detailed: n.detailedStatus, status: nil) {
                    content.title = L("notify.complaint.status", Format.tracking(n.subjectId), status)
                } else {
                    content.title = L("notify.complaint.update", Format.tracking(n.subjectId))
                }
                content.threadIdentifier = "complaints"
                content.userInfo = [complaintKey: n.subjectId]
            case .complaintNeedsAttention:
                content.title = L("notify.complaint.refused", Format.tracking(n.subjectId))
                content.threadIdentifier = "complaints"
                content.userInfo = [complaintKey: n.subjectId]
            case .importantNews:
                content.title = L("notify.importantNews")
                if let title = englishTitles[n.subjectId], !title.isEmpty { content.body = title }
                content.threadIdentifier = "news"
                content.userInfo = [newsKey: n.subjectId]
            }
            // One per complaint or news item: a newer update replaces the older one.
            let request = UNNotificationRequest(identifier: "\(n.kind)-\(n.subjectId)", content: content, trigger: nil)
            try? await center.add(request)
        }
    }
}
