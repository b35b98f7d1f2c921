import Foundation

/// A local notification to post, worded in the app's language: what the background sync said
/// deserves one, less the kinds the citizen turned off in Settings.
public struct LocalNotice: Equatable {
    /// One per complaint or news item: a newer notice replaces the older one.
    public let id: String
    public let title: String
    public let body: String
    /// `complaints` or `news`, to group them.
    public let thread: String
    /// What a tap opens.
    public let complaintId: String?
    public let newsId: String?
}

extension BaladiyaClient {
    /// The notices for `summary`'s notifications. The core words important news with the Arabic
    /// title; in English the item's English title is taken from the phone's news.
    public func notices(for summary: SyncSummary, store: PreferenceStore) async -> [LocalNotice] {
        let d = display
        var titles: [String: String] = [:]
        if d.lang == .en, summary.notifications.contains(where: { $0.kind == .importantNews }) {
            for n in (try? await news(unreadOnly: false)) ?? [] where !n.item.title.en.isEmpty {
                titles[n.item.id] = n.item.title.en
            }
        }
        // A request the citizen follows (issue 15.3) is named by the municipality's number: the
        // phone's tracking number of it was never theirs to know.
        var followed: [String: String] = [:]
        if summary.notifications.contains(where: { $0.kind == .complaintUpdate }) {
            for c in (try? await complaints()) ?? [] where c.followed {
                if let serverId = c.serverId { followed[c.localId] = serverId }
            }
        }
        return summary.notifications
            .filter { SettingsModel.allowsNotification($0.kind, store: store) }
            .map { n in
                let id = d.tracking(n.subjectId)
                switch n.kind {
                case .complaintUpdate:
                    let status = d.statusLabel(detailed: n.detailedStatus, status: nil)
                    let title: String
                    if let serverId = followed[n.subjectId] {
                        let number = d.requestNumber(serverId)
                        title = status.map { d.text("notify.followed.status", number, $0) } ?? d.text("notify.followed.update", number)
                    } else {
                        title = status.map { d.text("notify.complaint.status", id, $0) } ?? d.text("notify.complaint.update", id)
                    }
                    return LocalNotice(id: "complaintUpdate-\(n.subjectId)", title: title, body: FreeText.isolated(n.text),
                                       thread: "complaints", complaintId: n.subjectId, newsId: nil)
                case .complaintNeedsAttention:
                    return LocalNotice(id: "complaintNeedsAttention-\(n.subjectId)", title: d.text("notify.complaint.refused", id),
                                       body: FreeText.isolated(n.text), thread: "complaints", complaintId: n.subjectId, newsId: nil)
                case .importantNews:
                    return LocalNotice(id: "importantNews-\(n.subjectId)", title: d.text("notify.importantNews"),
                                       body: FreeText.isolated(titles[n.subjectId] ?? n.text), thread: "news", complaintId: nil, newsId: n.subjectId)
                }
            }
    }
}
