import XCTest
@testable import BaladiyaKit

/// The guide through the Swift facade, against the real reference server on loopback.
final class GuideTests: ServerTestCase {

    func testTheCompactPageTheFacadeDecodesHoldsTheSameHitsAsOneRecordPerHit() async throws {
        let c = try client()
        _ = try await c.syncGuide()
        let direct = try Baladiya.open(config: BaladiyaConfig(dataDir: appDir.path, serverUrl: server.url))
        for lang in [Lang.ar, .en] {
            c.language = lang
            direct.setLanguage(lang: lang)
            for q in ["رخصة", "مياه", "permit", "رخصه بناء", "clearence", "مخالفة", "بناء permit", "", "zzzz"] {
                for limit: UInt32 in [0, 1, 20, 100] {
                    let records = try direct.searchGuide(query: q, limit: limit)
                    let viaFacade = try await c.searchGuide(q, limit: limit)
                    XCTAssertEqual(records, viaFacade, "\(lang) \"\(q)\" \(limit)")
                    XCTAssertEqual(records, try direct.searchGuidePage(query: q, limit: limit).hits())
                }
            }
        }
        XCTAssertThrowsError(try GuidePage(data: Data([1, 0, 0, 0])).hits())
        XCTAssertThrowsError(try GuidePage(data: Data([0, 0, 0, 0, 0])).hits())
        XCTAssertEqual(try GuidePage(data: Data([0, 0, 0, 0])).hits(), [])
    }

    func testSyncThenForgivingArabicSearch() async throws {
        let c = try client()
        let version = try await c.guideVersion()
        XCTAssertNil(version)
        let full = try await c.syncGuide()
        XCTAssertTrue(full.full)
        XCTAssertGreaterThanOrEqual(full.servicesAdded, 40)
        let services = try await c.services()
        XCTAssertEqual(services.count, Int(full.servicesAdded))
        let again = try await c.syncGuide()
        XCTAssertTrue(again.notModified)

        let hits = try await c.searchGuide("رخصه بناء", limit: 5)
        XCTAssertEqual(hits.first?.id, "building-permit")
        XCTAssertEqual(hits.first?.kind, .service)
        XCTAssertEqual(hits.first?.lang, .ar)
        XCTAssertEqual(hits.first?.title, "رخصة بناء")
        XCTAssertEqual(hits.first?.markedTitle, ["رخصة", "بناء"])

        // One typo, and English typed in the Arabic app: the row is shown in English, marked.
        let typo = try await c.searchGuide("clearence", limit: 5)
        XCTAssertEqual(typo.first?.id, "clearance-certificate")
        XCTAssertEqual(typo.first?.lang, .en)
        XCTAssertEqual(typo.first?.markedTitle, ["Clearance"])

        // A query matching both languages shows the app's, which follows the app.
        XCTAssertEqual(c.language, .ar)
        let both = try await c.searchGuide("رخصة بناء permit", limit: 1)
        XCTAssertEqual(both.first?.lang, .ar)
        c.language = .en
        let english = try await c.searchGuide("رخصة بناء permit", limit: 1)
        XCTAssertEqual(english.first?.lang, .en)
        XCTAssertEqual(english.first?.title, "Building permit")
        // Complaint categories come in it at their next refresh.
        _ = try await c.refreshComplaintCategories()
        let categories = try await c.complaintCategories()
        XCTAssertEqual(categories.first { $0.code == "water-leak" }?.name, "Water leak")
        c.language = .ar
        let service = try await c.service(id: "building-permit")
        XCTAssertEqual(service.title.ar, "رخصة بناء")
        XCTAssertFalse(service.steps.isEmpty)
        let violations = try await c.violations()
        XCTAssertGreaterThanOrEqual(violations.count, 15)
    }

    func testEventsArriveOnTheStream() async throws {
        let c = try client()
        let stream = c.events()
        let first = Task { () -> BaladiyaEvent? in
            for await event in stream { return event }
            return nil
        }
        let report = try await c.syncGuide()
        let event = await first.value
        XCTAssertEqual(event, .guideSynced(report: report))
    }

    func testErrorsAreTypedWithTheLibrarysText() async throws {
        XCTAssertThrowsError(try BaladiyaClient(dataDir: appDir.path, serverUrl: "http://example.org/")) { error in
            guard case let ApiError.Validation(field, _, _, _) = error else {
                return XCTFail("expected a validation error, got \(error)")
            }
            XCTAssertEqual(field, "server_url")
            XCTAssertTrue(error.localizedDescription.contains("plain http"), error.localizedDescription)
        }
        let c = try client()
        do {
            _ = try await c.service(id: "no-such-service")
            XCTFail("expected not found")
        } catch ApiError.NotFound(let detail) {
            XCTAssertTrue(detail.hasPrefix("not found"))
        }
        server.stop()
        do {
            _ = try await c.syncGuide()
            XCTFail("expected offline")
        } catch let error as ApiError {
            guard case .Offline = error else { return XCTFail("expected offline, got \(error)") }
            XCTAssertTrue(error.localizedDescription.hasPrefix("offline"), error.localizedDescription)
        }
    }

    func testPanicsComeBackAsInternalErrors() async throws {
        let c = try client()
        XCTAssertThrowsError(try c.debugPanic()) { error in
            guard case ApiError.Internal = error else { return XCTFail("got \(error)") }
        }
        do {
            try await c.debugPanicAsync()
            XCTFail("expected an error")
        } catch ApiError.Internal {
        }
        let report = try await c.syncGuide()
        XCTAssertTrue(report.full)
    }

    func testManyConcurrentCalls() async throws {
        let c = try client()
        _ = try await c.syncGuide()
        let queries = ["رخصة", "مياه", "براءة ذمة", "permit", "عداد", "نفايات"]
        var expected: [String: [String]] = [:]
        for q in queries { expected[q] = try await c.searchGuide(q, limit: 10).map(\.id) }
        try await withThrowingTaskGroup(of: (String, [String]).self) { group in
            for i in 0..<300 {
                let q = queries[i % queries.count]
                group.addTask {
                    if i % 50 == 0 { _ = try await c.syncGuide() }
                    return (q, try await c.searchGuide(q, limit: 10).map(\.id))
                }
            }
            for try await (q, ids) in group { XCTAssertEqual(ids, expected[q], q) }
        }
    }

    @MainActor
    func testSearchModelKeepsOnlyTheLatestQuery() async throws {
        let c = try client()
        _ = try await c.syncGuide()
        let model = GuideSearchModel(client: c)
        model.update(query: "ر")
        model.update(query: "رخ")
        model.update(query: "براءه ذمه")
        await model.settle()
        XCTAssertEqual(model.hits.first?.id, "clearance-certificate")
        XCTAssertNil(model.errorText)
    }
}
