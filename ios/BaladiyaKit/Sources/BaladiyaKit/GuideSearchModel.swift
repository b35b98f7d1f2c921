import Foundation

/// The view model of the guide's search screen: the query as typed, the page of hits, and what
/// to tell the user. UI frameworks observe it (ObservableObject where Combine exists).
@MainActor
public final class GuideSearchModel: ViewModel {
    public private(set) var query = ""
    public private(set) var hits: [GuideHit] = []
    public private(set) var errorText: String?
    private let client: BaladiyaClient
    private var running: Task<Void, Never>?

    public init(client: BaladiyaClient) {
        self.client = client
    }

    /// The language rows are shown in (the client's); changing it searches again.
    public var language: Lang {
        get { client.language }
        set {
            guard newValue != client.language else { return }
            client.language = newValue
            if !query.isEmpty { update(query: query) }
        }
    }

    /// Call on every keystroke: the previous search is cancelled, only the latest result lands.
    public func update(query: String) {
        self.query = query
        running?.cancel()
        running = Task { [client] in
            do {
                let found = try await client.searchGuide(query, limit: 20)
                guard !Task.isCancelled else { return }
                willChange()
                hits = found
                errorText = nil
            } catch {
                guard !Task.isCancelled else { return }
                willChange()
                errorText = client.display.describe(error)
            }
        }
    }

    /// Wait for the search in flight (tests, previews).
    public func settle() async {
        await running?.value
    }
}
