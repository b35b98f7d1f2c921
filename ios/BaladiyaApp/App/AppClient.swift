import BaladiyaKit
import Foundation

/// The process's one `BaladiyaClient`, opened on first use (the local store only: no network, a
/// few milliseconds). Shared by the views and by the background task, which may run without any
/// view; a static `let` is initialised once and thread-safely.
enum AppClient {
    static let shared: Result<BaladiyaClient, Error> = Result {
        let info = Bundle.main.infoDictionary ?? [:]
        // Info.plist: BaladiyaServerURL (https; plain http only to loopback, e.g. the simulator
        // against the reference server on the Mac) and BaladiyaOpen311APIKey.
        let server = nonEmpty(info["BaladiyaServerURL"]) ?? "https://api.baladiya.gaza.example/"
        let apiKey = nonEmpty(info["BaladiyaOpen311APIKey"])
        return try BaladiyaClient(
            dataDir: try dataDirectory().path,
            serverUrl: server,
            // The citizen's choice in Settings, else the phone's language (Arabic by default).
            locale: SettingsModel.launchLanguage(store: DefaultsPreferences(), preferred: AppLanguage.preferred) == .en ? "en" : "ar",
            apiKey: apiKey
        )
    }

    /// Application Support/Baladiya, kept out of iCloud and device backups: it holds the
    /// complaint outbox and salted verifiers of bill accounts, personal data that stays here.
    private static func dataDirectory() throws -> URL {
        let base = try FileManager.default.url(
            for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
        var dir = base.appendingPathComponent("Baladiya", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try? dir.setResourceValues(values)
        return dir
    }

    static var client: BaladiyaClient? { try? shared.get() }

    /// An Info.plist value, unless missing or left empty by an unset build setting.
    private static func nonEmpty(_ value: Any?) -> String? {
        guard let text = value as? String, !text.isEmpty, !text.hasPrefix("$(") else { return nil }
        return text
    }
}
