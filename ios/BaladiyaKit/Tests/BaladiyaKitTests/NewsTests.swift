import XCTest
@testable import BaladiyaKit

/// News, the background sync and the news view model through the Swift facade, against the real
/// reference server.
final class NewsTests: ServerTestCase {

    func testNewsRefreshBrings30ItemsThenA304AndKeepsReadMarks() async throws {
        let c = try client()
        let events = EventRecorder(c)
        defer { events.cancel() }
        let empty = try await c.news()
        XCTAssertTrue(empty.isEmpty)

        let first = try await c.refreshNews()
        XCTAssertFalse(first.notModified)
        XCTAssertEqual(first.newItems, 30)
        XCTAssertGreaterThan(first.bytesReceived, 0)
        let arrived = try await events.next()
        guard case let .newsArrived(items, important) = arrived else { return XCTFail("got \(arrived)") }
        XCTAssertEqual(items.count, 30)
        XCTAssertEqual(Int(important), first.important.count)

        let second = try await c.refreshNews()
        XCTAssertTrue(second.notModified)
        XCTAssertEqual(second.newItems, 0)
        XCTAssertTrue((1...600).contains(second.bytesReceived), "a 304 costs \(second.bytesReceived) bytes")

        let all = try await c.news()
        XCTAssertEqual(all.count, 30)
        XCTAssertEqual(all.map(\.item.publishedAt), all.map(\.item.publishedAt).sorted(by: >), "newest first")
        XCTAssertTrue(all.allSatisfy { !$0.read && !$0.item.title.ar.isEmpty && !$0.item.title.en.isEmpty })
        var unread = try await c.unreadNewsCount()
        XCTAssertEqual(unread, 30)

        let top = all[0].item.id
        try await c.markNewsRead(id: top)
        unread = try await c.unreadNewsCount()
        XCTAssertEqual(unread, 29)
        let afterMark = try await c.news()
        XCTAssertTrue(afterMark[0].read)
        let unreadOnly = try await c.news(unreadOnly: true)
        XCTAssertEqual(unreadOnly.count, 29)
        XCTAssertFalse(unreadOnly.contains { $0.item.id == top || $0.read })
        do {
            try await c.markNewsRead(id: "no-such-item")
            XCTFail("expected not found")
        } catch ApiError.NotFound {
        }

        try await c.markAllNewsRead()
        unread = try await c.unreadNewsCount()
        XCTAssertEqual(unread, 0)
        let none = try await c.news(unreadOnly: true)
        XCTAssertTrue(none.isEmpty)
        // A refresh with nothing new keeps the read marks.
        let third = try await c.refreshNews()
        XCTAssertTrue(third.notModified)
        unread = try await c.unreadNewsCount()
        XCTAssertEqual(unread, 0)
    }

    func testBackgroundSyncWithTheServerUpDoesNewsAndGuideAndSyncFinishedArrivesOnTheStream() async throws {
        let c = try client()
        let events = EventRecorder(c)
        defer { events.cancel() }

        let summary = await c.backgroundSync(budget: 20)
        XCTAssertEqual(summary.errors, [])
        XCTAssertFalse(summary.outOfTime)
        XCTAssertEqual(summary.news?.newItems, 30)
        let guide = try XCTUnwrap(summary.guide)
        XCTAssertTrue(guide.full)
        XCTAssertGreaterThanOrEqual(guide.servicesAdded, 40)
        XCTAssertEqual(summary.flush?.remaining ?? 0, 0)
        XCTAssertLessThan(summary.elapsedMs, 20_000)
        // Important news items become notifications for the shell to show.
        XCTAssertEqual(summary.notifications.map(\.subjectId), summary.news?.important.map(\.id))

        var finished: SyncSummary?
        while finished == nil {
            if case let .syncFinished(s) = try await events.next() { finished = s }
        }
        XCTAssertEqual(finished, summary)

        // The work it did is on the phone.
        let unread = try await c.unreadNewsCount()
        XCTAssertEqual(unread, 30)
        let hits = try await c.searchGuide("رخصه بناء", limit: 5)
        XCTAssertEqual(hits.first?.id, "building-permit")

        // A second run right after costs two 304s.
        let again = await c.backgroundSync(budgetMs: 20_000)
        XCTAssertEqual(again.errors, [])
        XCTAssertEqual(again.news?.notModified, true)
        XCTAssertEqual(again.guide?.notModified, true)
        XCTAssertTrue(again.notifications.isEmpty)
    }

    func testBackgroundSyncNeverThrowsOfflineItSaysWhy() async throws {
        server.stopKeepingData()
        let c = try client()
        let events = EventRecorder(c)
        defer { events.cancel() }
        let summary = await c.backgroundSync(budget: 5)
        XCTAssertFalse(summary.errors.isEmpty, "\(summary)")
        XCTAssertTrue(summary.errors.first?.contains("offline") == true, "\(summary.errors)")
        XCTAssertNil(summary.news)
        XCTAssertNil(summary.guide)
        let finished = try await events.next()
        XCTAssertEqual(finished, .syncFinished(summary: summary))
        // A zero budget is out of time at once, still without throwing.
        let none = await c.backgroundSync(budgetMs: 0)
        XCTAssertTrue(none.outOfTime)
    }

    @MainActor
    func testNewsModelFollowsArrivalsAndReadMarks() async throws {
        let c = try client()
        let model = NewsModel(client: c)
        model.start()
        defer { model.stop() }
        try await waitUntil("first load") { model.errorText == nil && model.items.isEmpty && model.unreadCount == 0 }

        // News brought by a background sync elsewhere: the model hears of it through the events.
        let summary = await c.backgroundSync(budget: 20)
        XCTAssertEqual(summary.errors, [])
        try await waitUntil("news arrived") { model.items.count == 30 && model.unreadCount == 30 }

        // (A load the sync's events started may still land after an action returns: wait for the
        // state rather than assert it at once.)
        let top = model.items[0].item.id
        await model.markRead(id: top)
        try await waitUntil("one read") { model.unreadCount == 29 && model.items.first?.read == true }

        model.unreadOnly = true
        try await waitUntil("unread only") { model.items.count == 29 }
        XCTAssertFalse(model.items.contains { $0.item.id == top })

        // Opened from a notification while the list shows unread only: found all the same (read
        // now); a withdrawn id is nil.
        let other = model.items[0].item.id
        let opened = await model.open(id: top)
        XCTAssertEqual(opened?.item.id, top)
        let openedUnread = await model.open(id: other)
        XCTAssertEqual(openedUnread?.read, false, "as it was when opened")
        try await waitUntil("opened is read") { model.unreadCount == 28 && !model.items.contains { $0.item.id == other } }
        let gone = await model.open(id: "no-such-item")
        XCTAssertNil(gone)

        await model.markAllRead()
        try await waitUntil("all read") { model.unreadCount == 0 && model.items.isEmpty }
        XCTAssertNil(model.errorText)

        // Pull to refresh: a 304, nothing changes; then the server gone is said and the list stays.
        model.unreadOnly = false
        await model.refresh()
        XCTAssertNil(model.errorText)
        try await waitUntil("all shown") { model.items.count == 30 }
        XCTAssertFalse(model.isRefreshing)
        server.stopKeepingData()
        await model.refresh()
        XCTAssertEqual(model.errorText, Lang.ar.text("error.offline"))
        XCTAssertEqual(model.items.count, 30)
        XCTAssertEqual(model.unreadCount, 0)
    }

    @MainActor
    private func waitUntil(_ what: String, timeout: TimeInterval = 10, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else { return XCTFail("timed out waiting for: \(what)") }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }
}
