import Foundation
@_exported import BaladiyaBindings

/// The library's own text (never personal data) as the error's description, so
/// `error.localizedDescription` shows it rather than a dump of the enum.
extension ApiError: LocalizedError {
    public var errorDescription: String? { description }
}

/// The Baladiya core for Swift: async/await, an `AsyncStream` of events.
///
/// Local work (search, service details, filing a complaint with its photos) touches SQLite and runs
/// off the caller's actor; network work runs on the library's own runtime. Cancelling a task never
/// leaves the store half-written.
public final class BaladiyaClient: @unchecked Sendable {
    private let inner: Baladiya

    /// Open the local store in `dataDir` (the app's Application Support directory). No network.
    ///
    /// `locale` (`ar` or `en`) is the app's language: search rows are shown in it (see `language`)
    /// and it is asked of the complaints server; `apiKey` is this
    /// app's Open311 key; `open311Endpoint` and `jurisdictionId` point complaints at another
    /// GeoReport v2 server (by default the municipal server's own `open311/v2/`).
    public init(
        dataDir: String,
        serverUrl: String,
        requestTimeoutMs: UInt64 = 0,
        locale: String = "ar",
        apiKey: String? = nil,
        open311Endpoint: String? = nil,
        jurisdictionId: String? = nil
    ) throws {
        inner = try Baladiya.open(
            config: BaladiyaConfig(
                dataDir: dataDir, serverUrl: serverUrl, requestTimeoutMs: requestTimeoutMs, locale: locale,
                apiKey: apiKey, open311Endpoint: open311Endpoint, jurisdictionId: jurisdictionId))
    }

    /// Bring the procedures guide up to date (a 304 when unchanged, a delta when possible).
    public func syncGuide() async throws -> GuideSyncReport {
        try await inner.syncGuide()
    }

    /// One page of offline search results, each row in `language` unless the query matched only
    /// the other language; highlight spans are UTF-16 offsets (`NSRange`'s unit).
    public func searchGuide(_ query: String, limit: UInt32 = 20) async throws -> [GuideHit] {
        try await local { try $0.searchGuidePage(query: query, limit: limit).hits() }
    }

    /// The app's language: the `locale` opened with, until changed. Search rows follow it at once,
    /// complaint categories at their next `refreshComplaintCategories()`.
    public var language: Lang {
        get { inner.language() }
        set { inner.setLanguage(lang: newValue) }
    }

    /// How to show things in the app's language (digits, dates, words).
    public var display: Display { Display(language) }

    public func service(id: String) async throws -> Service {
        try await local { try $0.service(id: id) }
    }

    public func services(categoryId: String? = nil) async throws -> [Service] {
        try await local { try $0.services(categoryId: categoryId) }
    }

    public func violation(id: String) async throws -> Violation {
        try await local { try $0.violation(id: id) }
    }

    public func violations() async throws -> [Violation] {
        try await local { try $0.violations() }
    }

    public func departments() async throws -> [Department] {
        try await local { try $0.departments() }
    }

    public func categories() async throws -> [Category] {
        try await local { try $0.categories() }
    }

    public func guideVersion() async throws -> Int64? {
        try await local { try $0.guideVersion() }
    }

    // MARK: Complaints and suggestions
    //
    // Filing is offline: `submitComplaint` writes to the outbox and returns the tracking number at
    // once; `flushComplaints` sends, `refreshComplaints` brings the municipality's answers, and
    // both also report through `events()`.

    /// Fetch the complaint categories and their forms for offline use; returns how many.
    public func refreshComplaintCategories() async throws -> UInt32 {
        try await inner.refreshComplaintCategories()
    }

    /// The cached categories (empty before the first `refreshComplaintCategories()`).
    public func complaintCategories() async throws -> [ComplaintCategory] {
        try await local { try $0.complaintCategories() }
    }

    /// The form of one category: the attributes to ask for, in their `order`.
    public func complaintDefinition(code: String) async throws -> [AttributeDef] {
        try await local { try $0.complaintDefinition(code: code) }
    }

    /// File a complaint with no network: the draft is checked (`ApiError.Validation` names the
    /// field to fix, e.g. `attribute[severity]`), the photos (JPEG or PNG data, at most 3;
    /// ask the picker for JPEG rather than HEIC) are downscaled and stripped of metadata, and all
    /// of it is written to the outbox in one transaction. Returns the tracking number (`BL-…`).
    /// Photo preparation takes a moment; it runs off the caller's actor. A cancelled task may still
    /// have filed the complaint: it then shows in `complaints()`.
    public func submitComplaint(_ draft: ComplaintDraft, photos: [Data] = []) async throws -> String {
        try await local { try $0.submitComplaint(draft: draft, photos: photos) }
    }

