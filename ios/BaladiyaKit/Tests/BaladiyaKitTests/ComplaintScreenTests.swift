import XCTest
@testable import BaladiyaKit

/// The complaint form and detail screens' models against the real reference server: every
/// problem marked at once with the first field to focus and a banner (issue 19.1), the citizen's
/// answers in the detail (19.5), the department's note with a readable, dialable phone (19.3).
final class ComplaintScreenTests: ServerTestCase {
    override func client() throws -> BaladiyaClient {
        try BaladiyaClient(dataDir: appDir.path, serverUrl: server.url, apiKey: ComplaintTests.demoAppKey)
    }

    @MainActor
    func testARefusedFormMarksEveryProblemFocusesTheFirstAndSaysSoByTheButton() async throws {
        let c = try client()
        let form = ComplaintFormModel(client: c)
        await form.load()
        XCTAssertGreaterThanOrEqual(form.categories.count, 15)
        XCTAssertNil(form.bannerText)

        // A streetlight complaint missing both the pole number and "what is wrong?", and with
        // neither a description nor a place.
        await form.choose("streetlight")
        XCTAssertEqual(form.attributes.map(\.code), ["pole_number", "problem"])
        form.anonymous = true
        let filed = await form.submit()
        XCTAssertNil(filed)
        XCTAssertEqual(form.issues.map(\.field), ["attribute[pole_number]", "attribute[problem]", "description", "location"],
                       "every problem at once, in the form's order")
        XCTAssertEqual(form.focusField, "attribute[pole_number]")
        XCTAssertEqual(form.bannerText, "٤ حقول تحتاج إلى تصحيح، وهي معلَّمة بالأحمر.")
        XCTAssertEqual(form.errorText(for: "attribute[pole_number]"), "مطلوب")
        XCTAssertEqual(form.errorText(for: "attribute[problem]"), "مطلوب")
        XCTAssertEqual(form.errorText(for: "description"), Lang.ar.text("invalid.description"))
        XCTAssertEqual(form.errorText(for: "location"), Lang.ar.text("invalid.location"))
        XCTAssertNil(form.errorText(for: "contact.phone"))
        XCTAssertFalse(form.submitting)
        let kinds = form.attributes.map(form.kind(of:))
        XCTAssertEqual(kinds, [.identifier, .text], "the pole number is typed left to right")

        // As each field is changed its message goes and the banner counts one less.
        form.answers["pole_number"] = ["P-١٧"]
        XCTAssertNil(form.errorText(for: "attribute[pole_number]"))
        XCTAssertEqual(form.bannerText, "٣ حقول تحتاج إلى تصحيح، وهي معلَّمة بالأحمر.")
        form.details = "العمود مطفأ منذ أسبوع"
        XCTAssertEqual(form.bannerText, "حقلان يحتاجان إلى تصحيح، وهما معلَّمان بالأحمر.")
        form.address = "شارع عمر المختار"
        XCTAssertEqual(form.issues.map(\.field), ["attribute[problem]"])
        form.anonymous = false
        XCTAssertEqual(form.issues.count, 1, "a change elsewhere leaves the others")

        // Fixed but for one: only that one is left after the next tap, and focus moves to it.
        form.anonymous = true
        await form.submit()
        XCTAssertEqual(form.issues.map(\.field), ["attribute[problem]"])
        XCTAssertEqual(form.focusField, "attribute[problem]")
        XCTAssertEqual(form.refusals, 2)
        XCTAssertEqual(form.bannerText, "حقل واحد يحتاج إلى تصحيح، وهو معلَّم بالأحمر.")

        // A phone typed in Eastern Arabic-Indic digits with spaces is taken; filed, all cleared.
        form.answers["problem"] = ["off"]
        form.anonymous = false
        form.phone = "۰۵۹۹ ۱۲۳ ۴۵۶"
        let id = await form.submit()
        XCTAssertEqual(id?.hasPrefix("BL-"), true)
        XCTAssertEqual(form.filed, id)
        XCTAssertEqual(form.issues, [])
        XCTAssertNil(form.focusField)
        XCTAssertNil(form.bannerText)
        let stored = try await c.complaint(localId: try XCTUnwrap(id))
        XCTAssertEqual(stored.draft.contact?.phone, "0599123456")
        XCTAssertEqual(stored.draft.attributes.first { $0.code == "pole_number" }?.values, ["P-١٧"], "a text answer is kept as typed")
    }

