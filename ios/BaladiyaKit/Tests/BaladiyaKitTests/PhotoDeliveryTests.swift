import XCTest
@testable import BaladiyaKit

/// Issue 17 in the app's models, against the real reference server (which takes a complaint's
/// text first and its photos after, as resumable uploads): the citizen's photo choices, photos
/// kept for Wi-Fi waiting on mobile data and going on Wi-Fi, and an upload's progress worded.
final class PhotoDeliveryTests: ServerTestCase {
    override func client() throws -> BaladiyaClient {
        try BaladiyaClient(dataDir: appDir.path, serverUrl: server.url, apiKey: ComplaintTests.demoAppKey)
    }

    @MainActor
    func testPhotosKeptForWifiWaitOnMobileDataAndGoOnWifi() async throws {
        let c = try client()
        c.setMetered(true)
        let form = ComplaintFormModel(client: c)
        await form.load()
        await form.choose("water-leak")
        form.answers["severity"] = ["burst"]
        form.details = "تسرب من العداد أمام البيت منذ الصباح"
        form.location = GeoPoint(lat: 31.5017, long: 34.4668)
        form.anonymous = true
        XCTAssertFalse(form.offersPhotoChoices, "no photo, no photo choices")
        form.photos = [ComplaintTests.photo]
        XCTAssertTrue(form.offersPhotoChoices)
        form.photosOnWifi = true
        let filed = await form.submit()
        let id = try XCTUnwrap(filed)

        // On mobile data the complaint goes, its photo stays.
        let first = try await c.flushComplaints()
        XCTAssertEqual(first.sent.count, 1)
        XCTAssertEqual(first.photosUploaded, 0)
        let detail = ComplaintDetailModel(client: c, localId: id)
        detail.start()
        defer { detail.stop() }
        await detail.reload()
        let waiting = try XCTUnwrap(detail.photoDelivery)
        XCTAssertEqual(waiting.waiting, "صورة واحدة بانتظار شبكة واي فاي")
        XCTAssertEqual(waiting.received, "الصور التي وصلت إلى البلدية: ٠ من ١")
        XCTAssertNil(waiting.sending)
        let serverId = try XCTUnwrap(detail.complaint?.serverId)
        let before = try await server.get("open311/v2/requests/\(serverId).json")
        XCTAssertEqual(before.0, 200)
        XCTAssertFalse(before.1.contains("media_url"))

        // A progress report for this complaint, worded, with the whole upload's fraction.
        detail.show(UploadProgress(localId: id, photoIndex: 2, photoCount: 3, photoBytesSent: 40_000,
                                   photoBytesTotal: 100_000, bytesSent: 140_000, bytesTotal: 300_000))
        XCTAssertEqual(detail.photoDelivery?.sending, "جارٍ إرسال الصورة ٢ من ٣ — ٤٠٪")
        XCTAssertEqual(try XCTUnwrap(detail.photoDelivery?.fraction), 140.0 / 300.0, accuracy: 0.001)
        XCTAssertNil(detail.photoDelivery?.waiting, "while bytes move, not also 'waiting'")
        detail.show(UploadProgress(localId: id, photoIndex: 3, photoCount: 3, photoBytesSent: 100_000,
                                   photoBytesTotal: 100_000, bytesSent: 300_000, bytesTotal: 300_000))
        XCTAssertNil(detail.progress, "a finished upload does not read 100%")

        // On Wi-Fi the app says so; the next flush sends the photo and the detail follows the event.
        c.setMetered(false)
        let second = try await c.flushComplaints()
        XCTAssertEqual(second.photosUploaded, 1)
        for _ in 0..<200 where detail.complaint?.photosUploaded != 1 {
            try await Task.sleep(nanoseconds: 25_000_000)
        }
        XCTAssertEqual(detail.photoDelivery?.received, "الصور التي وصلت إلى البلدية: ١ من ١")
        XCTAssertNil(detail.photoDelivery?.waiting)
        let after = try await server.get("open311/v2/requests/\(serverId).json")
        XCTAssertTrue(after.1.contains("media_url"))
    }

    @MainActor
    func testProgressInEnglishAndTheOnePostOfAPlainServer() async throws {
        let c = try client()
        c.language = .en
        let id = try await c.submitComplaint(ComplaintDraft(
            serviceCode: "water-leak", description: "A leak by the school",
            attributes: [AttributeAnswer(code: "severity", values: ["burst"])],
            location: GeoPoint(lat: 31.52, long: 34.45), address: nil, contact: nil),
            photos: [ComplaintTests.photo], fullQuality: true, onWifiOnly: false)
        let detail = ComplaintDetailModel(client: c, localId: id)
        await detail.reload()
        XCTAssertNil(detail.photoDelivery, "not on the server yet and nothing moving: the state says enough")
        detail.show(UploadProgress(localId: id, photoIndex: 0, photoCount: 1, photoBytesSent: 0,
                                   photoBytesTotal: 0, bytesSent: 25_000, bytesTotal: 100_000))
        XCTAssertEqual(detail.photoDelivery?.sending, "Sending the complaint with its photos — 25%")
        XCTAssertEqual(Display(.en).percent(7), "7%")
        XCTAssertEqual(Display(.ar).percent(100), "١٠٠٪")
    }
}
