import BaladiyaKit
import Foundation
import SwiftUI

// Display only: the core hands over amounts in minor units, ISO dates and both languages of every
// text; which language and which digits to show is decided here.

/// The language the app runs in: the localization iOS picked from the app's (Arabic and
/// English; Arabic is the development region, so any other phone language gets Arabic). The
/// citizen changes it in Settings › Baladiya › Language.
enum AppLanguage {
    static let code: String = Bundle.main.preferredLocalizations.first == "en" ? "en" : "ar"
    static var isRightToLeft: Bool { code == "ar" }
    static var locale: Locale { Locale(identifier: code) }
}

/// A localized string from Localizable.strings.
func L(_ key: String) -> String {
    NSLocalizedString(key, comment: "")
}

/// A localized format with arguments (`%@`, `%d`); plural forms come from Localizable.stringsdict.
func L(_ key: String, _ args: CVarArg...) -> String {
    String(format: NSLocalizedString(key, comment: ""), locale: AppLanguage.locale, arguments: args)
}

extension Localized {
    /// The text in the app's language (the other one if this one is empty).
    var text: String {
        if AppLanguage.code == "en" { return en.isEmpty ? ar : en }
        return ar.isEmpty ? en : ar
    }
}

enum Format {
    /// An amount in minor units (agorot) in the app's digits: "١٢٫٥٠ شيكل" / "ILS 12.50".
    static func money(_ minor: Int64, _ currency: String) -> String {
        let f = NumberFormatter()
        f.locale = AppLanguage.locale
        f.numberStyle = .decimal
        f.minimumFractionDigits = 2
        f.maximumFractionDigits = 2
        let amount = f.string(from: NSDecimalNumber(decimal: Decimal(minor) / 100)) ?? "\(minor)"
        return currency == "ILS" ? L("amount.ils", amount) : "\(amount) \(currency)"
    }

    static func number(_ n: Int64) -> String {
        let f = NumberFormatter()
        f.locale = AppLanguage.locale
        return f.string(from: NSNumber(value: n)) ?? "\(n)"
    }

    /// Unix milliseconds (the core's timestamps) as date and time.
    static func dateTime(ms: Int64) -> String {
        dateTime(Date(timeIntervalSince1970: TimeInterval(ms) / 1000))
    }

    static func dateTime(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = AppLanguage.locale
        f.dateStyle = .medium
        f.timeStyle = .short
        return f.string(from: date)
    }

    /// `YYYY-MM-DD` as a medium date; anything else as it came.
    static func isoDate(_ text: String) -> String {
        let parse = DateFormatter()
        parse.locale = Locale(identifier: "en_US_POSIX")
        parse.dateFormat = "yyyy-MM-dd"
        guard let date = parse.date(from: String(text.prefix(10))) else { return text }
        let f = DateFormatter()
        f.locale = AppLanguage.locale
        f.dateStyle = .medium
        return f.string(from: date)
    }

    /// A billing period `YYYY-MM` as "November 2026" / "نوفمبر ٢٠٢٦".
    static func period(_ text: String) -> String {
        let parse = DateFormatter()
        parse.locale = Locale(identifier: "en_US_POSIX")
        parse.dateFormat = "yyyy-MM"
        guard let date = parse.date(from: text) else { return text }
        let f = DateFormatter()
        f.locale = AppLanguage.locale
        f.setLocalizedDateFormatFromTemplate("MMMMyyyy")
        return f.string(from: date)
    }

    /// An RFC 3339 timestamp (news, complaint history) as date and time; else as it came.
    static func rfc3339(_ text: String) -> String {
        let parser = ISO8601DateFormatter()
        if let date = parser.date(from: text) { return dateTime(date) }
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = parser.date(from: text) { return dateTime(date) }
        return text
    }

    /// A date picked for a datetime attribute, as RFC 3339 with the phone's offset.
    static func rfc3339(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = .current
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }

    /// A number that must read left to right inside Arabic text (phone, account, tracking
    /// number), marked so the bidi algorithm does not reorder "08-2832000".
    static func ltr(_ text: String) -> String { "\u{200E}\(text)\u{200E}" }
}

/// The municipality's detailed status (Open311 extension) or open/closed, as a label.
func statusLabel(detailed: String?, status: String?) -> String? {
    guard let key = detailed ?? status else { return nil }
    let known = ["received", "verified", "routed", "in_progress", "fixed", "rejected", "duplicate", "closed", "open"]
    return known.contains(key) ? L("status.\(key)") : nil
}

func stateLabel(_ state: ComplaintState) -> String {
    switch state {
    case .queued: return L("state.queued")
    case .sent: return L("state.sent")
    case .needsAttention: return L("state.needsAttention")
    case .cancelled: return L("state.cancelled")
    }
}

/// What to tell the citizen about a failure. The library's own text is English and technical, so
/// the kinds a citizen can act on get our wording; a validation error names its field.
func describe(_ error: Error) -> String {
    guard let api = error as? ApiError else { return L("error.generic") }
    switch api {
    case .Offline: return L("error.offline")
    case .Network: return L("error.network")
    case let .Server(status, _): return L("error.server", Int(status))
    case .MalformedResponse: return L("error.serverAnswer")
    case .Unauthorized: return L("error.unauthorized")
    case let .Throttled(retryAfterSecs, _):
        let minutes = max(1, Int((retryAfterSecs + 59) / 60))
        return L("error.throttled.minutes", minutes)
    case .NotFound: return L("error.notFound")
    case let .Validation(field, reason, _): return validationText(field: field, reason: reason)
    case .Storage: return L("error.storage")
    case .Internal: return L("error.internal")
    }
}

/// A validation failure's field, worded; the library's reason when we have no sentence for it.
func validationText(field: String, reason: String) -> String {
    switch field {
    case "account": return L("invalid.account")
    case "verification": return L("invalid.verification")
    case "nickname": return L("invalid.nickname")
    case "service_code": return L("invalid.category")
    case "description": return L("invalid.description")
    case "location": return reason.contains("outside") ? L("invalid.locationOutside") : L("invalid.location")
    case "contact.phone": return L("invalid.phone")
    case "contact.email": return L("invalid.email")
    case "photo", "photos": return L("invalid.photo")
    default:
        return field.hasPrefix("attribute[") && reason == "required" ? L("invalid.required") : reason
    }
}

/// The field a validation error names, to show the message under that input.
func validationField(_ error: Error?) -> String? {
    if case let .Validation(field, _, _)? = error as? ApiError { return field }
    return nil
}

extension GuideHit {
    /// The title with the matched spans in bold on a tint.
    var attributedTitle: AttributedString { marked(title, titleHighlights) }

    /// The summary with the matched spans in bold on a tint.
    var attributedSummary: AttributedString { marked(summary, summaryHighlights) }

    /// The spans are UTF-16 offsets (NSRange's unit), turned into String indices here.
    private func marked(_ text: String, _ spans: [TextSpan]) -> AttributedString {
        var out = AttributedString(text)
        let units = text.utf16.count
        for s in spans {
            guard s.start < s.end, Int(s.end) <= units else { continue }
            let lo = String.Index(utf16Offset: Int(s.start), in: text)
            let hi = String.Index(utf16Offset: Int(s.end), in: text)
            guard let range = Range(lo..<hi, in: out) else { continue }
            out[range].font = .body.bold()
            out[range].backgroundColor = Color.accentColor.opacity(0.18)
        }
        return out
    }
}