    /// Issue 15.4: before filing, the chosen category says within what time it is dealt with, as
    /// the municipality's server gives it, in the language's digits and counted forms.
    @MainActor
    func testTheChosenCategorySaysItsExpectedTimeBeforeFiling() async throws {
        let c = try client()
        let form = ComplaintFormModel(client: c)
        await form.load()
        XCTAssertNil(form.expectedTimeText, "no category chosen yet")
        await form.choose("streetlight")
        XCTAssertEqual(form.category?.expectedHours, 72)
        XCTAssertEqual(form.expectedTimeText, "نعمل على معالجة البلاغ خلال ٣ أيام")
        await form.choose("water-leak")
        XCTAssertEqual(form.expectedTimeText, "نعمل على معالجة البلاغ خلال يوم واحد")
        // While choosing: every category in the list has its time.
        XCTAssertTrue(form.categories.allSatisfy { form.expectedTimeText(of: $0) != nil })
        c.language = .en
        XCTAssertEqual(form.expectedTimeText, "We aim to deal with it within 1 day")
        await form.choose("sewage-overflow")
        XCTAssertEqual(form.expectedTimeText, "We aim to deal with it within 12 hours")
        await form.choose(nil)
        XCTAssertNil(form.expectedTimeText)

        // The wording on its own: days when whole days, Arabic's forms, the language's digits.
        let ar = Display(.ar), en = Display(.en)
        XCTAssertEqual(ar.categoryWithin(hours: 48), "نعمل على معالجة البلاغ خلال يومين")
        XCTAssertEqual(ar.categoryWithin(hours: 336), "نعمل على معالجة البلاغ خلال ١٤ يومًا")
        XCTAssertEqual(ar.categoryWithin(hours: 12), "نعمل على معالجة البلاغ خلال ١٢ ساعة")
        XCTAssertEqual(ar.categoryWithin(hours: 5), "نعمل على معالجة البلاغ خلال ٥ ساعات")
        XCTAssertEqual(en.categoryWithin(hours: 72), "We aim to deal with it within 3 days")
        XCTAssertEqual(en.categoryWithin(hours: 1), "We aim to deal with it within 1 hour")
    }

    @MainActor
    func testAFormInEnglishAndAnErrorThatIsNotAFieldsGoToTheBanner() async throws {
        let c = try client()
        c.language = .en
        _ = try await c.refreshComplaintCategories()
        let queued = try await c.submitComplaint(ComplaintDraft(
            serviceCode: "pests", description: "Mosquitoes", attributes: [AttributeAnswer(code: "pest", values: ["mosquitoes"])],
            location: nil, address: "Al-Rimal", contact: nil))
        _ = try await c.flushComplaints() // sent: too late to edit

        let form = ComplaintFormModel(client: c, editing: queued)
        await form.load()
        XCTAssertEqual(form.code, "pests")
        XCTAssertEqual(form.details, "Mosquitoes")
        XCTAssertEqual(form.answers["pest"], ["mosquitoes"], "the edit keeps its own answers")
        XCTAssertTrue(form.anonymous)
        form.details = "Mosquitoes near the school"
        let saved = await form.submit()
        XCTAssertNil(saved)
        XCTAssertNil(form.focusField, "no field of the form to fix")
        XCTAssertEqual(form.bannerText, Lang.en.text("invalid.localId"))

        // A new form with a problem: the banner in English.
        let fresh = ComplaintFormModel(client: c)
        await fresh.load()
        fresh.anonymous = true
        await fresh.submit()
        XCTAssertEqual(fresh.focusField, "service_code")
        XCTAssertEqual(fresh.errorText(for: "service_code"), "Choose what the complaint is about.")
        XCTAssertTrue(fresh.bannerText?.hasSuffix("fields need fixing; they are marked in red.") == true, fresh.bannerText ?? "nil")
    }

