import XCTest
@testable import BaladiyaKit

/// Complaints through the Swift facade, against the real reference server on loopback.
final class ComplaintTests: ServerTestCase {
    static let demoAppKey = "demo-app-key"
    /// A 32×24 JPEG (a gradient): there is no image encoder on Linux to make one in the test.
    static let photo = Data(base64Encoded: """
        /9j/4AAQSkZJRgABAgAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0\
        Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIy\
        MjL/wAARCAAYACADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQID\
        AAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlq\
        c3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3\
        +Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEI\
        FEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImK\
        kpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDx\
        +20zp8ta9tpnT5a3LbTOny1rW2mdPlrOFUxwGZbamJbaZ0+Wta20zp8tbltpnT5a17bTOny10wqn2uAzLbUzbbTOny1r22mdPloorxoS\
        Z+KYCvPTU17bTOny1r22mdPloorphJn2uArz01P/2Q==
        """, options: .ignoreUnknownCharacters)!

    override func client() throws -> BaladiyaClient {
        try client(apiKey: ComplaintTests.demoAppKey)
    }

    func client(apiKey: String?) throws -> BaladiyaClient {
        try BaladiyaClient(dataDir: appDir.path, serverUrl: server.url, apiKey: apiKey)
    }

    func leak(_ description: String, severity: String? = "steady") -> ComplaintDraft {
        ComplaintDraft(
            serviceCode: "water-leak",
            description: description,
            attributes: severity.map { [AttributeAnswer(code: "severity", values: [$0])] } ?? [],
            location: GeoPoint(lat: 31.52, long: 34.45), // Gaza City
            address: nil,
            contact: Contact(firstName: "سامي", lastName: nil, phone: "٠٥٩٩١٢٣٤٥٦", email: nil))
    }

    func testFiledOfflineWithAPhotoSentWhenTheServerIsBackAndAnsweredOnTheStream() async throws {
        do {
            let c = try client()
            let count = try await c.refreshComplaintCategories()
            XCTAssertGreaterThanOrEqual(count, 15)
            let categories = try await c.complaintCategories()
            XCTAssertEqual(categories.first { $0.code == "water-leak" }?.hasAttributes, true)
            let form = try await c.complaintDefinition(code: "water-leak")
            let severity = try XCTUnwrap(form.first { $0.code == "severity" })
            XCTAssertTrue(severity.required)
            XCTAssertEqual(severity.datatype, .singleValueList)
            XCTAssertEqual(severity.values.map(\.key), ["drip", "steady", "burst"])
        }

        // The server goes away; the citizen files the complaint all the same.
        server.stopKeepingData()
        let localId: String
        do {
            let c = try client()
            localId = try await c.submitComplaint(leak("تسرب كبير أمام المدرسة"), photos: [ComplaintTests.photo])
            XCTAssertTrue(localId.hasPrefix("BL-"), localId)
            let queued = try await c.complaint(localId: localId)
            XCTAssertEqual(queued.state, .queued)
            XCTAssertEqual(queued.photoCount, 1)
            XCTAssertNil(queued.serverId)

            let offline = try await c.flushComplaints()
            XCTAssertTrue(offline.sent.isEmpty)
            XCTAssertEqual(offline.retryLater?.localId, localId)
            XCTAssertEqual(offline.retryLater?.error.hasPrefix("offline"), true, "\(String(describing: offline.retryLater))")
            XCTAssertEqual(offline.remaining, 1)
            let waiting = try await c.complaint(localId: localId)
            XCTAssertEqual(waiting.state, .queued)
            XCTAssertEqual(waiting.attempts, 1)
            XCTAssertNotNil(waiting.nextAttemptAt)
        } // The app is closed with the complaint in its outbox (SQLite).

        // The server comes back (same address, same data); the app starts again.
        try server.restart()
        let c = try client()
        let events = EventRecorder(c)
        defer { events.cancel() }

        let flushed = try await c.flushComplaints()
        XCTAssertEqual(flushed.sent.map(\.localId), [localId])
        XCTAssertEqual(flushed.remaining, 0)
        let serverId = try XCTUnwrap(flushed.sent.first?.serverId)
        let sentEvent = try await events.next()
        XCTAssertEqual(sentEvent, .complaintSent(localId: localId, serverId: serverId))
        let sent = try await c.complaint(localId: localId)
        XCTAssertEqual(sent.state, .sent)
        XCTAssertEqual(sent.serverId, serverId)
        // Sent once: another flush has nothing to send.
        let again = try await c.flushComplaints()
        XCTAssertTrue(again.sent.isEmpty)
        // The photo reached the server (prepared as a JPEG).
        let (_, published) = try await server.get("open311/v2/requests/\(serverId).json")
        XCTAssertTrue(published.contains("\"media_url\":\"http"), published)

        let note = "الطاقم في الموقع"
        let (status, body) = try await server.staffAction(
            serverId: serverId, ["action": "status", "detailed_status": "in_progress", "note": note])
        XCTAssertEqual(status, 200, body)
        let report = try await c.refreshComplaints()
        XCTAssertEqual(report.checked, 1)
        XCTAssertEqual(report.changed, 1)

        let updated = try await events.next()
        guard case let .complaintUpdated(eventLocalId, eventServerId, update) = updated else {
            return XCTFail("expected a complaint update, got \(updated)")
        }
        XCTAssertEqual(eventLocalId, localId)
        XCTAssertEqual(eventServerId, serverId)
        XCTAssertEqual(update.description, note)
        XCTAssertEqual(update.detailedStatus, "in_progress")

        let answered = try await c.complaint(localId: localId)
        XCTAssertEqual(answered.detailedStatus, "in_progress")
        XCTAssertEqual(answered.status, "open")
        XCTAssertEqual(answered.updates.last?.description, note)
    }

