import Foundation
@_exported import BaladiyaBindings

/// The library's own text (never personal data) as the error's description, so
/// `error.localizedDescription` shows it rather than a dump of the enum.
extension ApiError: LocalizedError {
    public var errorDescription: String? { description }
}

/// The Baladiya core for Swift: async/await, an `AsyncStream` of events.
///
/// Local reads (search, service details) touch SQLite and run off the caller's actor; network work
/// runs on the library's own runtime. Cancelling a task never leaves the store half-written.
public final class BaladiyaClient: @unchecked Sendable {
    private let inner: Baladiya

    /// Open the local store in `dataDir` (the app's Application Support directory). No network.
    public init(dataDir: String, serverUrl: String, requestTimeoutMs: UInt64 = 0) throws {
        inner = try Baladiya.open(
            config: BaladiyaConfig(dataDir: dataDir, serverUrl: serverUrl, requestTimeoutMs: requestTimeoutMs))
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

    /// Events while iterated; ending the iteration unsubscribes.
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
