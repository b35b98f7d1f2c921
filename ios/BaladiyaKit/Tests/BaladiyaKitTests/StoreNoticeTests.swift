import XCTest
@testable import BaladiyaKit

/// Issue 10.10 in the app: a database found damaged at open is set aside and rebuilt by the
/// library, and the citizen is told once what was kept.
final class StoreNoticeTests: ServerTestCase {
    override func client() throws -> BaladiyaClient {
        try BaladiyaClient(dataDir: appDir.path, serverUrl: server.url, apiKey: ComplaintTests.demoAppKey)
    }

    @MainActor
    func testADamagedDatabaseAtOpenIsToldOnceWithWhatWasKept() async throws {
        do {
            let c = try client()
            _ = try await c.saveBillAccount(account: BillTests.home, nickname: "البيت", verification: BillTests.homePhone)
            _ = try await c.submitComplaint(ComplaintDraft(
                serviceCode: "water-leak", description: "تسرب أمام المدرسة",
                attributes: [AttributeAnswer(code: "severity", values: ["steady"])],
                location: GeoPoint(lat: 31.52, long: 34.45), address: nil, contact: nil))
        }
        // The power went out mid-write: the file's header is garbage.
        let file = try FileHandle(forUpdating: appDir.appendingPathComponent("baladiya.db"))
        try file.seek(toOffset: 0)
        try file.write(contentsOf: Data(repeating: 0x5A, count: 100))
        try file.close()

        let c = try client()
        let model = StoreNoticeModel(client: c)
        XCTAssertNil(model.message)
        model.start()
        defer { model.stop() }
        let r = try XCTUnwrap(model.recovery)
        XCTAssertTrue(r.atOpen)
        XCTAssertEqual(model.title, "أُصلحت بيانات التطبيق")
        let kept = "تلفت بيانات التطبيق على هذا الهاتف فأُعيد بناؤها. حُفظ ما يلي: الشكاوى التي لم تُرسَل بعد، ١؛ وحسابات الفواتير المحفوظة، ١. ويُنزَّل الدليل من جديد."
        XCTAssertEqual(model.message, r.complete ? kept : kept + " تعذّرت قراءة بعض البيانات القديمة.")
        model.dismiss()
        XCTAssertNil(model.message)

        // What it said is true.
        let complaints = try await c.complaints()
        XCTAssertEqual(complaints.map(\.state), [.queued])
        let saved = try await c.savedBillAccounts()
        XCTAssertEqual(saved.map(\.account), [BillTests.home])
    }
}