    func testAMissingRequiredAttributeIsAValidationErrorNamingTheField() async throws {
        let c = try client()
        _ = try await c.refreshComplaintCategories()
        do {
            _ = try await c.submitComplaint(leak("تسرب", severity: nil))
            XCTFail("expected a validation error")
        } catch let error as ApiError {
            guard case let .Validation(field, reason, _, _) = error else {
                return XCTFail("expected a validation error, got \(error)")
            }
            XCTAssertEqual(field, "attribute[severity]")
            XCTAssertEqual(reason, "required")
            XCTAssertTrue(error.localizedDescription.contains("attribute[severity]"), error.localizedDescription)
        }
        do {
            _ = try await c.submitComplaint(leak("تسرب", severity: "tsunami"))
            XCTFail("expected a validation error")
        } catch ApiError.Validation(let field, _, _, _) {
            XCTAssertEqual(field, "attribute[severity]")
        }
        var outside = leak("تسرب")
        outside.location = GeoPoint(lat: 31.70, long: 34.45)
        do {
            _ = try await c.submitComplaint(outside)
            XCTFail("expected a validation error")
        } catch ApiError.Validation(let field, _, let detail, _) {
            XCTAssertEqual(field, "location")
            XCTAssertTrue(detail.contains("outside"), detail)
        }
        do {
            _ = try await c.submitComplaint(leak("تسرب"), photos: [Data("not a picture".utf8)])
            XCTFail("expected a validation error")
        } catch ApiError.Validation(let field, _, _, _) {
            XCTAssertEqual(field, "photo")
        }
        // Nothing was filed.
        let all = try await c.complaints()
        XCTAssertTrue(all.isEmpty)
    }

