import XCTest
@testable import BaladiyaKit

/// Free text from the server with readable, tappable numbers (issue 19.3), left-to-right fields
/// (19.4), error wording per kind and language (9.8), whole-word highlights (9.5).
final class ScreenTextTests: XCTestCase {
    static let lri = "\u{2066}"
    static let pdi = "\u{2069}"

    /// The runs of `text` that carry a link, with their URL.
    func links(_ text: AttributedString) -> [(String, String)] {
        text.runs.compactMap { run in run.link.map { (String(text[run.range].characters), $0.absoluteString) } }
    }

    func testAPhoneNumberInAStaffNoteIsIsolatedInOrderAndDialable() {
        let note = "تم إصلاح الخط. للاستفسار: 08-2865000"
        let shown = FreeText.attributed(note)
        XCTAssertEqual(String(shown.characters), "تم إصلاح الخط. للاستفسار: \(Self.lri)08-2865000\(Self.pdi)")
        XCTAssertEqual(links(shown).map(\.0), ["08-2865000"])
        XCTAssertEqual(links(shown).map(\.1), ["tel:082865000"])
        XCTAssertEqual(FreeText.isolated(note), String(shown.characters))
    }

    func testNumbersOfEveryKindInFreeText() {
        let text = "اتصل على ٠٥٩٩ ١٢٣ ٤٥٦ أو +970 8 2865000، الحساب 1056-1203، الشكوى BL-7K3M-Q9XD، سنة 2026 و 3 أيام، والمبلغ 12 500."
        let kinds = FreeText.matches(in: text).map { m -> String in
            let chars = Array(text)
            return String(chars[m.range])
        }
        XCTAssertEqual(kinds, ["٠٥٩٩ ١٢٣ ٤٥٦", "+970 8 2865000", "1056-1203", "BL-7K3M-Q9XD", "12 500"])
        XCTAssertEqual(FreeText.matches(in: text).map(\.kind), [
            .phone(dial: "0599123456"), .phone(dial: "+97082865000"), .account, .tracking, .number,
        ])
        let shown = FreeText.attributed(text)
        XCTAssertEqual(links(shown).map(\.1), ["tel:0599123456", "tel:+97082865000"])
        let plain = String(shown.characters)
        XCTAssertTrue(plain.contains("\(Self.lri)٠٥٩٩ ١٢٣ ٤٥٦\(Self.pdi)"), "the server's digits stay as written")
        XCTAssertTrue(plain.contains("\(Self.lri)BL-7K3M-Q9XD\(Self.pdi)"))
        XCTAssertTrue(plain.contains("سنة 2026 و 3 أيام"), "a lone number is left alone")
        // Not identifiers: digits inside a word, a number without separators that is too short.
        XCTAssertEqual(FreeText.matches(in: "A12 وحدة 102 و 3rd").count, 0)
        // A short service number announced as one to call is dialable (the sample news: **115**).
        let call = FreeText.attributed("اتصلوا بغرفة العمليات على الرقم **115** أو call 102.")
        XCTAssertEqual(links(call).map(\.1), ["tel:115", "tel:102"])
    }

    func testDecoratingKeepsTheRunsAttributes() {
        var body = AttributedString("مهم: ")
        var bold = AttributedString("اتصلوا على 08-2865000")
        bold[SearchMatchAttribute.self] = true
        body.append(bold)
        let shown = FreeText.decorate(body)
        XCTAssertEqual(String(shown.characters), "مهم: اتصلوا على \(Self.lri)08-2865000\(Self.pdi)")
        XCTAssertEqual(links(shown).map(\.1), ["tel:082865000"])
        let phone = shown.range(of: "08-2865000")!
        XCTAssertEqual(shown[phone].runs.map { $0[SearchMatchAttribute.self] }, [true])
    }

    func testPhoneAccountAndMeterFieldsAreLeftToRightAndTakeAnyDigits() {
        XCTAssertTrue(FieldKind.phone.isLeftToRight)
        XCTAssertTrue(FieldKind.account.isLeftToRight)
        XCTAssertTrue(FieldKind.verification.isLeftToRight)
        XCTAssertFalse(FieldKind.text.isLeftToRight)
        XCTAssertEqual(FieldKind.of(field: "contact.phone"), .phone)
        XCTAssertEqual(FieldKind.of(field: "account"), .account)
        XCTAssertEqual(FieldKind.of(field: "description"), .text)

        func def(_ code: String, _ type: Datatype) -> AttributeDef {
            AttributeDef(code: code, variable: true, datatype: type, required: false, description: code, order: 1, values: [])
        }
        XCTAssertEqual(FieldKind.of(def("meter_number", .string)), .identifier)
        XCTAssertEqual(FieldKind.of(def("pole_number", .string)), .identifier)
        XCTAssertEqual(FieldKind.of(def("water_depth_cm", .number)), .number)
        XCTAssertEqual(FieldKind.of(def("park_name", .string)), .text)
        XCTAssertEqual(FieldKind.of(field: "attribute[meter_number]", definition: [def("meter_number", .string)]), .identifier)

        for typed in ["0599 123 456", "٠٥٩٩ ١٢٣ ٤٥٦", "۰۵۹۹-۱۲۳-۴۵۶"] {
            XCTAssertEqual(FieldKind.phone.normalized(typed), "0599123456", typed)
        }
        XCTAssertEqual(FieldKind.phone.normalized("+٩٧٠ ٥٩٩"), "+970599")
        XCTAssertEqual(FieldKind.account.normalized("١٠٥٦-١٢٠٣"), "10561203")
        XCTAssertEqual(FieldKind.number.normalized("٧٫٥"), "7.5")
        XCTAssertEqual(FieldKind.identifier.normalized("P-١٧"), "P-17")
        XCTAssertEqual(FieldKind.text.normalized("البيت ١"), "البيت ١", "words are kept as typed")
    }

