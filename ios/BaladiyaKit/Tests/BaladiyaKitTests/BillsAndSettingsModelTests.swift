import XCTest
@testable import BaladiyaKit

/// A dictionary in place of UserDefaults.
final class MemoryPreferences: PreferenceStore {
    var values: [String: String] = [:]
    func string(forKey key: String) -> String? { values[key] }
    func set(_ value: String?, forKey key: String) { values[key] = value }
}

/// The bills screen's model (moved from the app into the kit) and the settings screen's model,
/// against the real reference server.
final class BillsAndSettingsModelTests: ServerTestCase {
    @MainActor
    func testBillsModelLooksUpSavesAndShowsTheOfflineCopyWithItsDate() async throws {
        let c = try client()
        let model = BillsModel(client: c)
        await model.load()
        XCTAssertEqual(model.saved, [])
        XCTAssertEqual(model.verificationInfo?.kind, "phone")
        XCTAssertEqual(model.verificationLabel, model.verificationInfo?.label.ar)

        // Typed in Arabic-Indic digits; a wrong phone is said in Arabic, not the library's text.
        model.account = "١٠٥٦١٢٠٣"
        model.verification = "٠٥٩٩٠٠٠٠٠٠"
        await model.lookup()
        XCTAssertNil(model.result)
        XCTAssertEqual(model.errorText, Lang.ar.text("error.unauthorized"))

        model.verification = "٠٥٦٧ ٦٥٤ ٣٢١"
        model.nickname = "المحل"
        await model.save()
        XCTAssertNil(model.errorText)
        XCTAssertTrue(model.justSaved)
        let saved = try XCTUnwrap(model.saved.first)
        XCTAssertEqual(saved.account, BillTests.other)
        XCTAssertEqual(model.savedLine(saved).hasPrefix("\u{2066}١٠٥٦١٢٠٣\u{2069}  ·  نسخة محفوظة من "), true, model.savedLine(saved))
        let fresh = try XCTUnwrap(model.resultNote)
        XCTAssertFalse(fresh.stale)
        XCTAssertTrue(fresh.text.hasPrefix("حُفظت على هذا الهاتف. حُدّثت "), fresh.text)

        // The server gone: the saved copy, marked stale with the date it was fetched.
        server.stopKeepingData()
        model.pick(saved)
        XCTAssertEqual(model.account, BillTests.other)
        XCTAssertEqual(model.verification, "", "the factor is asked for again")
        XCTAssertNil(model.result)
        model.verification = BillTests.otherPhone
        await model.lookup()
        let stale = try XCTUnwrap(model.resultNote)
        XCTAssertTrue(stale.stale)
        let fetched = try XCTUnwrap(model.result?.fetchedAt)
        XCTAssertEqual(stale.text, Lang.ar.text("bill.stale", c.display.dateTime(ms: fetched)))
        XCTAssertFalse(stale.text.unicodeScalars.contains { ("0"..."9").contains($0) }, stale.text)

        // An account never saved has no copy: offline, said so.
        model.account = BillTests.home
        model.verification = BillTests.homePhone
        await model.lookup()
        XCTAssertEqual(model.errorText, Lang.ar.text("error.offline"))

        await model.forget(BillTests.other)
        XCTAssertEqual(model.saved, [])
        XCTAssertFalse(model.loading)
    }

