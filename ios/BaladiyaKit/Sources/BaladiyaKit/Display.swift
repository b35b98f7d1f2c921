import Foundation

/// How the app shows numbers, money, dates, sizes and identifiers in one language: the screens'
/// formatting, kept here so XCTest covers it (SwiftUI cannot run on Linux).
///
/// One digit policy per language: Arabic shows Arabic-Indic digits (٠-٩) wherever a number is
/// shown — money, dates, counts, sizes, account and phone numbers — and English shows ASCII.
/// The formatting is done here rather than by `NumberFormatter`/`DateFormatter`, whose Arabic
/// output differs between ICU versions and platforms (numbering system, RLM marks in dates);
/// this way a test on Linux states exactly what an iPhone shows.
///
/// Identifiers (account, phone, tracking numbers, meter readings, coordinates) are wrapped in a
/// left-to-right isolate (U+2066 … U+2069), so "1056-1203" or "0567 654 321" keep their groups in
/// order inside Arabic text instead of being reordered by the bidi algorithm.
public struct Display {
    public let lang: Lang
    /// The zone dates are shown in (the phone's; tests pass a fixed one).
    public let timeZone: TimeZone

    public init(_ lang: Lang, timeZone: TimeZone = .current) {
        self.lang = lang
        self.timeZone = timeZone
    }

    /// The words of `key` in this language (see `Lang.text`).
    public func text(_ key: String, _ args: String...) -> String { lang.text(key, args: args) }

    public func plural(_ key: String, _ count: Int) -> String { lang.plural(key, count) }

    // MARK: Digits and numbers

    /// `text` with its digits (of any of the three sets) in this language's digits.
    public func digits(_ text: String) -> String {
        lang == .ar ? Digits.arabicIndic(text) : Digits.ascii(text)
    }

    /// An integer with grouping: "1,234" / "١٬٢٣٤".
    public func number(_ n: Int64) -> String {
        let grouped = Self.group(String(n.magnitude), separator: lang == .ar ? "\u{066C}" : ",")
        return sign(n < 0) + digits(grouped)
    }

    /// A whole percentage: "40%" / "٤٠٪".
    public func percent(_ n: Int) -> String {
        number(Int64(n)) + (lang == .ar ? "\u{066A}" : "%")
    }

    /// An amount of minor units (agorot) with two decimals: "1,234.50" / "١٬٢٣٤٫٥٠".
    public func decimal(minor: Int64) -> String {
        let whole = Self.group(String(minor.magnitude / 100), separator: lang == .ar ? "\u{066C}" : ",")
        let cents = String(minor.magnitude % 100)
        let fraction = cents.count == 1 ? "0" + cents : cents
        return sign(minor < 0) + digits(whole + (lang == .ar ? "\u{066B}" : ".") + fraction)
    }

    /// Money from minor units: "ILS 12.50" / "١٢٫٥٠ شيكل"; another currency after its code.
    public func money(minor: Int64, currency: String) -> String {
        let amount = decimal(minor: minor)
        return currency == "ILS" ? text("amount.ils", amount) : "\(amount) \(currency)"
    }

    /// A size in bytes as people read it (1 KB = 1,000 bytes, as iOS shows sizes): "31.1 KB",
    /// "٣١٫١ كيلوبايت". One decimal below 100 units, none above.
    public func bytes(_ count: UInt64) -> String {
        if count < 1000 { return text("bytes.b", number(Int64(count))) }
        let units = ["bytes.kb", "bytes.mb", "bytes.gb"]
        var value = Double(count) / 1000
        var unit = 0
        // 999,960 bytes is "1.0 MB", not "1,000 KB": the unit is chosen after rounding.
        while (value * 10).rounded() >= 10_000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        let shown = value >= 99.95 ? number(Int64(value.rounded())) : decimal(tenths: Int64((value * 10).rounded()))
        return text(units[unit], shown)
    }

    private func decimal(tenths: Int64) -> String {
        digits("\(tenths / 10)" + (lang == .ar ? "\u{066B}" : ".") + "\(tenths % 10)")
    }

    /// Arabic shows a minus after an Arabic letter mark, as CLDR does, so it stays before the
    /// number in right-to-left text.
    private func sign(_ negative: Bool) -> String {
        negative ? (lang == .ar ? "\u{061C}-" : "-") : ""
    }

