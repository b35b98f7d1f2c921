import Foundation

/// Where the settings are kept: `UserDefaults` in the app (`DefaultsPreferences`), a dictionary
/// in tests.
public protocol PreferenceStore: AnyObject {
    func string(forKey key: String) -> String?
    func set(_ value: String?, forKey key: String)
}

public final class DefaultsPreferences: PreferenceStore {
    private let defaults: UserDefaults

    public init(_ defaults: UserDefaults = .standard) {
        self.defaults = defaults
    }

    public func string(forKey key: String) -> String? { defaults.string(forKey: key) }
    public func set(_ value: String?, forKey key: String) { defaults.set(value, forKey: key) }
}

/// The language the citizen chose in Settings; by default the phone's.
public enum LanguageChoice: String, CaseIterable {
    case system, ar, en

    /// The language to run in: the chosen one, or for `system` the first of the phone's
    /// preferred languages the app speaks (Arabic when none: the municipality's language).
    public func resolve(preferred: [String]) -> Lang {
        switch self {
        case .ar: return .ar
        case .en: return .en
        case .system:
            for tag in preferred {
                if tag.hasPrefix("ar") { return .ar }
                if tag.hasPrefix("en") { return .en }
            }
            return .ar
        }
    }
}

/// One line of Settings › Data used.
public struct UsageRow: Equatable {
    /// `guide`, `complaints`, `bills`, `news`, or `total`.
    public let feature: String
    public let label: String
    /// "31.1 KB sent, 7.9 KB received" in the app's language and digits.
    public let detail: String
    public let bytes: UInt64
    /// This calendar month's part of `bytes` (what a data plan counts), and it in words:
    /// "This month: 12.4 KB".
    public let monthBytes: UInt64
    public let monthText: String
}

/// The settings screen: language (Arabic, English or the phone's), notifications per kind, the
/// data used per feature, clearing saved bills, the version. Also read without a screen: the app
/// asks `language` at launch and `allowsNotification(_:)` before posting one.
@MainActor
public final class SettingsModel: ViewModel {
    nonisolated static let languageKey = "baladiya.language"
    nonisolated static let notifyKeys: [NotificationKind: String] = [
        .complaintUpdate: "baladiya.notify.complaints",
        .complaintNeedsAttention: "baladiya.notify.complaints",
        .importantNews: "baladiya.notify.news",
    ]

    public private(set) var languageChoice: LanguageChoice
    public private(set) var usage: [UsageRow] = []
    public private(set) var savedBills = 0
    /// A confirmation or a failure to show, in the citizen's words.
    public private(set) var message: String?
    public let version: String
    public let build: String

    private let client: BaladiyaClient
    private let store: PreferenceStore
    private let preferredLanguages: [String]

    /// `preferredLanguages` is the phone's list (`Locale.preferredLanguages`).
    public init(client: BaladiyaClient, store: PreferenceStore, preferredLanguages: [String], version: String, build: String) {
        self.client = client
        self.store = store
        self.preferredLanguages = preferredLanguages
        self.version = version
        self.build = build
        languageChoice = Self.storedChoice(store)
        client.language = languageChoice.resolve(preferred: preferredLanguages)
    }

    /// The language to open the library in at launch (also for a background task, which has no
    /// settings screen).
    public nonisolated static func launchLanguage(store: PreferenceStore, preferred: [String]) -> Lang {
        storedChoice(store).resolve(preferred: preferred)
    }

    private nonisolated static func storedChoice(_ store: PreferenceStore) -> LanguageChoice {
        store.string(forKey: languageKey).flatMap(LanguageChoice.init(rawValue:)) ?? .system
    }

    /// The language the app runs in now.
    public var language: Lang { client.language }
    public var display: Display { client.display }

    /// Switch the language: texts, digits and layout direction follow at once; complaint
    /// categories and their questions come in it at their refresh, asked for here (quietly:
    /// offline they follow later).
    public func choose(_ choice: LanguageChoice) async {
        update {
            self.languageChoice = choice
            self.store.set(choice == .system ? nil : choice.rawValue, forKey: Self.languageKey)
            self.client.language = choice.resolve(preferred: self.preferredLanguages)
        }
        await reload()
        _ = try? await client.refreshComplaintCategories()
    }

    /// The name of a choice as the picker shows it.
    public func label(_ choice: LanguageChoice) -> String { display.text("settings.language.\(choice.rawValue)") }

    // MARK: Notifications

    public func allowsNotification(_ kind: NotificationKind) -> Bool {
        Self.allowsNotification(kind, store: store)
    }

    /// On by default; read by the background task, which has no model.
    public nonisolated static func allowsNotification(_ kind: NotificationKind, store: PreferenceStore) -> Bool {
        guard let key = notifyKeys[kind] else { return true }
        return store.string(forKey: key) != "off"
    }

    public func setNotification(_ kind: NotificationKind, on: Bool) {
        guard let key = Self.notifyKeys[kind] else { return }
        update { self.store.set(on ? nil : "off", forKey: key) }
    }

    // MARK: Data and saved bills

    public var versionText: String { display.text("settings.versionValue", display.digits(version), display.digits(build)) }

    public var savedBillsText: String { display.plural("settings.bills.count", savedBills) }

    /// The data used per feature and in total, and how many accounts are saved, from the phone.
    public func reload() async {
        let d = display
        do {
            // This month first: a sync may count bytes between the two reads, and read the other
            // way round this month could show more than the total since installation.
            let month = try await client.dataUsageByMonth(1).first?.features ?? []
            let counted = try await client.dataUsage()
            let saved = try await client.savedBillAccounts().count
            var rows: [UsageRow] = []
            var sent: UInt64 = 0
            var received: UInt64 = 0
            var monthTotal: UInt64 = 0
            for feature in ["guide", "complaints", "bills", "news"] {
                let u = counted.first { $0.feature == feature }
                let (s, r) = (u?.bytesSent ?? 0, u?.bytesReceived ?? 0)
                let m = month.first { $0.feature == feature }.map { $0.bytesSent + $0.bytesReceived } ?? 0
                sent += s
                received += r
                monthTotal += m
                rows.append(UsageRow(feature: feature, label: d.text("settings.data.\(feature)"),
                                     detail: d.text("settings.data.row", d.bytes(s), d.bytes(r)), bytes: s + r,
                                     monthBytes: m, monthText: d.text("settings.data.month", d.bytes(m))))
            }
            rows.append(UsageRow(feature: "total", label: d.text("settings.data.total"),
                                 detail: d.text("settings.data.row", d.bytes(sent), d.bytes(received)), bytes: sent + received,
                                 monthBytes: monthTotal, monthText: d.text("settings.data.month", d.bytes(monthTotal))))
            update {
                self.usage = rows
                self.savedBills = saved
            }
        } catch {
            update { self.message = d.describe(error) }
        }
    }

    /// Forget every saved account and its offline bill.
    public func clearSavedBills() async {
        do {
            try await client.forgetAllBillAccounts()
            await reload()
            update { self.message = self.display.text("settings.bills.cleared") }
        } catch {
            update { self.message = self.display.describe(error) }
        }
    }

    public func dismissMessage() {
        update { self.message = nil }
    }
}