    /// `submitComplaint` with the citizen's choice for the photos: `fullQuality` keeps them full
    /// size even on a slow link (otherwise a slow link gets ~1280 px, ~150 KB photos), and
    /// `onWifiOnly` sends the complaint now and its photos only while `setMetered` says the
    /// network is not metered ("send photos later, on Wi-Fi").
    public func submitComplaint(
        _ draft: ComplaintDraft, photos: [Data], fullQuality: Bool, onWifiOnly: Bool
    ) async throws -> String {
        try await local {
            try $0.submitComplaintWith(draft: draft, photos: photos, fullQuality: fullQuality, onWifiOnly: onWifiOnly)
        }
    }

    /// Tell the library whether the network is metered (cellular, or Low Data Mode) on every
    /// change the system reports; photos kept for Wi-Fi go only while it is not. Metered until told.
    public func setMetered(_ metered: Bool) { inner.setMetered(metered: metered) }

    /// Damage to the phone's database found and repaired since opening (at open too, before any
    /// listener existed): the file set aside and what was kept. Later ones also arrive as
    /// `.storeRecovered`. Call once after opening and tell the citizen (`StoreNoticeModel`).
    public func storeRecoveries() -> [StoreRecovery] { inner.storeRecoveries() }

    /// The link's throughput in bytes per second from recent transfers; nil before any.
    public var linkThroughput: UInt64? { inner.linkThroughput() }

    /// "This is my problem too" (issue 15.3): before filing, the open requests of `serviceCode`
    /// already reported within 50 m of `location`, nearest first, each marked `onThisPhone` when
    /// it is the citizen's own or one they follow. One small request to the municipality's own
    /// server. Never throws: without a location, offline, or against a server that does not take
    /// the extension the step is `.skipped` and the complaint is filed as usual (a failure inside
    /// the library counts as offline: the step is worth nothing then either).
    public func nearbyRequests(serviceCode: String, location: GeoPoint?) async -> NearbyCheck {
        do {
            return try await inner.nearbyRequests(serviceCode: serviceCode, location: location)
        } catch {
            return .skipped(reason: location == nil ? .noLocation : .offline)
        }
    }

    /// Follow a request `nearbyRequests` found instead of filing the same problem again. No
    /// network needed: it appears at once in `complaints()` with `followed` set, its later status
    /// changes arrive as `.complaintUpdated`, and the municipality counts the citizen on the next
    /// `refreshComplaints()` / `sendAndRefresh()`. Not theirs to rate or reopen. Returns its local
    /// id (following the same request again returns the same one).
    public func followRequest(_ request: NearbyRequest) async throws -> String {
        try await local { try $0.followRequest(request: request) }
    }

    /// Every complaint on this phone, newest first, with its state and history.
    public func complaints() async throws -> [Complaint] {
        try await local { try $0.complaints() }
    }

    public func complaint(localId: String) async throws -> Complaint {
        try await local { try $0.complaint(localId: localId) }
    }

    /// Withdraw a complaint that has not left the phone (or that the server refused). Once a send
    /// was attempted (even one that failed offline) only the server can close it: this then throws
    /// `ApiError.Validation` on `local_id`. The same holds for `editComplaint`.
    public func cancelComplaint(localId: String) async throws {
        try await local { try $0.cancelComplaint(localId: localId) }
    }

    /// Replace the draft of a refused (or not yet attempted) complaint and queue it again.
    public func editComplaint(localId: String, draft: ComplaintDraft) async throws {
        try await local { try $0.editComplaint(localId: localId, draft: draft) }
    }

    /// Queue a refused complaint again unchanged.
    public func resendComplaint(localId: String) async throws {
        try await local { try $0.resendComplaint(localId: localId) }
    }

    /// Say whether a closed complaint was really resolved (yes or no, 1 to 5 stars, an optional
    /// comment), once per closing. Needs no network: it goes to the outbox and the next flush sends
    /// it exactly once (`.complaintFollowUpSent`). Offered while `Complaint.canGiveFeedback`;
    /// otherwise `ApiError.Validation` on `local_id` (or `rating`, `comment`).
    public func giveComplaintFeedback(localId: String, feedback: FeedbackDraft) async throws {
        try await local { try $0.giveComplaintFeedback(localId: localId, feedback: feedback) }
    }

