import XCTest
@testable import BaladiyaKit

/// The screens' formatting: one digit policy per language, identifiers in LTR isolates, dates,
/// money, sizes, plurals, and the texts table itself.
final class DisplayTests: XCTestCase {
    let gaza = TimeZone(identifier: "Asia/Gaza")!
    var ar: Display { Display(.ar, timeZone: gaza) }
    var en: Display { Display(.en, timeZone: gaza) }
    static let asciiDigits = CharacterSet(charactersIn: "0123456789")
    static let arabicIndicDigits = CharacterSet(charactersIn: "٠١٢٣٤٥٦٧٨٩")

    /// 2026-11-30 14:05 in Gaza (UTC+2 in winter).
    let afternoon = Date(timeIntervalSince1970: 1_796_040_300)

    func assertDigitPolicy(_ shown: [String], file: StaticString = #filePath, line: UInt = #line) {
        for s in shown where s.unicodeScalars.contains(where: { Self.arabicIndicDigits.contains($0) || Self.asciiDigits.contains($0) }) {
            XCTAssertFalse(s.unicodeScalars.contains { Self.asciiDigits.contains($0) }, "ASCII digits in Arabic: \(s)", file: file, line: line)
        }
    }

    func testArabicShowsArabicIndicDigitsEverywhereAndEnglishAscii() {
        XCTAssertEqual(ar.number(1_234_567), "١٬٢٣٤٬٥٦٧")
        XCTAssertEqual(en.number(1_234_567), "1,234,567")
        XCTAssertEqual(ar.money(minor: 123_450, currency: "ILS"), "١٬٢٣٤٫٥٠ شيكل")
        XCTAssertEqual(en.money(minor: 123_450, currency: "ILS"), "ILS 1,234.50")
        XCTAssertEqual(en.money(minor: 5, currency: "USD"), "0.05 USD")
        // A discount line: the minus stays before the number in right-to-left text.
        XCTAssertEqual(ar.money(minor: -1_250, currency: "ILS"), "\u{061C}-١٢٫٥٠ شيكل")
        XCTAssertEqual(en.money(minor: -1_250, currency: "ILS"), "ILS -12.50")

        XCTAssertEqual(ar.dateTime(afternoon), "٣٠ نوفمبر ٢٠٢٦، ١٤:٠٥")
        XCTAssertEqual(en.dateTime(afternoon), "30 Nov 2026, 14:05")
        XCTAssertEqual(ar.dateTime(ms: 1_796_040_300_000), ar.dateTime(afternoon))
        XCTAssertEqual(ar.isoDate("2026-12-15"), "١٥ ديسمبر ٢٠٢٦")
        XCTAssertEqual(en.isoDate("2026-12-15"), "15 Dec 2026")
        XCTAssertEqual(ar.isoDate("soon"), "soon", "anything else as it came")
        XCTAssertEqual(ar.period("2026-11"), "نوفمبر ٢٠٢٦")
        XCTAssertEqual(en.period("2026-11"), "November 2026")
        XCTAssertEqual(ar.rfc3339("2026-11-30T12:05:00Z"), "٣٠ نوفمبر ٢٠٢٦، ١٤:٠٥")
        XCTAssertEqual(en.rfc3339("2026-11-30T14:05:00.250+02:00"), "30 Nov 2026, 14:05")
        XCTAssertEqual(ar.rfc3339(afternoon), "2026-11-30T14:05:00+02:00", "sent to the core as RFC 3339, ASCII")

        // Counts (the six Arabic plural forms), sizes.
        XCTAssertEqual(ar.plural("complaints.count", 0), "لا شكاوى")
        XCTAssertEqual(ar.plural("complaints.count", 2), "شكويان")
        XCTAssertEqual(ar.plural("complaints.count", 3), "٣ شكاوى")
        XCTAssertEqual(ar.plural("complaints.count", 11), "١١ شكوى")
        XCTAssertEqual(ar.plural("complaints.count", 100), "١٠٠ شكوى")
        XCTAssertEqual(ar.plural("complaints.count", 103), "١٠٣ شكاوى")
        XCTAssertEqual(en.plural("complaints.count", 1), "1 complaint")
        XCTAssertEqual(en.plural("complaints.count", 12), "12 complaints")
        XCTAssertEqual(ar.bytes(133), "١٣٣ بايت")
        XCTAssertEqual(ar.bytes(31_146), "٣١٫١ كيلوبايت")
        XCTAssertEqual(en.bytes(31_146), "31.1 KB")
        XCTAssertEqual(en.bytes(2_450_000), "2.5 MB")
        XCTAssertEqual(en.bytes(345_600_000), "346 MB")
        XCTAssertEqual(en.bytes(999_960), "1.0 MB", "rounding up to the next unit")

        assertDigitPolicy([
            ar.number(2026), ar.money(minor: 99, currency: "ILS"), ar.dateTime(afternoon), ar.period("2026-01"),
            ar.bytes(1_234_567), ar.plural("photos.attached", 3), ar.account("10561203"), ar.phone("0567 654 321"),
            ar.meterReading(4512), ar.coordinates(lat: 31.52, long: 34.45), ar.describe(ApiError.Server(status: 503, detail: "x")),
        ])
        for s in [en.number(2026), en.dateTime(afternoon), en.account("١٠٥٦١٢٠٣"), en.phone("٠٥٦٧ ٦٥٤ ٣٢١")] {
            XCTAssertFalse(s.unicodeScalars.contains { Self.arabicIndicDigits.contains($0) }, s)
        }
    }

