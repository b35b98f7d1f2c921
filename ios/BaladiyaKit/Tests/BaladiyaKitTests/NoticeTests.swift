import XCTest
@testable import BaladiyaKit

/// The local notifications a background sync asks for, worded in the app's language and
/// filtered by the citizen's settings, against the real server.
final class NoticeTests: ServerTestCase {
    override func client() throws -> BaladiyaClient {
        try BaladiyaClient(dataDir: appDir.path, serverUrl: server.url, apiKey: ComplaintTests.demoAppKey)
    }

    func testNoticesOfAComplaintUpdateAndImportantNewsInBothLanguagesAndAsSettingsAllow() async throws {
        let c = try client()
        _ = try await c.refreshComplaintCategories()
        let localId = try await c.submitComplaint(ComplaintDraft(
            serviceCode: "streetlight", description: "العمود مطفأ",
            attributes: [AttributeAnswer(code: "pole_number", values: ["P-17"]), AttributeAnswer(code: "problem", values: ["off"])],
            location: nil, address: "شارع الجلاء", contact: nil))
        let flushed = try await c.flushComplaints()
        let serverId = try XCTUnwrap(flushed.sent.first?.serverId)
        let (status, _) = try await server.staffAction(
            serverId: serverId, ["action": "status", "detailed_status": "fixed", "note": "أُصلح. للاستفسار: 08-2865000"])
        XCTAssertEqual(status, 200)

        // The first sync brings the answer (and the news, which never notify on the first load);
        // an important item published afterwards comes with the second.
        let first = await c.backgroundSync(budget: 20)
        XCTAssertEqual(first.errors, [])
        let (published, body) = try await server.publishNews([
            "category": "service_interruption", "important": true,
            "title": ["ar": "انقطاع المياه غدًا عن حي الرمال", "en": "Water cut in Al-Rimal tomorrow"],
            "body": ["ar": "للاستفسار: 08-2865000", "en": "Questions: 08-2865000"],
        ])
        XCTAssertEqual(published, 201, body)
        let second = await c.backgroundSync(budget: 20)
        XCTAssertEqual(second.errors, [])
        let summary = SyncSummary(
            flush: nil, complaints: nil, news: nil, guide: nil, errors: [], outOfTime: false, offline: false,
            notifications: first.notifications + second.notifications, elapsedMs: 0)

        let prefs = MemoryPreferences()
        let arabic = await c.notices(for: summary, store: prefs)
        let update = try XCTUnwrap(arabic.first { $0.complaintId == localId })
        XCTAssertEqual(update.title, "الشكوى \u{2066}\(localId)\u{2069}: عولجت")
        XCTAssertEqual(update.thread, "complaints")
        XCTAssertTrue(update.body.hasSuffix("للاستفسار: \u{2066}08-2865000\u{2069}"), update.body)
        let news = arabic.filter { $0.newsId != nil }
        XCTAssertEqual(news.count, 1, "\(arabic)")
        XCTAssertTrue(news.allSatisfy { $0.title == "خبر مهم من البلدية" && $0.thread == "news" })

        c.language = .en
        let english = await c.notices(for: summary, store: prefs)
        XCTAssertEqual(english.first { $0.complaintId == localId }?.title, "Complaint \u{2066}\(localId)\u{2069}: Fixed")
        let stored = try await c.news()
        let englishNews = try XCTUnwrap(english.first { $0.newsId != nil })
        XCTAssertEqual(englishNews.body, "Water cut in Al-Rimal tomorrow")
        XCTAssertEqual(stored.first { $0.item.id == englishNews.newsId }?.item.title.en, englishNews.body)

        // Turned off in Settings: not posted.
        prefs.set("off", forKey: "baladiya.notify.news")
        let noNews = await c.notices(for: summary, store: prefs)
        XCTAssertTrue(noNews.allSatisfy { $0.newsId == nil })
        XCTAssertFalse(noNews.isEmpty)
        prefs.set("off", forKey: "baladiya.notify.complaints")
        let none = await c.notices(for: summary, store: prefs)
        XCTAssertEqual(none, [])
    }
}