    /// Ask to reopen a closed complaint with the reason, within 14 days of its closing
    /// (`Complaint.canReopen`, until `Complaint.reopenUntil`); through the outbox like feedback.
    public func reopenComplaint(localId: String, reason: String) async throws {
        try await local { try $0.reopenComplaint(localId: localId, reason: reason) }
    }

    /// Send every queued complaint now, oldest first. Being offline is not an error here: the
    /// report's `retryLater` says which complaint waits and why; refusals are in `needsAttention`.
    public func flushComplaints() async throws -> ComplaintFlushReport {
        try await inner.flushComplaints()
    }

    /// Bring status changes and replies of sent complaints; each new entry is also an event.
    public func refreshComplaints() async throws -> RefreshReport {
        try await inner.refreshComplaints()
    }

    /// The refresh button: send what is queued, then bring the municipality's answers. The library
    /// decides (the same for both apps): when the server cannot be reached the refresh is skipped
    /// and `unreachable` says why and when the outbox tries again; a transient failure is reported
    /// there, not thrown.
    public func sendAndRefresh() async throws -> SendAndRefreshReport {
        try await inner.sendAndRefresh()
    }

    // MARK: Bills
    //
    // A statement is personal data: every online lookup needs the verification factor (see
    // `billVerification()`) beside the account number. The factor is never stored; a saved account
    // keeps its last statement for offline use, shown only to the same factor.

    /// What to ask for beside the account number: `kind` is `phone` or `national_id`, with a label
    /// to show in both languages. One small request.
    public func billVerification() async throws -> VerificationInfo {
        try await inner.billVerification()
    }

    /// Look a bill up. `account` and `verification` are taken as typed: digits of any script
    /// (`١٠٢٣٤٥١٨`), spaces and dashes are fine; a malformed account number is `ApiError.Validation`
    /// on `account` (or `verification`) before any request.
    ///
    /// Online, the fresh statement comes back (and refreshes a saved account's offline copy). When
    /// the server cannot be reached (or answers 5xx), a saved account's last statement comes back
    /// with `stale` set and the `fetchedAt` of that copy, provided `verification` is the factor
    /// verified online; an account not saved is then `ApiError.Offline` (or `.Network`, `.Server`).
    /// A wrong factor and an unknown account are the same `ApiError.Unauthorized`; repeated
    /// failures are `ApiError.Throttled`.
    public func lookupBill(account: String, verification: String) async throws -> BillLookup {
        try await inner.lookupBill(account: account, verification: verification)
    }

    /// Save an account under a nickname (home, shop, parents; 1 to 40 characters) after verifying
    /// it online; its statement is kept for offline lookups. Saving again renames it.
    public func saveBillAccount(account: String, nickname: String, verification: String) async throws -> BillLookup {
        try await inner.saveBillAccount(account: account, nickname: nickname, verification: verification)
    }

    /// The saved accounts, in the order they were saved.
    public func savedBillAccounts() async throws -> [SavedAccount] {
        try await local { try $0.savedBillAccounts() }
    }

    /// Forget a saved account and its offline copy (`ApiError.NotFound` if it was not saved).
    public func forgetBillAccount(account: String) async throws {
        try await local { try $0.forgetBillAccount(account: account) }
    }

    /// Forget every saved account and its offline copy (Settings); returns how many there were.
    @discardableResult
    public func forgetAllBillAccounts() async throws -> Int {
        try await local { Int(try $0.forgetAllBillAccounts()) }
    }

    /// The bytes the app has sent and received per feature (`guide`, `complaints`, `bills`,
    /// `news`) since it was installed, status lines and headers included.
    public func dataUsage() async throws -> [DataUsage] {
        try await local { try $0.dataUsage() }
    }

    /// The same per calendar month (UTC), the last `months` newest first, this month always
    /// included (what a data plan counts).
    public func dataUsageByMonth(_ months: UInt32) async throws -> [MonthUsage] {
        try await local { try $0.dataUsageByMonth(months: months) }
    }

    // MARK: News (the latest 100 items kept on the phone, with read marks)

    /// Refresh the offline news: one conditional request (a 304 of a few hundred bytes when nothing
    /// changed). New items also arrive as `.newsArrived`; withdrawn ones disappear.
    public func refreshNews() async throws -> NewsReport {
        try await inner.refreshNews()
    }

