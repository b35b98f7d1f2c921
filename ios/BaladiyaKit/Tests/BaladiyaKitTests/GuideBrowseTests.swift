import XCTest
@testable import BaladiyaKit

/// The guide tab's browsing model and the service page's formatting, against the real server.
final class GuideBrowseTests: ServerTestCase {
    @MainActor
    func testBrowsingSyncsQuietlyAtLaunchAndSaysWhyWhenAsked() async throws {
        let c = try client()
        let model = GuideBrowseModel(client: c)
        await model.loadLocal()
        XCTAssertTrue(model.notDownloaded)

        await model.sync(userAsked: false)
        XCTAssertNil(model.errorText)
        XCTAssertFalse(model.notDownloaded)
        XCTAssertNotNil(model.version)
        XCTAssertEqual(model.services.count, 51)
        XCTAssertEqual(model.chips.count, 8)
        XCTAssertTrue(model.chips.allSatisfy { $0.name.unicodeScalars.contains { (0x0620...0x064A).contains($0.value) } }, "Arabic names")

        let first = try XCTUnwrap(model.chips.first)
        await model.select(first.id)
        XCTAssertEqual(model.category, first.id)
        XCTAssertFalse(model.services.isEmpty)
        XCTAssertTrue(model.services.allSatisfy { $0.categoryId == first.id })
        XCTAssertLessThan(model.services.count, 51)

        // The server gone: the launch's sync says nothing, a pull to refresh says why.
        server.stopKeepingData()
        await model.sync(userAsked: false)
        XCTAssertNil(model.errorText)
        XCTAssertFalse(model.syncing)
        await model.sync(userAsked: true)
        XCTAssertEqual(model.errorText, Lang.ar.text("error.offline"))
        XCTAssertFalse(model.services.isEmpty, "what is on the phone stays")
        model.dismissError()
        XCTAssertNil(model.errorText)

        // In English the chips follow.
        c.language = .en
        await model.loadLocal()
        XCTAssertFalse(model.chips.contains { $0.name.unicodeScalars.contains { (0x0620...0x064A).contains($0.value) } })
    }

    func testFeesFinesAndContactLinks() throws {
        let ar = Display(.ar)
        XCTAssertEqual(ar.fee(minor: nil, currency: "ILS"), "يختلف")
        XCTAssertEqual(ar.fee(minor: 0, currency: "ILS"), "مجانًا")
        XCTAssertEqual(ar.fee(minor: 2_500, currency: "ILS"), "٢٥٫٠٠ شيكل")
        let v = Violation(id: "v", offence: Localized(ar: "", en: ""), fineMinMinor: 10_000, fineMaxMinor: 50_000, currency: "ILS",
                          fineNotes: nil, legalBasis: Localized(ar: "", en: ""), departmentId: "d", keywords: [], updatedAt: "", version: 1)
        XCTAssertEqual(ar.fine(v), "من ١٠٠٫٠٠ شيكل إلى ٥٠٠٫٠٠ شيكل")
        XCTAssertEqual(Display(.en).fine(v), "ILS 100.00 to ILS 500.00")
        XCTAssertEqual(ar.ordinal(3), "٣.")
        XCTAssertEqual(ContactLinks.dial("08-282 0000")?.absoluteString, "tel:082820000")
        XCTAssertEqual(ContactLinks.dial("+٩٧٠ ٨ ٢٨٢٠٠٠٠")?.absoluteString, "tel:+97082820000")
        XCTAssertNil(ContactLinks.dial("—"))
        XCTAssertEqual(ContactLinks.whatsApp("+970 599 123 456")?.absoluteString, "https://wa.me/970599123456")
    }
}

/// A service's page and the violations guide from the phone.
final class ServicePageTests: ServerTestCase {
    @MainActor
    func testAServicePageWithItsDepartmentAndTheViolations() async throws {
        let c = try client()
        let page = ServicePageModel(client: c)
        await page.load(service: "building-permit")
        XCTAssertEqual(page.errorText, Lang.ar.text("error.notFound"), "nothing on the phone before the first sync")

        _ = try await c.syncGuide()
        await page.load(service: "building-permit")
        XCTAssertNil(page.errorText)
        let service = try XCTUnwrap(page.service)
        let departments = try await c.departments()
        let department = try XCTUnwrap(departments.first { $0.id == service.departmentId })
        XCTAssertEqual(page.departmentName, department.name.ar)

        await page.loadViolations()
        XCTAssertEqual(page.violations.count, 21)
        let one = try XCTUnwrap(page.violations.last)
        await page.loadViolations(only: one.id)
        XCTAssertEqual(page.violations, [one])
    }

    /// Questions (issue 15.1): asked through the facade in the questions group, answered by a staff
    /// reply the app reads like a complaint's, and once published on a service, on its page and
    /// found by the guide search.
    @MainActor
    func testAQuestionAnsweredAndPublishedOnItsServicePage() async throws {
        let question = "هل يمكن دفع رسوم رخصة البناء على أقساط شهرية؟"
        let answer = "نعم، على ثلاثة أقساط بعد موافقة دائرة الإيرادات."
        let c = try BaladiyaClient(dataDir: appDir.path, serverUrl: server.url, apiKey: ComplaintTests.demoAppKey)
        _ = try await c.syncGuide()
        _ = try await c.refreshComplaintCategories()
        let kinds = try await c.complaintCategories().filter { $0.code.hasPrefix("question-") }
        XCTAssertEqual(kinds.count, 3)
        let draft = ComplaintDraft(
            serviceCode: "question-service", description: question,
            attributes: [AttributeAnswer(code: "guide_service", values: ["building-permit"])],
            location: nil, address: "حي الرمال", contact: nil)
        let local = try await c.submitComplaint(draft, photos: [])
        let sent = try await c.flushComplaints()
        let serverId = try XCTUnwrap(sent.sent.first?.serverId, "\(sent)")
        let (status, _) = try await server.staffAction(serverId: serverId, ["action": "reply", "note": answer])
        XCTAssertEqual(status, 200)
        _ = try await c.refreshComplaints()
        let asked = try await c.complaint(localId: local)
        XCTAssertTrue(asked.updates.contains { $0.description == answer }, "the answer reaches the app")

        let page = ServicePageModel(client: c)
        await page.load(service: "building-permit")
        XCTAssertEqual(page.faqs, [], "not published yet")
        let (_, guide) = try await server.get("api/v1/guide")
        let range = try XCTUnwrap(guide.range(of: #"\{"id":"building-permit".*?"version":\d+\}"#, options: .regularExpression))
        let faq = #""faqs":[{"question":{"ar":"\#(question)","en":"\#(question)"},"answer":{"ar":"\#(answer)","en":"\#(answer)"}}],"#
        let edited = String(guide[range]).replacingOccurrences(of: "\"updated_at\":", with: faq + "\"updated_at\":")
        let (put, body) = try await server.putService(id: "building-permit", json: edited)
        XCTAssertEqual(put, 200, body)
        _ = try await c.syncGuide()
        await page.load(service: "building-permit")
        XCTAssertEqual(page.faqs, [ServicePageModel.FaqRow(question: question, answer: answer)])
        let hits = try await c.searchGuide("أقساط شهرية", limit: 5)
        XCTAssertTrue(hits.contains { $0.id == "building-permit" }, "found by the guide search")
    }
}
