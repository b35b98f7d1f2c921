import XCTest
@testable import BaladiyaKit

/// Bill lookup and saved accounts through the Swift facade, against the real reference server.
final class BillTests: ServerTestCase {
    // Sample accounts of the reference server (sample data).
    static let home = "10234518"
    static let homePhone = "0599123456"
    static let other = "10561203"
    static let otherPhone = "0567654321"

    /// The error a call throws, or a failure when it returns.
    func apiError<T>(_ call: () async throws -> T, file: StaticString = #filePath, line: UInt = #line) async -> ApiError? {
        do {
            let value = try await call()
            XCTFail("expected an error, got \(value)", file: file, line: line)
        } catch let error as ApiError {
            return error
        } catch {
            XCTFail("expected an ApiError, got \(error)", file: file, line: line)
        }
        return nil
    }

    func testALookupInArabicIndicDigitsReturnsTheSameStatementAsInAscii() async throws {
        let c = try client()
        let asked = try await c.billVerification()
        XCTAssertEqual(asked.kind, "phone")
        XCTAssertEqual(asked.header, "X-Baladiya-Verification")
        XCTAssertFalse(asked.label.ar.isEmpty)

        let ascii = try await c.lookupBill(account: Self.home, verification: Self.homePhone)
        XCTAssertFalse(ascii.stale)
        XCTAssertEqual(ascii.statement.account, Self.home)
        XCTAssertEqual(ascii.statement.history.count, 24)
        XCTAssertEqual(ascii.statement.currency, "ILS")
        XCTAssertLessThan(abs(ascii.fetchedDate.timeIntervalSinceNow), 60)

        let arabic = try await c.lookupBill(account: "١٠٢٣٤٥١٨", verification: "٠٥٩٩١٢٣٤٥٦")
        XCTAssertFalse(arabic.stale)
        XCTAssertEqual(arabic.statement, ascii.statement)
        // Eastern Arabic-Indic (Persian) digits, spaces and dashes too.
        let persian = try await c.lookupBill(account: "۱۰۲۳ ۴۵۱۸", verification: "059-912-3456")
        XCTAssertEqual(persian.statement, ascii.statement)

        // The second sample account: a discount, arrears and late fees.
        let other = try await c.lookupBill(account: "١٠٥٦١٢٠٣", verification: "٠٥٦٧٦٥٤٣٢١").statement
        XCTAssertEqual(other.account, Self.other)
        let kinds = Set(other.current.lines.map(\.kind))
        XCTAssertTrue(kinds.isSuperset(of: [.discount, .arrears, .lateFee]), "\(kinds)")
        XCTAssertGreaterThan(other.arrearsMinor, 0)

        // A lookup of an account that is not saved leaves nothing on the phone.
        let saved = try await c.savedBillAccounts()
        XCTAssertTrue(saved.isEmpty)
    }

    func testAWrongPhoneIsUnauthorizedAndAMalformedAccountIsRefusedBeforeAnyRequest() async throws {
        let c = try client()
        let wrong = await apiError { try await c.lookupBill(account: Self.home, verification: "0599000000") }
        guard case .Unauthorized = wrong else { return XCTFail("expected unauthorized, got \(String(describing: wrong))") }
        // Another account's phone is just as wrong: the server does not say which part failed.
        let crossed = await apiError { try await c.lookupBill(account: Self.home, verification: Self.otherPhone) }
        guard case .Unauthorized = crossed else { return XCTFail("got \(String(describing: crossed))") }
        XCTAssertEqual(crossed?.localizedDescription, wrong?.localizedDescription)

        let short = await apiError { try await c.lookupBill(account: "١٠٢٣", verification: Self.homePhone) }
        guard case let .Validation(field, _, _, _) = short else { return XCTFail("got \(String(describing: short))") }
        XCTAssertEqual(field, "account")
        let noPhone = await apiError { try await c.lookupBill(account: Self.home, verification: "12") }
        guard case let .Validation(phoneField, _, _, _) = noPhone else { return XCTFail("got \(String(describing: noPhone))") }
        XCTAssertEqual(phoneField, "verification")
        let noName = await apiError { try await c.saveBillAccount(account: Self.home, nickname: " ", verification: Self.homePhone) }
        guard case let .Validation(nameField, _, _, _) = noName else { return XCTFail("got \(String(describing: noName))") }
        XCTAssertEqual(nameField, "nickname")
        let saved = try await c.savedBillAccounts()
        XCTAssertTrue(saved.isEmpty, "nothing saved without a verified lookup")
    }