    static func group(_ digits: String, separator: String) -> String {
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += separator }
            out.append(c)
        }
        return out
    }

    // MARK: Identifiers

    /// Any text that must read left to right inside Arabic, as it is.
    public static func isolate(_ text: String) -> String { "\u{2066}\(text)\u{2069}" }

    /// A phone number as typed or stored (groups kept), in this language's digits, isolated.
    public func phone(_ text: String) -> String { Self.isolate(digits(text)) }

    /// A bill account number, in this language's digits, isolated.
    public func account(_ text: String) -> String { Self.isolate(digits(text)) }

    /// A complaint's tracking number (`BL-7K3M-Q9XD`): a code read out letter by letter, so its
    /// characters stay as they are; isolated.
    public func tracking(_ text: String) -> String { Self.isolate(text) }

    /// The municipality's number for a request (Open311's `service_request_id`): a number in this
    /// language's digits, a code with letters (another city's) as it is; isolated.
    public func requestNumber(_ id: String) -> String {
        let numeric = !id.isEmpty && id.unicodeScalars.allSatisfy(Digits.isDigit)
        return Self.isolate(numeric ? digits(id) : id)
    }

    /// A meter reading: a counter, shown without grouping, isolated.
    public func meterReading(_ value: Int64) -> String { Self.isolate(digits(String(value))) }

    /// A point as "31.52000, 34.45000", isolated.
    public func coordinates(lat: Double, long: Double) -> String {
        let point = lang == .ar ? "\u{066B}" : "."
        let f = { (v: Double) in String(format: "%.5f", v).replacingOccurrences(of: ".", with: point) }
        return Self.isolate(digits(f(lat) + (lang == .ar ? "\u{060C} " : ", ") + f(long)))
    }

    // MARK: Dates

    /// Date and time: "30 Nov 2026, 14:05" / "٣٠ نوفمبر ٢٠٢٦، ١٤:٠٥".
    public func dateTime(_ date: Date) -> String {
        let c = components(date)
        let two = { (n: Int) in n < 10 ? "0\(n)" : "\(n)" }
        let time = two(c.hour ?? 0) + ":" + two(c.minute ?? 0)
        return self.date(day: c.day ?? 1, month: c.month ?? 1, year: c.year ?? 1970, short: true)
            + (lang == .ar ? "\u{060C} " : ", ") + digits(time)
    }

    /// The core's timestamps (unix milliseconds) as date and time.
    public func dateTime(ms: Int64) -> String {
        dateTime(Date(timeIntervalSince1970: TimeInterval(ms) / 1000))
    }

    /// A date: "30 Nov 2026" / "٣٠ نوفمبر ٢٠٢٦".
    public func date(_ date: Date) -> String {
        let c = components(date)
        return self.date(day: c.day ?? 1, month: c.month ?? 1, year: c.year ?? 1970, short: true)
    }

    /// A calendar date `YYYY-MM-DD` (a due date: no time zone applies) as a date; anything else
    /// as it came.
    public func isoDate(_ text: String) -> String {
        let parts = text.prefix(10).split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1...12).contains(parts[1]), (1...31).contains(parts[2]) else { return text }
        return date(day: parts[2], month: parts[1], year: parts[0], short: true)
    }

    /// A billing period `YYYY-MM` as "November 2026" / "نوفمبر ٢٠٢٦"; anything else as it came.
    public func period(_ text: String) -> String {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, (1...12).contains(parts[1]) else { return text }
        let name = lang == .ar ? Self.arabicMonths[parts[1] - 1] : Self.englishMonths[parts[1] - 1]
        return name + " " + digits(String(parts[0]))
    }

    /// An RFC 3339 timestamp (news, complaint history) as date and time; anything else as it came.
    public func rfc3339(_ text: String) -> String {
        Self.parseRFC3339(text).map(dateTime) ?? text
    }

    public static func parseRFC3339(_ text: String) -> Date? {
        let parser = ISO8601DateFormatter()
        if let date = parser.date(from: text) { return date }
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return parser.date(from: text)
    }

    /// A date picked for a datetime question, as RFC 3339 with this zone's offset (what the core
    /// and the Open311 server take).
    public func rfc3339(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = timeZone
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }

    private func components(_ date: Date) -> DateComponents {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
    }

    private func date(day: Int, month: Int, year: Int, short: Bool) -> String {
        let name = lang == .ar ? Self.arabicMonths[month - 1] : (short ? Self.englishShortMonths : Self.englishMonths)[month - 1]
        return digits("\(day)") + " " + name + " " + digits("\(year)")
    }

    // The Gregorian month names used in Gaza (as CLDR's Arabic).
    static let arabicMonths = ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"]
    static let englishMonths = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
    static let englishShortMonths = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
}

/// The three sets of digits a citizen may type or the server may send: ASCII, Arabic-Indic
/// (٠-٩, U+0660) and Eastern Arabic-Indic (۰-۹, U+06F0, on Persian and Urdu keyboards).
public enum Digits {
    /// The digit's value for any of the three sets.
    public static func value(_ s: Unicode.Scalar) -> UInt32? {
        switch s.value {
        case 0x30...0x39: return s.value - 0x30
        case 0x660...0x669: return s.value - 0x660
        case 0x6F0...0x6F9: return s.value - 0x6F0
        default: return nil
        }
    }

    public static func isDigit(_ s: Unicode.Scalar) -> Bool { value(s) != nil }

    /// Every digit as ASCII; everything else unchanged.
    public static func ascii(_ text: String) -> String { map(text, base: 0x30) }

    /// Every digit as Arabic-Indic; everything else unchanged.
    public static func arabicIndic(_ text: String) -> String { map(text, base: 0x660) }

    private static func map(_ text: String, base: UInt32) -> String {
        var out = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if let v = value(s), let mapped = Unicode.Scalar(base + v) { out.append(mapped) } else { out.append(s) }
        }
        return String(out)
    }
}
