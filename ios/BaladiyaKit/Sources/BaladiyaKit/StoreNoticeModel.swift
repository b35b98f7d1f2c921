import Foundation

/// The phone's database was found damaged and rebuilt by the library (at open, or while the app
/// ran): the citizen is told once what was kept, so a complaint that seems gone is not filed
/// twice and the guide downloading again is no surprise.
@MainActor
public final class StoreNoticeModel: ViewModel {
    /// The latest repair not yet acknowledged.
    public private(set) var recovery: StoreRecovery?
    private let client: BaladiyaClient
    private var listening: Task<Void, Never>?

    public init(client: BaladiyaClient) {
        self.client = client
    }

    /// Read what happened at open, then follow the library's events.
    public func start() {
        if let last = client.storeRecoveries().last { show(last) }
        guard listening == nil else { return }
        let events = client.events()
        listening = Task { @MainActor [weak self] in
            for await event in events {
                if case let .storeRecovered(recovery) = event { self?.show(recovery) }
            }
        }
    }

    public func stop() {
        listening?.cancel()
        listening = nil
    }

    public func dismiss() { update { recovery = nil } }

    private func show(_ r: StoreRecovery) { update { recovery = r } }

    public var title: String { client.display.text("store.repaired.title") }

    /// What was kept, in the app's language and digits; nil when there is nothing to tell.
    public var message: String? {
        guard let r = recovery else { return nil }
        let d = client.display
        let kept = d.text("store.repaired", d.number(Int64(r.unsentComplaintsRecovered)), d.number(Int64(r.billAccountsRecovered)))
        return r.complete ? kept : kept + " " + d.text("store.repaired.incomplete")
    }
}