    func testPhotosTheCoreReadsAsTheyAreAndOthersToReencode() {
        XCTAssertTrue(PhotoData.isReadableByCore(ComplaintTests.photo))
        XCTAssertTrue(PhotoData.isReadableByCore(Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])))
        XCTAssertFalse(PhotoData.isReadableByCore(Data("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8)), "WebP: re-encoded")
        XCTAssertFalse(PhotoData.isReadableByCore(Data([0, 0, 0, 0x18] + Array("ftypheic".utf8))), "HEIC")
        XCTAssertFalse(PhotoData.isReadableByCore(Data()))
    }

    func testErrorsAreWordedPerKindInTheCitizensLanguage() {
        let errors: [ApiError] = [
            .Offline(detail: "offline: connection refused (os error 111)"),
            .Network(detail: "network: timed out"),
            .Server(status: 503, detail: "server answered 503"),
            .MalformedResponse(detail: "malformed response: expected value at line 1"),
            .Validation(field: "account", reason: "an account number has 8 digits", detail: "account: an account number has 8 digits", problems: []),
            .NotFound(detail: "not found: news x"),
            .Unauthorized(detail: "unauthorized"),
            .Throttled(retryAfterSecs: 150, detail: "throttled"),
            .Storage(detail: "storage: disk I/O error"),
            .Internal(detail: "internal error: panic"),
        ]
        let arabic = errors.map { Display(.ar).describe($0) }
        let english = errors.map { Display(.en).describe($0) }
        XCTAssertEqual(Set(arabic).count, errors.count, "one sentence per kind")
        for (e, (a, en)) in zip(errors, zip(arabic, english)) {
            let detail = e.localizedDescription // the library's text
            XCTAssertFalse(a.contains("offline") || a.contains("error") || a.contains(detail), a)
            XCTAssertTrue(a.unicodeScalars.contains { (0x0620...0x064A).contains($0.value) }, "Arabic: \(a)")
            XCTAssertFalse(en.unicodeScalars.contains { (0x0620...0x064A).contains($0.value) }, "English: \(en)")
            XCTAssertNotEqual(en, e.localizedDescription)
        }
        XCTAssertEqual(arabic[0], Lang.ar.text("error.offline"))
        XCTAssertEqual(arabic[2], "تعذّر على خادم البلدية الرد (٥٠٣). حاول لاحقًا.")
        XCTAssertEqual(arabic[4], Lang.ar.text("invalid.account"))
        XCTAssertEqual(arabic[7], "محاولات كثيرة. حاول مجددًا بعد ٣ دقائق.")
        XCTAssertEqual(english[7], "Too many attempts. Try again in 3 minutes.")
        XCTAssertEqual(Display(.en).describe(CocoaError(.fileNoSuchFile)), Lang.en.text("error.generic"))

        // A question's problem is worded by its kind, never in the library's English.
        let d = Display(.ar)
        XCTAssertEqual(d.validationText(field: "attribute[severity]", reason: "required"), "مطلوب")
        XCTAssertEqual(d.validationText(field: "attribute[depth]", reason: "a number is expected"), "اكتب رقمًا.")
        XCTAssertEqual(d.validationText(field: "attribute[x]", reason: "not one of the listed values: y"), "اختر من الخيارات المعروضة.")
        XCTAssertEqual(d.validationText(field: "attribute[x]", reason: "something new"), "راجع هذه الإجابة.")
        XCTAssertEqual(d.validationText(field: "location", reason: "outside the municipality's area"), Lang.ar.text("invalid.locationOutside"))
    }

    func testAHighlightInsideAWordMarksTheWholeWord() {
        // «البناء»: the core matched the stem «بناء» (offsets 7..11 in UTF-16); marking only it
        // would draw «ال» apart and break the joining of lam and beh.
        let title = "رخصة البناء الجديدة"
        let ranges = GuideHit.wordRanges(title, [TextSpan(start: 7, end: 11)])
        XCTAssertEqual(ranges.map { String(title[$0]) }, ["البناء"])
        // Whole words stay as they are; spans in one word merge; spans past the end are dropped.
        XCTAssertEqual(GuideHit.wordRanges(title, [TextSpan(start: 0, end: 4)]).map { String(title[$0]) }, ["رخصة"])
        XCTAssertEqual(GuideHit.wordRanges(title, [TextSpan(start: 5, end: 7), TextSpan(start: 8, end: 9)]).map { String(title[$0]) }, ["البناء"])
        XCTAssertEqual(GuideHit.wordRanges(title, [TextSpan(start: 5, end: 99)]).count, 0)
        // With harakat: an offset between a letter and its mark rounds out to the whole letter.
        let voweled = "رُخْصَة بِنَاء"
        let r = GuideHit.wordRanges(voweled, [TextSpan(start: 9, end: 11)])
        XCTAssertEqual(r.map { String(voweled[$0]) }, ["بِنَاء"])

        let hit = GuideHit(kind: .service, id: "x", lang: .ar, title: title, summary: "", titleHighlights: [TextSpan(start: 7, end: 11)], summaryHighlights: [])
        let marked = hit.highlightedTitle
        let bold = marked.runs.filter { $0[SearchMatchAttribute.self] == true }.map { String(marked[$0.range].characters) }
        XCTAssertEqual(bold, ["البناء"])
    }
}