    func testCancelWorksWhileOnThePhoneNotOnceSent() async throws {
        let c = try client()
        _ = try await c.refreshComplaintCategories()
        let withdrawn = try await c.submitComplaint(leak("تسرب صغير"))
        try await c.cancelComplaint(localId: withdrawn)
        let cancelled = try await c.complaint(localId: withdrawn)
        XCTAssertEqual(cancelled.state, .cancelled)

        let kept = try await c.submitComplaint(leak("تسرب في شارع الوحدة"))
        let report = try await c.flushComplaints()
        XCTAssertEqual(report.sent.map(\.localId), [kept], "the cancelled one is never sent")
        let all = try await c.complaints()
        XCTAssertEqual(all.map(\.localId), [kept, withdrawn], "newest first")

        do {
            try await c.cancelComplaint(localId: kept)
            XCTFail("a sent complaint cannot be cancelled")
        } catch let error as ApiError {
            guard case let .Validation(field, _, _, _) = error else { return XCTFail("got \(error)") }
            XCTAssertEqual(field, "local_id")
            XCTAssertTrue(error.localizedDescription.contains("can no longer be cancelled"), error.localizedDescription)
        }
        let stillSent = try await c.complaint(localId: kept)
        XCTAssertEqual(stillSent.state, .sent)
        do {
            try await c.cancelComplaint(localId: "BL-NOPE")
            XCTFail("expected not found")
        } catch ApiError.NotFound {
        }
    }

    func testARefusedComplaintNeedsAttentionUntilEditedOrResent() async throws {
        // No categories cached (never online) and a wrong api_key: the server refuses both.
        let first: String
        let second: String
        do {
            let c = try client(apiKey: "not-our-key")
            let events = EventRecorder(c)
            defer { events.cancel() }
            var unknown = leak("حفرة")
            unknown.serviceCode = "no-such-category"
            unknown.attributes = []
            first = try await c.submitComplaint(unknown)
            second = try await c.submitComplaint(leak("تسرب عند العداد"))
            let refused = try await c.flushComplaints()
            XCTAssertTrue(refused.sent.isEmpty)
            XCTAssertEqual(refused.needsAttention.map(\.localId), [first, second])
            let reason = refused.needsAttention[0].reason
            let event = try await events.next()
            XCTAssertEqual(event, .complaintNeedsAttention(localId: first, reason: reason))
            let waiting = try await c.complaint(localId: first)
            XCTAssertEqual(waiting.state, .needsAttention)
            XCTAssertEqual(waiting.lastError, reason)
        }
        // The app, updated with its proper key: the first is fixed by an edit, the second is resent
        // unchanged.
        let c = try client()
        try await c.editComplaint(localId: first, draft: leak("تسرب بجانب الحفرة"))
        try await c.resendComplaint(localId: second)
        let queued = try await c.complaint(localId: second)
        XCTAssertEqual(queued.state, .queued)
        XCTAssertEqual(queued.attempts, 0)
        let report = try await c.flushComplaints()
        XCTAssertEqual(report.sent.map(\.localId), [first, second])
        let edited = try await c.complaint(localId: first)
        XCTAssertEqual(edited.draft.serviceCode, "water-leak")
        XCTAssertEqual(edited.state, .sent)
        do {
            try await c.resendComplaint(localId: second)
            XCTFail("a sent complaint cannot be resent")
        } catch ApiError.Validation(let field, _, _, _) {
            XCTAssertEqual(field, "local_id")
        }
    }

