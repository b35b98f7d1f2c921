import Foundation

/// The view model of the news screen and of the unread badge: the offline news, newest first,
/// the unread count, and what to tell the user. Kept current while started from the library's
/// events (news arrived, a background sync finished) and from its own read marks. UI frameworks
/// observe it (ObservableObject where Combine exists).
///
/// Call `start()` when the screen (or the tab bar with the badge) appears and `stop()` when it
/// goes away.
@MainActor
public final class NewsModel: ViewModel {
    public private(set) var items: [StoredNews] = []
    public private(set) var unreadCount = 0
    /// Show only the unread items.
    public var unreadOnly = false {
        willSet {
            if newValue != unreadOnly { willChange() }
        }
        didSet {
            if unreadOnly != oldValue { Task { await reload() } }
        }
    }
    /// The last failure to show (offline, a store error); nil after a successful load or refresh.
    public private(set) var errorText: String?
    /// True while `refresh()` runs (pull to refresh).
    public private(set) var isRefreshing = false
    private let client: BaladiyaClient
    private var listening: Task<Void, Never>?
    private var generation = 0

    public init(client: BaladiyaClient) {
        self.client = client
    }

    /// Load what is on the phone and follow the library's events until `stop()`. Calling it again
    /// does nothing.
    public func start() {
        guard listening == nil else { return }
        // Subscribed before the first load, so no change can slip in between.
        listening = client.follow({ event in
            switch event {
            case .newsArrived, .syncFinished: return true
            default: return false // guide and complaints are other screens' business
            }
        }, reload: { [weak self] in await self?.reload() })
        Task { await reload() }
    }

    /// Stop following events (ends the subscription).
    public func stop() {
        listening?.cancel()
        listening = nil
    }

    /// Read the news and the count from the phone's store. Only the latest of overlapping loads
    /// lands.
    public func reload() async {
        generation += 1
        let mine = generation
        do {
            let found = try await client.news(unreadOnly: unreadOnly)
            let count = try await client.unreadNewsCount()
            guard mine == generation else { return }
            willChange()
            items = found
            unreadCount = count
            errorText = nil
        } catch {
            guard mine == generation else { return }
            willChange()
            errorText = client.display.describe(error)
        }
    }

    /// Ask the server for news (pull to refresh). Offline is reported in `errorText`; what is on
    /// the phone stays.
    public func refresh() async {
        willChange()
        isRefreshing = true
        defer {
            willChange()
            isRefreshing = false
        }
        var failure: String?
        do {
            _ = try await client.refreshNews()
        } catch {
            failure = client.display.describe(error)
        }
        await reload()
        if let failure {
            willChange()
            errorText = failure
        }
    }

    /// An item opened from the list or a notification: found among all the news on the phone
    /// (the list may show only unread ones) and marked read. Nil when it is no longer there.
    public func open(id: String) async -> StoredNews? {
        guard let found = (try? await client.news(unreadOnly: false))?.first(where: { $0.item.id == id }) else { return nil }
        if !found.read { await markRead(id: id) }
        return found
    }

    /// The item was opened.
    public func markRead(id: String) async {
        await perform { try await $0.markNewsRead(id: id) }
    }

    public func markAllRead() async {
        await perform { try await $0.markAllNewsRead() }
    }

    private func perform(_ action: @escaping @Sendable (BaladiyaClient) async throws -> Void) async {
        do {
            try await action(client)
            await reload()
        } catch {
            await reload()
            willChange()
            errorText = client.display.describe(error)
        }
    }
}
