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
    /// `locale` (`ar` or `en`) is the language asked of the complaints server; `apiKey` is this
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

    /// One page of offline search results; highlight ranges are UTF-16 offsets (`NSRange`).
    public func searchGuide(_ query: String, limit: UInt32 = 20) async throws -> [GuideHit] {
        try await local { try $0.searchGuide(query: query, limit: limit) }
    }

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
    /// field to fix, e.g. `attribute[severity]`), the photos (JPEG, PNG or WebP data, at most 3;
    /// ask the picker for JPEG rather than HEIC) are downscaled and stripped of metadata, and all
    /// of it is written to the outbox in one transaction. Returns the tracking number (`BL-…`).
    /// Photo preparation takes a moment; it runs off the caller's actor. A cancelled task may still
    /// have filed the complaint: it then shows in `complaints()`.
    public func submitComplaint(_ draft: ComplaintDraft, photos: [Data] = []) async throws -> String {
        try await local { try $0.submitComplaint(draft: draft, photos: photos) }
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

    /// Send every queued complaint now, oldest first. Being offline is not an error here: the
    /// report's `retryLater` says which complaint waits and why; refusals are in `needsAttention`.
    public func flushComplaints() async throws -> ComplaintFlushReport {
        try await inner.flushComplaints()
    }

    /// Bring status changes and replies of sent complaints; each new entry is also an event.
    public func refreshComplaints() async throws -> RefreshReport {
        try await inner.refreshComplaints()
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
    /// The highlighted substrings of one field in one language, e.g. to bold them in a `Text`.
    public func highlighted(_ field: HitField, _ lang: Lang) -> [String] {
        let text: String
        switch (field, lang) {
        case (.title, .ar): text = title.ar
        case (.title, .en): text = title.en
        case (.summary, .ar): text = summary.ar
        case (.summary, .en): text = summary.en
        }
        let utf16 = Array(text.utf16)
        return highlights.filter { $0.field == field && $0.lang == lang }.compactMap { h in
            guard h.start <= h.end, Int(h.end) <= utf16.count else { return nil }
            return String(decoding: utf16[Int(h.start)..<Int(h.end)], as: UTF16.self)
        }
    }
}