    func testASavedAccountsStatementIsThereOfflineStaleWithItsDate() async throws {
        do {
            let c = try client()
            let saved = try await c.saveBillAccount(account: "١٠٢٣٤٥١٨", nickname: "البيت", verification: Self.homePhone)
            XCTAssertFalse(saved.stale)
            let accounts = try await c.savedBillAccounts()
            XCTAssertEqual(accounts, [SavedAccount(account: Self.home, nickname: "البيت", fetchedAt: saved.fetchedAt)])
            XCTAssertEqual(accounts.first?.fetchedDate, saved.fetchedDate)

            server.stopKeepingData()
            let offline = try await c.lookupBill(account: Self.home, verification: "٠٥٩٩١٢٣٤٥٦")
            XCTAssertTrue(offline.stale)
            XCTAssertEqual(offline.statement, saved.statement)
            XCTAssertEqual(offline.fetchedAt, saved.fetchedAt)

            // Offline, the copy is shown only to the factor verified online.
            let wrong = await apiError { try await c.lookupBill(account: Self.home, verification: "0599000000") }
            guard case .Unauthorized = wrong else { return XCTFail("got \(String(describing: wrong))") }
            // An account never saved has no copy.
            let unsaved = await apiError { try await c.lookupBill(account: Self.other, verification: Self.otherPhone) }
            guard case .Offline = unsaved else { return XCTFail("got \(String(describing: unsaved))") }

            try await c.forgetBillAccount(account: Self.home)
            let none = try await c.savedBillAccounts()
            XCTAssertTrue(none.isEmpty)
            let forgotten = await apiError { try await c.lookupBill(account: Self.home, verification: Self.homePhone) }
            guard case .Offline = forgotten else { return XCTFail("got \(String(describing: forgotten))") }
            let again = await apiError { try await c.forgetBillAccount(account: Self.home) }
            guard case .NotFound = again else { return XCTFail("got \(String(describing: again))") }
        }
        // The copy survives closing the app; a second save of the same account renames it.
        try server.restart()
        do {
            let c = try client()
            _ = try await c.saveBillAccount(account: Self.other, nickname: "المحل", verification: Self.otherPhone)
            let renamed = try await c.saveBillAccount(account: Self.other, nickname: "بيت الأهل", verification: Self.otherPhone)
            let accounts = try await c.savedBillAccounts()
            XCTAssertEqual(accounts, [SavedAccount(account: Self.other, nickname: "بيت الأهل", fetchedAt: renamed.fetchedAt)])
        }
        server.stopKeepingData()
        let c = try client()
        let offline = try await c.lookupBill(account: Self.other, verification: Self.otherPhone)
        XCTAssertTrue(offline.stale)
        XCTAssertEqual(offline.statement.account, Self.other)
    }

    func testManyConcurrentCallsMixingSearchAndBillLookups() async throws {
        let c = try client()
        _ = try await c.syncGuide()
        _ = try await c.saveBillAccount(account: Self.other, nickname: "المحل", verification: Self.otherPhone)
        let queries = ["رخصة", "مياه", "permit", "رخصه بناء", "براءة ذمة"]
        var expectedHits: [String: [String]] = [:]
        for q in queries { expectedHits[q] = try await c.searchGuide(q, limit: 20).map(\.id) }
        let accounts = [(Self.home, Self.homePhone), (Self.other, Self.otherPhone), ("١٠٢٣٤٥١٨", "٠٥٩٩١٢٣٤٥٦")]
        var expectedBills: [String: BillStatement] = [:]
        for (a, p) in accounts { expectedBills[a] = try await c.lookupBill(account: a, verification: p).statement }

        let hits = expectedHits
        let bills = expectedBills
        // Bill lookups in `billLanes` lanes, each one after the other: the server counts every
        // verification in flight against its failure limits (5 per account, 20 per client) until
        // it succeeds, so more parallel lookups of one account come back Throttled.
        let billLanes = 4
        let (lookups, calls) = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for lane in 0..<billLanes {
                group.addTask {
                    for n in 0..<15 {
                        let (a, p) = accounts[(lane + n) % accounts.count]
                        let lookup = try await c.lookupBill(account: a, verification: p)
                        XCTAssertFalse(lookup.stale)
                        XCTAssertEqual(lookup.statement, bills[a], a)
                    }
                    return (15, 0)
                }
            }
            for i in 1...240 {
                group.addTask {
                    if i % 8 == 0 {
                        let saved = try await c.savedBillAccounts()
                        XCTAssertEqual(saved.map(\.account), [Self.other])
                    } else {
                        let q = queries[i % queries.count]
                        let ids = try await c.searchGuide(q, limit: 20).map(\.id)
                        XCTAssertEqual(ids, hits[q], q)
                    }
                    return (0, 1)
                }
            }
            var total = (0, 0)
            for try await (l, s) in group { total = (total.0 + l, total.1 + s) }
            return total
        }
        XCTAssertEqual(lookups, billLanes * 15)
        XCTAssertEqual(calls, 240)
    }
}