    @MainActor
    func testSettingsLanguageNotificationsDataUsedAndClearingBills() async throws {
        let c = try client()
        let prefs = MemoryPreferences()
        // The phone in French then English: the app speaks English; in French alone, Arabic.
        XCTAssertEqual(LanguageChoice.system.resolve(preferred: ["fr-FR", "en-GB"]), .en)
        XCTAssertEqual(LanguageChoice.system.resolve(preferred: ["fr-FR"]), .ar)
        XCTAssertEqual(LanguageChoice.system.resolve(preferred: ["ar-PS", "en"]), .ar)

        let settings = SettingsModel(client: c, store: prefs, preferredLanguages: ["en-US"], version: "1.2.0", build: "34")
        XCTAssertEqual(settings.languageChoice, .system)
        XCTAssertEqual(c.language, .en, "the phone's language, applied to the library")
        XCTAssertEqual(settings.versionText, "1.2.0 (build 34)")
        XCTAssertEqual(settings.label(.ar), "العربية")

        await settings.choose(.ar)
        XCTAssertEqual(c.language, .ar)
        XCTAssertEqual(prefs.values["baladiya.language"], "ar")
        XCTAssertEqual(settings.versionText, "١.٢.٠ (بناء ٣٤)", "a version is not a decimal number")
        // The choice is kept: a new launch starts in Arabic whatever the phone says.
        let relaunched = SettingsModel(client: c, store: prefs, preferredLanguages: ["en-US"], version: "1.2.0", build: "34")
        XCTAssertEqual(relaunched.languageChoice, .ar)
        XCTAssertEqual(SettingsModel.launchLanguage(store: prefs, preferred: ["en-US"]), .ar)
        XCTAssertEqual(SettingsModel.launchLanguage(store: MemoryPreferences(), preferred: ["en-US"]), .en)
        XCTAssertEqual(c.language, .ar)

        // Notifications: on by default, off per kind, read by the background task without a model.
        XCTAssertTrue(settings.allowsNotification(.importantNews))
        settings.setNotification(.importantNews, on: false)
        XCTAssertFalse(SettingsModel.allowsNotification(.importantNews, store: prefs))
        XCTAssertTrue(SettingsModel.allowsNotification(.complaintUpdate, store: prefs))
        settings.setNotification(.complaintUpdate, on: false)
        XCTAssertFalse(settings.allowsNotification(.complaintNeedsAttention), "refusals are complaint updates too")
        settings.setNotification(.importantNews, on: true)
        XCTAssertTrue(settings.allowsNotification(.importantNews))

        // Data used: only the categories the language switch asked for, then the guide's first
        // sync and a bill, each counted where it belongs.
        await settings.reload()
        XCTAssertEqual(settings.usage.map(\.feature), ["guide", "complaints", "bills", "news", "total"])
        XCTAssertEqual(settings.usage.map(\.bytes).enumerated().filter { $0.offset != 1 && $0.offset != 4 }.map(\.element), [0, 0, 0])
        XCTAssertGreaterThan(settings.usage[1].bytes, 0, "complaint categories")
        XCTAssertEqual(settings.usage.first?.detail, "أُرسل ٠ بايت واستُقبل ٠ بايت")
        let sync = try await c.syncGuide()
        _ = try await c.saveBillAccount(account: BillTests.home, nickname: "البيت", verification: BillTests.homePhone)
        await settings.reload()
        let guide = try XCTUnwrap(settings.usage.first { $0.feature == "guide" })
        XCTAssertGreaterThan(guide.bytes, sync.bytesReceived / 2, "\(guide)")
        XCTAssertTrue(guide.detail.contains("كيلوبايت"), guide.detail)
        XCTAssertFalse(guide.detail.unicodeScalars.contains { ("0"..."9").contains($0) }, guide.detail)
        XCTAssertGreaterThan(settings.usage.first { $0.feature == "bills" }?.bytes ?? 0, 0)
        XCTAssertEqual(settings.usage.first { $0.feature == "news" }?.bytes, 0)
        XCTAssertEqual(settings.usage.last?.bytes, settings.usage.dropLast().map(\.bytes).reduce(0, +))
        // This month's part: the guide's sync moments ago, and never more than the total.
        XCTAssertTrue(settings.usage.allSatisfy { $0.monthBytes <= $0.bytes }, "\(settings.usage)")
        XCTAssertGreaterThan(guide.monthBytes, 0)
        XCTAssertEqual(guide.monthText, Lang.ar.text("settings.data.month", Display(.ar).bytes(guide.monthBytes)))
        let months = try await c.dataUsageByMonth(2)
        XCTAssertEqual(months.count, 2)
        XCTAssertTrue(months[1].features.allSatisfy { $0.bytesSent == 0 && $0.bytesReceived == 0 }, "last month: nothing")
        XCTAssertEqual(settings.savedBills, 1)
        XCTAssertEqual(settings.savedBillsText, "حساب واحد محفوظ")

        await settings.clearSavedBills()
        XCTAssertEqual(settings.savedBills, 0)
        XCTAssertEqual(settings.message, Lang.ar.text("settings.bills.cleared"))
        let left = try await c.savedBillAccounts()
        XCTAssertEqual(left, [])

        await settings.choose(.en)
        XCTAssertEqual(settings.usage.first?.label, "Services guide")
        XCTAssertTrue(settings.usage.first?.detail.hasSuffix("KB received") == true, settings.usage.first?.detail ?? "")
        await settings.choose(.system)
        XCTAssertNil(prefs.values["baladiya.language"])
        XCTAssertEqual(c.language, .en)
    }
}
