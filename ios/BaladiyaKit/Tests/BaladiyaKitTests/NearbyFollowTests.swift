import XCTest
@testable import BaladiyaKit
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// "This is my problem too" (issue 15.3) through the facade and the screens' models, against the
/// real reference server: a second citizen about to report a leak is offered the one reported 20 m
/// away, follows it instead, is counted by the municipality, hears its status change, and sees it
/// marked as followed; the step is skipped without a location, offline and for the citizen's own
/// complaint, and the complaint is then filed at once.
final class NearbyFollowTests: ServerTestCase {
    static let leakPoint = GeoPoint(lat: 31.52, long: 34.45)
    /// 20 m north of the leak (0.00018° of latitude).
    static let neighbour = GeoPoint(lat: 31.52018, long: 34.45)
    static let asciiDigits = CharacterSet(charactersIn: "0123456789")

    /// A citizen's app of its own: another data directory on the same server.
    func citizen(_ name: String, language: Lang = .ar) throws -> BaladiyaClient {
        let c = try BaladiyaClient(
            dataDir: appDir.appendingPathComponent(name).path, serverUrl: server.url, apiKey: ComplaintTests.demoAppKey)
        c.language = language
        return c
    }

    /// A water-leak form filled in (anonymous), at `point` or at an address.
    @MainActor
    func leakForm(_ c: BaladiyaClient, _ description: String, at point: GeoPoint?) async -> ComplaintFormModel {
        let form = ComplaintFormModel(client: c)
        await form.load()
        await form.choose("water-leak")
        form.answers["severity"] = ["steady"]
        form.details = description
        form.location = point
        if point == nil { form.address = "شارع عمر المختار" }
        form.anonymous = true
        return form
    }

