import Foundation

/// The guide tab without a query: the categories as chips, the services of the chosen one, and
/// the sync of the catalogue. The automatic sync at launch stays quiet when the server cannot be
/// reached (the guide on the phone is what the citizen reads anyway); a sync the citizen asked
/// for says why it failed.
@MainActor
public final class GuideBrowseModel: ViewModel {
    public struct Chip: Equatable {
        public let id: String
        /// In the app's language.
        public let name: String
    }

    public private(set) var chips: [Chip] = []
    /// The chosen category; nil for all.
    public private(set) var category: String?
    public private(set) var services: [Service] = []
    /// The catalogue version on the phone; nil before the first sync.
    public private(set) var version: Int64?
    public private(set) var loaded = false
    public private(set) var syncing = false
    public private(set) var errorText: String?
    private let client: BaladiyaClient

    public init(client: BaladiyaClient) {
        self.client = client
    }

    /// Nothing on the phone yet: the citizen is asked to connect once.
    public var notDownloaded: Bool { loaded && version == nil && services.isEmpty }

    /// Read the catalogue from the phone.
    public func loadLocal() async {
        let d = client.display
        let version = try? await client.guideVersion()
        let categories = (try? await client.categories()) ?? []
        let services = (try? await client.services(categoryId: category)) ?? []
        update {
            self.version = version
            self.chips = categories.map { Chip(id: $0.id, name: d.pick($0.name)) }
            self.services = services
            self.loaded = true
        }
    }

    /// Show one category's services (nil: all).
    public func select(_ id: String?) async {
        update { self.category = id }
        if let found = try? await client.services(categoryId: id), category == id {
            update { self.services = found }
        }
    }

    /// Bring the catalogue up to date, then read it again. `userAsked`: a pull to refresh or
    /// the retry button, which report being offline; the launch's sync does not.
    public func sync(userAsked: Bool) async {
        guard !syncing else { return }
        update { self.syncing = true }
        var failure: String?
        do {
            _ = try await client.syncGuide()
        } catch {
            let unreachable: Bool
            switch error as? ApiError {
            case .Offline?, .Network?: unreachable = true
            default: unreachable = false
            }
            if userAsked || !unreachable { failure = client.display.describe(error) }
        }
        await loadLocal()
        update {
            self.syncing = false
            self.errorText = failure
        }
    }

    public func dismissError() {
        update { self.errorText = nil }
    }
}

extension Display {
    /// A service's fee: free, varies (no amount), or the amount.
    public func fee(minor: Int64?, currency: String) -> String {
        guard let minor else { return text("fee.varies") }
        return minor == 0 ? text("fee.free") : money(minor: minor, currency: currency)
    }

    /// A violation's fine: one amount, or "from … to …".
    public func fine(_ v: Violation) -> String {
        if v.fineMinMinor == v.fineMaxMinor { return money(minor: v.fineMinMinor, currency: v.currency) }
        return text("fine.range", money(minor: v.fineMinMinor, currency: v.currency), money(minor: v.fineMaxMinor, currency: v.currency))
    }

    /// A step's number: "٣." / "3.".
    public func ordinal(_ n: Int) -> String { number(Int64(n)) + "." }
}

/// Where a tap on a phone or WhatsApp number goes.
public enum ContactLinks {
    /// `tel:` with the digits as ASCII (a leading + kept); nil when there are no digits.
    public static func dial(_ phone: String) -> URL? {
        let number = FieldKind.phone.normalized(phone)
        return number.contains(where: \.isNumber) ? URL(string: "tel:" + number) : nil
    }

    /// WhatsApp's click-to-chat link: the international number, digits only.
    public static func whatsApp(_ phone: String) -> URL? {
        let digits = FieldKind.phone.normalized(phone).filter(\.isNumber)
        return digits.isEmpty ? nil : URL(string: "https://wa.me/" + digits)
    }
}