    @MainActor
    func testTheDetailShowsTheAnswersAndTheDepartmentsNoteWithADialablePhone() async throws {
        let c = try client()
        _ = try await c.refreshComplaintCategories()
        let localId = try await c.submitComplaint(ComplaintDraft(
            serviceCode: "water-leak",
            description: "تسرب عند العداد",
            attributes: [
                AttributeAnswer(code: "severity", values: ["burst"]),
                AttributeAnswer(code: "leak_point", values: ["meter"]),
                AttributeAnswer(code: "meter_number", values: ["1056-1203"]),
            ],
            location: GeoPoint(lat: 31.52, long: 34.45), address: nil, contact: nil))
        let definition = try await c.complaintDefinition(code: "water-leak")
        let severity = try XCTUnwrap(definition.first { $0.code == "severity" })
        let leakPoint = try XCTUnwrap(definition.first { $0.code == "leak_point" })
        let meter = try XCTUnwrap(definition.first { $0.code == "meter_number" })

        let detail = ComplaintDetailModel(client: c, localId: localId)
        detail.start()
        defer { detail.stop() }
        try await waitUntil("loaded") { detail.complaint != nil }
        XCTAssertEqual(detail.answers, [
            AnswerRow(code: "severity", question: "ما حجم التسرب؟", answer: try XCTUnwrap(severity.values.first { $0.key == "burst" }?.name)),
            AnswerRow(code: "leak_point", question: leakPoint.description, answer: try XCTUnwrap(leakPoint.values.first { $0.key == "meter" }?.name)),
            AnswerRow(code: "meter_number", question: meter.description, answer: "\u{2066}1056-1203\u{2069}"),
        ])
        XCTAssertFalse(detail.answers[0].answer.contains("burst"), "a choice shows its label, not its key")
        XCTAssertEqual(detail.trackingNumber, "\u{2066}\(localId)\u{2069}")
        XCTAssertNil(detail.statusNote)

        // Sent, and answered by the department with a phone number to call.
        let flushed = try await c.flushComplaints()
        let serverId = try XCTUnwrap(flushed.sent.first?.serverId)
        let note = "سيصل الطاقم اليوم. للاستفسار: 08-2865000"
        let (status, body) = try await server.staffAction(
            serverId: serverId, ["action": "status", "detailed_status": "in_progress", "note": note])
        XCTAssertEqual(status, 200, body)
        _ = try await c.refreshComplaints()
        try await waitUntil("answered") { detail.history.contains { String($0.note.characters).contains("2865000") } }
        // The municipality's expected date, in Arabic digits; not late yet.
        let expected = try XCTUnwrap(detail.complaint?.expectedDatetime)
        XCTAssertEqual(detail.expectedText, Lang.ar.text("complaint.expected", Display(.ar).rfc3339(expected)))
        XCTAssertNil(detail.overdueText)

        let entry = try XCTUnwrap(detail.history.last)
        XCTAssertEqual(entry.status, "قيد المعالجة")
        XCTAssertEqual(String(entry.note.characters), "سيصل الطاقم اليوم. للاستفسار: \u{2066}08-2865000\u{2069}")
        let links = entry.note.runs.compactMap { run in run.link.map { (String(entry.note[run.range].characters), $0.absoluteString) } }
        XCTAssertEqual(links.map(\.0), ["08-2865000"])
        XCTAssertEqual(links.map(\.1), ["tel:082865000"])
        XCTAssertFalse(entry.date.unicodeScalars.contains { ("0"..."9").contains($0) }, "Arabic digits: \(entry.date)")
        if let statusNote = detail.statusNote {
            XCTAssertTrue(String(statusNote.characters).hasSuffix("\u{2066}08-2865000\u{2069}"), String(statusNote.characters))
        }

        // In English the rows follow once the categories are fetched in English.
        c.language = .en
        _ = try await c.refreshComplaintCategories()
        let english = ComplaintDetailModel(client: c, localId: localId)
        await english.reload()
        XCTAssertEqual(english.answers.first?.question, "How bad is the leak?")
        XCTAssertEqual(english.history.last?.status, "In progress")
    }

    func testAnswersOfEveryDatatype() {
        func def(_ code: String, _ type: Datatype, order: Int64, values: [ListValue] = [], variable: Bool = true) -> AttributeDef {
            AttributeDef(code: code, variable: variable, datatype: type, required: false, description: "q-\(code)", order: order, values: values)
        }
        let kinds = [ListValue(key: "food", name: "بقايا طعام"), ListValue(key: "rubble", name: "ركام")]
        let definition = [
            def("note", .string, order: 0, variable: false),
            def("since", .datetime, order: 3),
            def("waste_types", .multiValueList, order: 1, values: kinds),
            def("volume_m3", .number, order: 2),
            def("container_number", .string, order: 4),
            def("details", .text, order: 5),
            def("unanswered", .string, order: 6),
        ]
        let draft = ComplaintDraft(
            serviceCode: "illegal-dumping", description: "",
            attributes: [
                AttributeAnswer(code: "details", values: ["خلف السوق"]),
                AttributeAnswer(code: "volume_m3", values: ["7.5"]),
                AttributeAnswer(code: "waste_types", values: ["rubble", "food"]),
                AttributeAnswer(code: "since", values: ["2026-11-30T12:05:00Z"]),
                AttributeAnswer(code: "container_number", values: ["C-114"]),
                AttributeAnswer(code: "retired_question", values: ["x"]),
            ],
            location: nil, address: nil, contact: nil)
        let rows = ComplaintAnswers.rows(draft, definition: definition, display: Display(.ar, timeZone: TimeZone(identifier: "Asia/Gaza")!))
        XCTAssertEqual(rows.map(\.code), ["waste_types", "volume_m3", "since", "container_number", "details", "retired_question"])
        XCTAssertEqual(rows.map(\.answer), [
            "ركام، بقايا طعام", "٧٫٥", "٣٠ نوفمبر ٢٠٢٦، ١٤:٠٥", "\u{2066}C-114\u{2069}", "خلف السوق", "x",
        ])
        XCTAssertEqual(rows.first?.question, "q-waste_types")
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
