import BaladiyaKit
import Foundation
import SwiftUI

// Binding only. The words, digits, dates, money, identifiers and error sentences come from
// BaladiyaKit (`Display`, `Lang.text`), where XCTest covers them; what is here passes the app's
// language to the kit and turns the kit's marks into SwiftUI styling.

/// The language the app runs in: the library's (`BaladiyaClient.language`), set at launch and by
/// Settings from the citizen's choice (Arabic, English, or the phone's language).
enum AppLanguage {
    static var lang: Lang { AppClient.client?.language ?? .ar }
    static var display: Display { Display(lang) }
    static var isRightToLeft: Bool { lang == .ar }
    static var locale: Locale { Locale(identifier: lang == .ar ? "ar" : "en") }

    /// The phone's choice for "follow the system": the localization iOS picked for the app (it
    /// honours Settings › Baladiya › Language), then the phone's languages.
    static var preferred: [String] { Bundle.main.preferredLocalizations + Locale.preferredLanguages }
}

/// The words of `key` in the app's language, with already-formatted arguments.
func L(_ key: String, _ args: String...) -> String {
    AppLanguage.lang.text(key, args: args)
}

/// A count in words (Arabic's six plural forms), its number in the app's digits.
func Lp(_ key: String, _ count: Int) -> String {
    AppLanguage.lang.plural(key, count)
}

extension Localized {
    /// The text in the app's language (the other one if this one is empty).
    var text: String { AppLanguage.display.pick(self) }
}

/// The kit's formatters in the app's language.
enum Format {
    static var d: Display { AppLanguage.display }
    static func money(_ minor: Int64, _ currency: String) -> String { d.money(minor: minor, currency: currency) }
    static func number(_ n: Int64) -> String { d.number(n) }
    static func dateTime(ms: Int64) -> String { d.dateTime(ms: ms) }
    static func isoDate(_ text: String) -> String { d.isoDate(text) }
    static func period(_ text: String) -> String { d.period(text) }
    static func rfc3339(_ text: String) -> String { d.rfc3339(text) }
    static func rfc3339(_ date: Date) -> String { d.rfc3339(date) }
    static func phone(_ text: String) -> String { d.phone(text) }
    static func account(_ text: String) -> String { d.account(text) }
    static func tracking(_ text: String) -> String { d.tracking(text) }
}

/// What to tell the citizen about a failure, per kind, in the app's language.
func describe(_ error: Error) -> String { AppLanguage.display.describe(error) }

extension View {
    /// Phone, account, meter and other identifier inputs read left to right in both languages.
    @ViewBuilder
    func direction(of kind: FieldKind) -> some View {
        if kind.isLeftToRight {
            environment(\.layoutDirection, .leftToRight)
        } else {
            self
        }
    }
}

extension GuideHit {
    /// The title with the kit's matched words (whole words) in bold on a tint.
    var attributedTitle: AttributedString { Self.styled(highlightedTitle) }

    var attributedSummary: AttributedString { Self.styled(highlightedSummary) }

    private static func styled(_ marked: AttributedString) -> AttributedString {
        var out = marked
        let matched = out.runs.filter { $0[SearchMatchAttribute.self] == true }.map(\.range)
        for range in matched {
            out[range].font = .body.bold()
            out[range].backgroundColor = Color.accentColor.opacity(0.18)
        }
        return out
    }
}