    /// The offline news, newest first; only the unread ones with `unreadOnly`.
    public func news(unreadOnly: Bool = false) async throws -> [StoredNews] {
        try await local { try $0.news(unreadOnly: unreadOnly) }
    }

    public func unreadNewsCount() async throws -> Int {
        try await local { Int(try $0.unreadNewsCount()) }
    }

    /// Mark one item read (`ApiError.NotFound` for an id not on the phone).
    public func markNewsRead(id: String) async throws {
        try await local { try $0.markNewsRead(id: id) }
    }

    public func markAllNewsRead() async throws {
        try await local { try $0.markNewsRead(id: nil) }
    }

    // MARK: Background sync

    /// For a `BGAppRefreshTask` / `BGProcessingTask`: send the complaints due, bring their answers,
    /// refresh the news and the guide, in that order, within `budgetMs`, stopping cleanly when it
    /// runs out. Never throws: what failed is in `errors` (offline stops at the first step), what
    /// to show as local notifications in `notifications`. Also raised as `.syncFinished`. A
    /// cancelled task lets the run finish inside the library.
    public func backgroundSync(budgetMs: UInt64) async -> SyncSummary {
        await inner.backgroundSync(budgetMs: budgetMs)
    }

    /// `backgroundSync(budgetMs:)` with the budget in seconds, as `BGTaskScheduler` thinks of it.
    public func backgroundSync(budget: TimeInterval) async -> SyncSummary {
        await backgroundSync(budgetMs: UInt64((min(max(0, budget), 86_400) * 1000).rounded()))
    }

    /// Events while iterated; ending the iteration unsubscribes. The listener is registered when
    /// this is called, so no event raised after it is missed.
    public func events() -> AsyncStream<BaladiyaEvent> {
        AsyncStream(bufferingPolicy: .bufferingNewest(64)) { continuation in
            let subscription = inner.subscribe(listener: StreamListener(continuation))
            continuation.onTermination = { _ in subscription.cancel() }
        }
    }

    /// For tests of the FFI boundary: a panic inside the library must arrive as an error.
    public func debugPanic() throws { try inner.debugPanic() }
    public func debugPanicAsync() async throws { try await inner.debugPanicAsync() }

    private func local<T: Sendable>(_ body: @escaping @Sendable (Baladiya) throws -> T) async throws -> T {
        let inner = self.inner
        return try await Task.detached(priority: .userInitiated) { try body(inner) }.value
    }
}

private final class StreamListener: EventListener, @unchecked Sendable {
    private let continuation: AsyncStream<BaladiyaEvent>.Continuation

    init(_ continuation: AsyncStream<BaladiyaEvent>.Continuation) {
        self.continuation = continuation
    }

    func onEvent(event: BaladiyaEvent) {
        continuation.yield(event)
    }
}

extension GuideHit {
    /// The matched substrings of the title, e.g. to check them or to bold them.
    public var markedTitle: [String] { Self.substrings(of: title, titleHighlights) }

    /// The matched substrings of the summary.
    public var markedSummary: [String] { Self.substrings(of: summary, summaryHighlights) }

    static func substrings(of text: String, _ spans: [TextSpan]) -> [String] {
        let utf16 = Array(text.utf16)
        return spans.compactMap { s in
            guard s.start <= s.end, Int(s.end) <= utf16.count else { return nil }
            return String(decoding: utf16[Int(s.start)..<Int(s.end)], as: UTF16.self)
        }
    }
}

extension BillLookup {
    /// When the statement was fetched from the server (`fetchedAt` is unix milliseconds).
    public var fetchedDate: Date { Date(timeIntervalSince1970: TimeInterval(fetchedAt) / 1000) }
}

extension SavedAccount {
    /// When its offline copy was fetched, if there is one.
    public var fetchedDate: Date? { fetchedAt.map { Date(timeIntervalSince1970: TimeInterval($0) / 1000) } }
}

extension BaladiyaClient {
    /// Subscribe now, then run `reload` on the main actor for every event `matters` accepts, until
    /// the returned task is cancelled. The view models' way of following the library.
    @MainActor
    func follow(
        _ matters: @escaping @Sendable (BaladiyaEvent) -> Bool,
        reload: @escaping @MainActor () async -> Void
    ) -> Task<Void, Never> {
        let events = self.events()
        return Task { @MainActor in
            for await event in events where matters(event) {
                await reload()
            }
        }
    }
}