    /// The public request's followers count, as anyone sees it (`GET open311/v2/requests/{id}.json`).
    func publicFollowers(_ serverId: String) async throws -> Int? {
        let (status, body) = try await server.get("open311/v2/requests/\(serverId).json")
        XCTAssertEqual(status, 200, body)
        let list = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]]
        return list?.first?["followers"] as? Int
    }

    func assertArabicDigitsOnly(_ texts: [String], file: StaticString = #filePath, line: UInt = #line) {
        for t in texts {
            XCTAssertFalse(t.unicodeScalars.contains { Self.asciiDigits.contains($0) }, "ASCII digits in Arabic: \(t)", file: file, line: line)
        }
    }

    @MainActor
    func testASecondCitizenFollowsTheLeakReportedNearbyInsteadOfFilingAndHearsItsChange() async throws {
        // Citizen A reports the leak through the form: nothing nearby, filed at once, then sent.
        let a = try citizen("a")
        let formA = await leakForm(a, "تسرب مياه أمام المدرسة", at: Self.leakPoint)
        let ownIdResult = await formA.submit()
        let ownId = try XCTUnwrap(ownIdResult, "filed at once: \(String(describing: formA.bannerText))")
        XCTAssertTrue(ownId.hasPrefix("BL-"), ownId)
        XCTAssertEqual(formA.nearby.count, 0)
        XCTAssertNil(formA.nearbySkipped, "the step ran and found nothing")
        let flushed = try await a.flushComplaints()
        let serverId = try XCTUnwrap(flushed.sent.first { $0.localId == ownId }?.serverId)
        let (verified, verifiedBody) = try await server.staffAction(serverId: serverId, ["action": "verify"])
        XCTAssertEqual(verified, 200, verifiedBody)

        // Citizen B, 20 m away, about to report the same: offered A's leak, nothing filed yet.
        let b = try citizen("b")
        let events = EventRecorder(b)
        defer { events.cancel() }
        let formB = await leakForm(b, "ماء يجري في الشارع", at: Self.neighbour)
        let notFiled = await formB.submit()
        XCTAssertNil(notFiled)
        XCTAssertNil(formB.filed)
        XCTAssertFalse(formB.submitting)
        XCTAssertFalse(formB.checkingNearby)
        XCTAssertNil(formB.bannerText)
        let noneYet = try await b.complaints()
        XCTAssertEqual(noneYet.count, 0, "nothing filed before the citizen chooses")
        XCTAssertEqual(formB.nearby.count, 1)
        let offer = try XCTUnwrap(formB.nearby.first)
        XCTAssertEqual(offer.id, serverId)
        XCTAssertEqual(offer.request.distanceM, 20)
        XCTAssertFalse(offer.request.onThisPhone)
        let number = Display(.ar).requestNumber(serverId)
        XCTAssertTrue(number.hasPrefix("\u{2066}") && number.hasSuffix("\u{2069}"), "isolated: \(number)")
        XCTAssertEqual(offer.number, "الطلب \(number)")
        XCTAssertEqual(offer.category, "تسرب مياه")
        XCTAssertEqual(offer.description, "تسرب مياه أمام المدرسة")
        XCTAssertEqual(offer.distance, "على بُعد ٢٠ مترًا")
        XCTAssertEqual(offer.status, "تم التحقق")
        XCTAssertEqual(offer.followers, "لا يتابعها أحد بعد")
        XCTAssertEqual(offer.followLabel, "هذه مشكلتي أيضًا — تابِع الطلب \(number)، على بُعد ٢٠ مترًا")
        XCTAssertTrue(try XCTUnwrap(offer.reported).hasPrefix("أُبلغ عنها "))
        XCTAssertTrue(offer.accessibilityLabel.hasPrefix("الطلب \(number)، تسرب مياه، على بُعد ٢٠ مترًا، تم التحقق"), offer.accessibilityLabel)
        assertArabicDigitsOnly([offer.number, offer.distance, offer.followLabel, try XCTUnwrap(offer.reported), offer.accessibilityLabel])

        // "This is my problem too": followed, not filed; the app goes back to the list.
        let followedResult = await formB.follow(offer)
        let followed = try XCTUnwrap(followedResult, String(describing: formB.bannerText))
        XCTAssertEqual(formB.following, followed)
        XCTAssertNil(formB.filed)
        XCTAssertEqual(formB.nearby.count, 0)
        XCTAssertEqual(formB.followingText, "لم تُقدَّم شكوى جديدة. الطلب \(number) في قائمة شكاواك، وسيصلك كل تحديث عليه، وتعرف البلدية أنك تتابعه.")
        formB.acknowledgeFollowing()
        XCTAssertNil(formB.following)

        let list = ComplaintListModel(client: b)
        list.start()
        defer { list.stop() }
        try await waitUntil("the list loaded") { !list.complaints.isEmpty }
        XCTAssertEqual(list.complaints.map(\.localId), [followed], "one row, the followed request")
        let row = try XCTUnwrap(list.complaints.first)
        XCTAssertTrue(row.followed)
        XCTAssertEqual(row.serverId, serverId)
        XCTAssertNil(row.token)
        XCTAssertFalse(row.canGiveFeedback || row.canReopen)
        XCTAssertEqual(list.followingLabel(row), "متابَع")
        XCTAssertEqual(list.followersText(row), "يتابعها مواطن واحد", "at least the citizen, before the municipality counts")
        XCTAssertEqual(list.number(row), number, "the municipality's number, not the phone's")
        XCTAssertEqual(list.categoryName(row), "تسرب مياه")

        // B's refresh tells the municipality: the public request counts one follower.
        let before = try await publicFollowers(serverId)
        XCTAssertEqual(before, 0)
        await list.sendAndRefresh()
        XCTAssertNil(list.errorText)
        // Its history before the following (received, verified) is no news.
        while let event = try? await events.next(timeout: 1) {
            if case .complaintUpdated = event { XCTFail("history before following announced: \(event)") }
        }
        let counted = try await publicFollowers(serverId)
        XCTAssertEqual(counted, 1, "counted by the municipality")
        XCTAssertEqual(list.complaints.first?.followers, 1)
        XCTAssertEqual(list.followersText(try XCTUnwrap(list.complaints.first)), "يتابعها مواطن واحد")
        await list.sendAndRefresh()
        let again = try await publicFollowers(serverId)
        XCTAssertEqual(again, 1, "counted once")

        // Staff act on it; B's refresh brings the change as an event for the followed row.
        for action in [["action": "route", "department_id": "water"],
                       ["action": "status", "detailed_status": "in_progress", "note": "الفريق في الطريق"]] {
            let (status, body) = try await server.staffAction(serverId: serverId, action)
            XCTAssertEqual(status, 200, body)
        }
        await list.sendAndRefresh()
        var heard: [String] = []
        while !heard.contains("الفريق في الطريق") {
            let event = try await events.next()
            if case let .complaintUpdated(localId, eventServerId, update) = event {
                XCTAssertEqual(localId, followed)
                XCTAssertEqual(eventServerId, serverId)
                heard.append(update.description)
            }
        }
        try await waitUntil("in progress") { list.complaints.first?.detailedStatus == "in_progress" }
        let changed = try XCTUnwrap(list.complaints.first)
        XCTAssertEqual(list.followingLabel(changed), "متابَع", "still marked as followed")
        XCTAssertEqual(Display(.ar).badge(changed), "قيد المعالجة")
        XCTAssertTrue(list.accessibilityLabel(changed).hasPrefix("\(number)، تسرب مياه، قيد المعالجة، متابَع، يتابعها مواطن واحد"),
                      list.accessibilityLabel(changed))

        // Closed: A, who reported it, may rate and reopen; B, who follows it, may not.
        let (fixed, fixedBody) = try await server.staffAction(
            serverId: serverId, ["action": "status", "detailed_status": "fixed", "note": "تم الإصلاح"])
        XCTAssertEqual(fixed, 200, fixedBody)
        await list.sendAndRefresh()
        let detail = ComplaintDetailModel(client: b, localId: followed)
        await detail.reload()
        XCTAssertEqual(detail.complaint?.status, "closed")
        XCTAssertTrue(detail.isFollowed)
        XCTAssertFalse(detail.showsFeedbackCard)
        XCTAssertFalse(detail.showsReopen)
        XCTAssertEqual(detail.numberTitle, "رقم الطلب لدى البلدية")
        XCTAssertEqual(detail.number, number)
        XCTAssertEqual(detail.numberToCopy, serverId)
        XCTAssertEqual(detail.followingLabel, "متابَع")
        XCTAssertEqual(detail.followersText, "يتابعها مواطن واحد")
        XCTAssertEqual(detail.followedNote, Lang.ar.text("complaint.followedNote"))
        XCTAssertTrue(try XCTUnwrap(detail.followedSinceText).hasPrefix("تتابعه منذ "))
        XCTAssertTrue(detail.history.contains { String($0.note.characters) == "تم الإصلاح" })
        assertArabicDigitsOnly([detail.number, try XCTUnwrap(detail.followedSinceText)])

        _ = try await a.refreshComplaints()
        let own = ComplaintDetailModel(client: a, localId: ownId)
        await own.reload()
        XCTAssertFalse(own.isFollowed)
        XCTAssertTrue(own.showsFeedbackCard, "the reporter's own is theirs to rate")
        XCTAssertTrue(own.showsReopen)
        XCTAssertEqual(own.numberTitle, Lang.ar.text("complaint.trackingNumber"))
        XCTAssertEqual(own.number, Display(.ar).tracking(ownId))
        XCTAssertNil(own.followingLabel)
        XCTAssertNil(own.followedNote)
        XCTAssertEqual(own.followersText, "يتابعها مواطن واحد", "the reporter sees that another citizen follows it")

        // In English: the list's marks, and a third citizen's offer (A's leak, now with B following).
        b.language = .en
        XCTAssertEqual(list.followingLabel(changed), "Following")
        XCTAssertEqual(list.followersText(changed), "1 citizen follows this")
        XCTAssertEqual(detail.numberTitle, "The municipality's request number")
        XCTAssertEqual(detail.number, Display(.en).requestNumber(serverId))
    }

    /// The offer in English, and "No, send mine": the citizen's own complaint is filed as usual and
    /// the same requests are not offered again for that point.
    @MainActor
    func testTheOfferInEnglishAndSendingMineInstead() async throws {
        let a = try citizen("a")
        _ = try await a.refreshComplaintCategories()
        let ownId = try await a.submitComplaint(ComplaintDraft(
            serviceCode: "water-leak", description: "Water running in the street",
            attributes: [AttributeAnswer(code: "severity", values: ["steady"])],
            location: Self.leakPoint, address: nil, contact: nil))
        let report = try await a.flushComplaints()
        let serverId = try XCTUnwrap(report.sent.first { $0.localId == ownId }?.serverId)

        let c = try citizen("c", language: .en)
        let form = await leakForm(c, "A leak by the school", at: Self.neighbour)
        let notFiled = await form.submit()
        XCTAssertNil(notFiled)
        let offer = try XCTUnwrap(form.nearby.first)
        let number = Display(.en).requestNumber(serverId)
        XCTAssertEqual(number, "\u{2066}\(serverId)\u{2069}")
        XCTAssertEqual(offer.number, "Request \(number)")
        XCTAssertEqual(offer.category, "Water leak")
        XCTAssertEqual(offer.distance, "20 metres away")
        XCTAssertEqual(offer.status, "Received")
        XCTAssertEqual(offer.followers, "No one follows it yet")
        XCTAssertEqual(offer.followLabel, "This is my problem too — follow request \(number), 20 metres away")
        XCTAssertTrue(try XCTUnwrap(offer.reported).hasPrefix("Reported "))

        // "No, send mine": filed as usual, and not offered the same again.
        let filedResult = await form.sendMine()
        let filed = try XCTUnwrap(filedResult, String(describing: form.bannerText))
        XCTAssertTrue(filed.hasPrefix("BL-"), filed)
        XCTAssertEqual(form.filed, filed)
        XCTAssertEqual(form.nearby.count, 0)
        XCTAssertNil(form.following)
        let mine = try await c.complaint(localId: filed)
        XCTAssertFalse(mine.followed)
        XCTAssertEqual(mine.draft.description, "A leak by the school")
        let sent = try await c.flushComplaints()
        XCTAssertEqual(sent.sent.map(\.localId), [filed])
        // The municipality now has two reports; the first is not followed.
        let followers = try await publicFollowers(serverId)
        XCTAssertEqual(followers, 0)
    }

    /// Skipped or nothing new: the complaint is filed at once, as before the feature.
    @MainActor
    func testWithoutALocationOfflineOrWithOnlyItsOwnNearbyTheComplaintIsFiledAtOnce() async throws {
        let a = try citizen("a")
        // An address only: no step at all.
        let byAddress = await leakForm(a, "تسرب في الشارع", at: nil)
        let firstResult = await byAddress.submit()
        let first = try XCTUnwrap(firstResult, String(describing: byAddress.bannerText))
        XCTAssertEqual(byAddress.filed, first)
        XCTAssertEqual(byAddress.nearbySkipped, .noLocation)
        XCTAssertEqual(byAddress.nearby.count, 0)

        // At a point: the first report there finds nothing and is filed; sent.
        let atPoint = await leakForm(a, "تسرب أمام المدرسة", at: Self.leakPoint)
        let secondResult = await atPoint.submit()
        let second = try XCTUnwrap(secondResult, String(describing: atPoint.bannerText))
        XCTAssertNil(atPoint.nearbySkipped)
        let sent = try await a.flushComplaints()
        XCTAssertEqual(Set(sent.sent.map(\.localId)), [first, second])

        // The same citizen again 20 m away: only their own is there, so nothing is offered.
        let near = await a.nearbyRequests(serviceCode: "water-leak", location: Self.neighbour)
        guard case let .found(requests) = near else { return XCTFail("skipped: \(near)") }
        XCTAssertEqual(requests.map(\.onThisPhone), [true], "their own, marked")
        let ownAgain = await leakForm(a, "ما زال يتسرب", at: Self.neighbour)
        let thirdResult = await ownAgain.submit()
        let third = try XCTUnwrap(thirdResult)
        XCTAssertNil(ownAgain.nearbySkipped)
        XCTAssertEqual(ownAgain.nearby.count, 0)
        XCTAssertEqual(ownAgain.filed, third)

        // Offline: skipped, not an error, and filed at once into the outbox (the categories were
        // fetched while online, as the app does once).
        let b = try citizen("b")
        _ = try await b.refreshComplaintCategories()
        server.stopKeepingData()
        let offline = ComplaintFormModel(client: b)
        await offline.load()
        await offline.choose("water-leak")
        offline.answers["severity"] = ["burst"]
        offline.details = "انفجار ماسورة"
        offline.location = Self.neighbour
        offline.anonymous = true
        let queuedResult = await offline.submit()
        let queued = try XCTUnwrap(queuedResult, String(describing: offline.bannerText))
        XCTAssertEqual(offline.nearbySkipped, .offline)
        XCTAssertEqual(offline.nearby.count, 0)
        XCTAssertNil(offline.bannerText)
        let stored = try await b.complaint(localId: queued)
        XCTAssertEqual(stored.state, .queued)
        XCTAssertFalse(stored.followed)
    }

    /// A background sync's notice of a followed request's change names it by the municipality's
    /// number and says it is followed; the citizen's own keep their tracking number.
    @MainActor
    func testTheNoticeOfAFollowedRequestsChangeNamesItsRequestNumber() async throws {
        let a = try citizen("a")
        _ = try await a.refreshComplaintCategories()
        let ownId = try await a.submitComplaint(ComplaintDraft(
            serviceCode: "water-leak", description: "تسرب أمام المدرسة",
            attributes: [AttributeAnswer(code: "severity", values: ["steady"])],
            location: Self.leakPoint, address: nil, contact: nil))
        let report = try await a.flushComplaints()
        let serverId = try XCTUnwrap(report.sent.first { $0.localId == ownId }?.serverId)

        let b = try citizen("b")
        let check = await b.nearbyRequests(serviceCode: "water-leak", location: Self.neighbour)
        guard case let .found(requests) = check, let request = requests.first else { return XCTFail("nothing found: \(check)") }
        let followed = try await b.followRequest(request)
        let counted = await b.backgroundSync(budget: 20)
        XCTAssertEqual(counted.errors, [])
        XCTAssertTrue(counted.notifications.isEmpty, "its history before following is no news: \(counted.notifications)")
        let (status, body) = try await server.staffAction(
            serverId: serverId, ["action": "status", "detailed_status": "in_progress", "note": "الفريق في الطريق"])
        XCTAssertEqual(status, 200, body)
        let changed = await b.backgroundSync(budget: 20)
        XCTAssertEqual(changed.errors, [])

        let prefs = MemoryPreferences()
        let arabic = await b.notices(for: changed, store: prefs)
        let notice = try XCTUnwrap(arabic.first { $0.complaintId == followed }, "\(changed.notifications)")
        XCTAssertEqual(notice.title, "الطلب \(Display(.ar).requestNumber(serverId)) الذي تتابعه: قيد المعالجة")
        XCTAssertEqual(notice.body, "الفريق في الطريق")
        assertArabicDigitsOnly([notice.title])
        b.language = .en
        let english = await b.notices(for: changed, store: prefs)
        XCTAssertEqual(english.first { $0.complaintId == followed }?.title, "Request \u{2066}\(serverId)\u{2069}, which you follow: In progress")
    }

    /// The words on their own: distances and followers with Arabic's counted forms and the
    /// language's digits, request numbers isolated.
    func testDistancesFollowersAndRequestNumbersInBothLanguages() {
        let ar = Display(.ar), en = Display(.en)
        XCTAssertEqual(ar.distance(metres: 0), "في المكان نفسه")
        XCTAssertEqual(ar.distance(metres: 1), "على بُعد متر واحد")
        XCTAssertEqual(ar.distance(metres: 2), "على بُعد مترين")
        XCTAssertEqual(ar.distance(metres: 7), "على بُعد ٧ أمتار")
        XCTAssertEqual(ar.distance(metres: 35), "على بُعد ٣٥ مترًا")
        XCTAssertEqual(ar.distance(metres: 100), "على بُعد ١٠٠ متر")
        XCTAssertEqual(en.distance(metres: 0), "At the same spot")
        XCTAssertEqual(en.distance(metres: 1), "1 metre away")
        XCTAssertEqual(en.distance(metres: 48), "48 metres away")

        XCTAssertEqual(ar.followers(0), "لا يتابعها أحد بعد")
        XCTAssertEqual(ar.followers(1), "يتابعها مواطن واحد")
        XCTAssertEqual(ar.followers(2), "يتابعها مواطنان")
        XCTAssertEqual(ar.followers(3), "يتابعها ٣ مواطنين")
        XCTAssertEqual(ar.followers(11), "يتابعها ١١ مواطنًا")
        XCTAssertEqual(ar.followers(1200), "يتابعها ١٬٢٠٠ مواطن")
        XCTAssertEqual(en.followers(0), "No one follows it yet")
        XCTAssertEqual(en.followers(1), "1 citizen follows this")
        XCTAssertEqual(en.followers(1200), "1,200 citizens follow this")

        XCTAssertEqual(ar.requestNumber("1042"), "\u{2066}١٠٤٢\u{2069}")
        XCTAssertEqual(en.requestNumber("١٠٤٢"), "\u{2066}1042\u{2069}")
        XCTAssertEqual(ar.requestNumber("SF-311-88"), "\u{2066}SF-311-88\u{2069}", "another city's code kept as it is")
        XCTAssertEqual(ar.text("nearby.request", ar.requestNumber("7")), "الطلب \u{2066}٧\u{2069}")
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