    func testIdentifiersAreInLeftToRightIsolates() {
        XCTAssertEqual(ar.account("1056-1203"), "\u{2066}١٠٥٦-١٢٠٣\u{2069}")
        XCTAssertEqual(en.account("١٠٥٦١٢٠٣"), "\u{2066}10561203\u{2069}")
        XCTAssertEqual(ar.phone("0567 654 321"), "\u{2066}٠٥٦٧ ٦٥٤ ٣٢١\u{2069}")
        XCTAssertEqual(ar.tracking("BL-7K3M-Q9XD"), "\u{2066}BL-7K3M-Q9XD\u{2069}", "a code keeps its characters")
        XCTAssertEqual(ar.meterReading(4512), "\u{2066}٤٥١٢\u{2069}", "a counter is not grouped")
        XCTAssertEqual(ar.coordinates(lat: 31.52, long: 34.45), "\u{2066}٣١٫٥٢٠٠٠، ٣٤٫٤٥٠٠٠\u{2069}")
        // Inside a sentence the isolate is whole: the groups cannot be reordered around Arabic.
        let line = ar.text("bill.account", ar.account("1056-1203"))
        XCTAssertEqual(line, "الحساب \u{2066}١٠٥٦-١٢٠٣\u{2069}")
    }

    func testDigitsOfTheThreeSetsAreOne() {
        XCTAssertEqual(Digits.ascii("٠٥٩٩ ۱۲۳ 456"), "0599 123 456")
        XCTAssertEqual(Digits.arabicIndic("0599 ۱۲۳"), "٠٥٩٩ ١٢٣")
        XCTAssertEqual(Digits.ascii("BL-٧K"), "BL-7K")
    }

    func testEveryTextHasBothLanguagesWithTheSamePlaceholders() {
        let placeholders = try! NSRegularExpression(pattern: "%(\\d\\$)?@")
        func marks(_ s: String) -> [String] {
            placeholders.matches(in: s, range: NSRange(s.startIndex..., in: s)).map { String(s[Range($0.range, in: s)!]) }.sorted()
        }
        XCTAssertGreaterThan(Texts.table.count, 200)
        XCTAssertEqual(Texts.table.count, Texts.entries.count, "a key defined twice")
        for (key, entry) in Texts.table {
            XCTAssertFalse(entry.ar.isEmpty || entry.en.isEmpty, key)
            XCTAssertEqual(marks(entry.ar), marks(entry.en), key)
            XCTAssertFalse(entry.ar.contains("%l") || entry.ar.contains("%d"), "numbers come formatted: \(key)")
        }
        for (key, forms) in Texts.plurals {
            XCTAssertEqual(forms.ar.count, 6, key)
            XCTAssertEqual(forms.en.count, 2, key)
            XCTAssertTrue(forms.en.allSatisfy { $0.contains("%@") }, key)
        }
        XCTAssertEqual(Lang.ar.text("no.such.key"), "no.such.key")
        XCTAssertEqual(Lang.en.text("fine.range", "1", "2"), "1 to 2")
        XCTAssertEqual(Lang.ar.text("fine.range", "١", "٢"), "من ١ إلى ٢")
        // An argument is never filled again, whatever it holds (a nickname typed as "%@").
        XCTAssertEqual(Texts.fill("%@ and %@", ["%@x", "y"]), "%@x and y")
        XCTAssertEqual(Texts.fill("%2$@ / %1$@ 100%", ["a", "%1$@"]), "%1$@ / a 100%")
    }

    /// The SwiftUI app cannot be built here; at least every text it asks for must exist.
    func testEveryTextKeyTheAppUsesExists() throws {
        let app = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("BaladiyaApp")
        let files = try XCTUnwrap(FileManager.default.enumerator(at: app, includingPropertiesForKeys: nil))
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
        XCTAssertGreaterThan(files.count, 10, app.path)
        // L("key"…), Lp("key", n), text("key"…), plural("key"…) with a literal key.
        let call = try NSRegularExpression(pattern: "\\b(?:L|Lp|text|plural)\\(\"([A-Za-z0-9_.]+)\"")
        var used = Set<String>()
        for file in files {
            let source = try String(contentsOf: file, encoding: .utf8)
            for m in call.matches(in: source, range: NSRange(source.startIndex..., in: source)) {
                used.insert(String(source[Range(m.range(at: 1), in: source)!]))
            }
        }
        XCTAssertGreaterThan(used.count, 100)
        let missing = used.filter { Texts.table[$0] == nil && Texts.plurals[$0] == nil }.sorted()
        XCTAssertEqual(missing, [])
    }
}