    @MainActor
    func testComplaintListModelFollowsTheOutbox() async throws {
        let c = try client()
        _ = try await c.refreshComplaintCategories()
        let model = ComplaintListModel(client: c)
        model.start()
        defer { model.stop() }

        let localId = try await model.submit(leak("تسرب في شارع عمر المختار"), photos: [ComplaintTests.photo])
        XCTAssertEqual(model.complaints.map(\.localId), [localId])
        XCTAssertEqual(model.categoryName(try XCTUnwrap(model.complaints.first)), "تسرب مياه", "the row's category, by name")
        XCTAssertEqual(model.complaints.first?.state, .queued)

        // Sent elsewhere (a background flush): the model hears of it through the events.
        let report = try await c.flushComplaints()
        let serverId = try XCTUnwrap(report.sent.first?.serverId)
        try await waitUntil("sent") { model.complaints.first?.state == .sent }

        let (status, body) = try await server.staffAction(
            serverId: serverId, ["action": "status", "detailed_status": "in_progress", "note": "الطاقم في الموقع"])
        XCTAssertEqual(status, 200, body)
        await model.sendAndRefresh()
        try await waitUntil("in progress") { model.complaints.first?.detailedStatus == "in_progress" }
        XCTAssertNil(model.errorText)
        XCTAssertFalse(model.isSending)

        // A validation error is thrown for the form; the list is unchanged.
        do {
            _ = try await model.submit(leak("تسرب", severity: nil))
            XCTFail("expected a validation error")
        } catch ApiError.Validation(let field, _, _, _) {
            XCTAssertEqual(field, "attribute[severity]")
        }
        XCTAssertEqual(model.complaints.count, 1)

        // Cancelling a sent complaint is refused and said; one still on the phone is withdrawn.
        await model.cancel(localId: localId)
        // Said in the citizen's language (the client's, Arabic by default), not the library's text.
        XCTAssertEqual(model.errorText, Lang.ar.text("invalid.localId"))
        let withdrawn = try await model.submit(leak("تسرب ثان"))
        await model.cancel(localId: withdrawn)
        XCTAssertEqual(model.complaints.first?.state, .cancelled)
        XCTAssertNil(model.errorText)

        XCTAssertNil(model.retryAt)

        // The server gone is said too, with when the outbox tries again (a wake-up asked for
        // then, the same decision as the Android app's), and the list stays.
        var wakeUps: [Int64] = []
        model.scheduleRetry = { wakeUps.append($0) }
        server.stop()
        let offlineId = try await model.submit(leak("تسرب ثالث"))
        await model.sendAndRefresh()
        XCTAssertEqual(model.errorText, Lang.ar.text("error.offline"))
        let retryAt = try XCTUnwrap(model.retryAt)
        XCTAssertGreaterThan(retryAt, Int64(Date().timeIntervalSince1970 * 1000) - 1_000)
        XCTAssertEqual(wakeUps, [retryAt])
        XCTAssertEqual(model.retryText, Lang.ar.text("complaints.retryAt", Display(.ar).dateTime(ms: retryAt)))
        XCTAssertEqual(model.complaints.map(\.localId), [offlineId, withdrawn, localId])
        XCTAssertEqual(model.complaints.first?.state, .queued)
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

/// Records a client's events from the moment it is made, to be taken in order.
final class EventRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var received: [BaladiyaEvent] = []
    private var taken = 0
    private var task: Task<Void, Never>?

    init(_ client: BaladiyaClient) {
        let stream = client.events() // subscribed here
        task = Task { [weak self] in
            for await event in stream {
                guard let self else { return }
                // A complaint's life only: upload progress is the slow-link tests' subject.
                switch event {
                case .complaintProgress, .complaintPhotosSent: continue
                default: self.append(event)
                }
            }
        }
    }

    private func append(_ event: BaladiyaEvent) {
        lock.lock()
        defer { lock.unlock() }
        received.append(event)
    }

    private func take() -> BaladiyaEvent? {
        lock.lock()
        defer { lock.unlock() }
        guard taken < received.count else { return nil }
        taken += 1
        return received[taken - 1]
    }

    /// The next event not yet taken, waiting up to `timeout` seconds for it.
    func next(timeout: TimeInterval = 10) async throws -> BaladiyaEvent {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let event = take() { return event }
            guard Date() < deadline else {
                throw NSError(domain: "test", code: 4, userInfo: [NSLocalizedDescriptionKey: "no event in \(timeout) s"])
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    func cancel() {
        task?.cancel()
    }

    deinit { task?.cancel() }
}
