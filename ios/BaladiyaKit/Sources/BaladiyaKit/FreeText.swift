import Foundation

/// Free text from the server — a staff note, the department's reply, a news body — made safe to
/// read in Arabic: the phone, account and tracking numbers in it are found and put in
/// left-to-right isolates (U+2066 … U+2069), so "للاستفسار: 08-2865000" does not show as
/// "2865000-08", and phone numbers carry a `tel:` link a tap dials.
///
/// The text is otherwise shown as the server wrote it (its digits too: what a person typed is
/// normalised for search, never for display).
public enum FreeText {
    public enum Kind: Equatable {
        /// A phone number and the number to dial (ASCII digits, a leading + kept).
        case phone(dial: String)
        /// A bill account number (8 digits, not starting with 0).
        case account
        /// A complaint's tracking number, `BL-XXXX-XXXX`.
        case tracking
        /// Any other number in groups ("12 500", "2026-11-30"): isolated so its groups keep
        /// their order, not a link.
        case number
    }

    public struct Match: Equatable {
        /// Character offsets into the text.
        public let range: Range<Int>
        public let kind: Kind
    }

    /// The identifiers in `text`, in order.
    public static func matches(in text: String) -> [Match] {
        let chars = Array(text)
        var out: [Match] = []
        var i = 0
        while i < chars.count {
            let before: Character? = i > 0 ? chars[i - 1] : nil
            let startsWord = before.map { !($0.isLetter || $0.isNumber) } ?? true
            if startsWord, let end = tracking(chars, from: i) {
                out.append(Match(range: i..<end, kind: .tracking))
                i = end
            } else if startsWord, let (end, kind) = number(chars, from: i) {
                out.append(Match(range: i..<end, kind: kind))
                i = end
            } else {
                i += 1
            }
        }
        return out
    }

    /// The text with every identifier isolated (for plain-text places: a notification, a
    /// label without links).
    public static func isolated(_ text: String) -> String {
        String(decorate(AttributedString(text)).characters)
    }

    /// The text with every identifier isolated and phone numbers linked (`.link` = `tel:…`).
    public static func attributed(_ text: String) -> AttributedString {
        decorate(AttributedString(text))
    }

    /// The same over text that already has attributes (a news body after its Markdown): its runs
    /// keep their attributes; isolates go around each identifier, links on phone numbers.
    public static func decorate(_ input: AttributedString) -> AttributedString {
        var out = input
        // From the end, so the offsets of earlier matches stay valid while inserting.
        for m in matches(in: String(input.characters)).reversed() {
            let lo = out.characters.index(out.characters.startIndex, offsetBy: m.range.lowerBound)
            let hi = out.characters.index(lo, offsetBy: m.range.count)
            if case let .phone(dial) = m.kind {
                out[lo..<hi].link = URL(string: "tel:" + dial)
            }
            // Inserted as text of their own, so they do not take the link of the digits.
            out.insert(AttributedString("\u{2069}"), at: hi)
            out.insert(AttributedString("\u{2066}"), at: lo)
        }
        return out
    }

    // MARK: Scanning

    /// `BL-` and two groups of four letters or digits (Crockford's alphabet, upper case).
    private static func tracking(_ c: [Character], from i: Int) -> Int? {
        let code = "BL-XXXX-XXXX"
        guard i + code.count <= c.count else { return nil }
        for (k, p) in code.enumerated() {
            let ch = c[i + k]
            if p == "X" {
                guard ch.isASCII, ch.isUppercase || ch.isNumber else { return nil }
            } else if ch != p {
                return nil
            }
        }
        let end = i + code.count
        if end < c.count, c[end].isLetter || c[end].isNumber { return nil }
        return end
    }

    /// Digits (of any script) in groups joined by one space or dash, with an optional leading
    /// `+`; nil for a lone group that is not a phone or account number (nothing to reorder).
    private static func number(_ c: [Character], from i: Int) -> (Int, Kind)? {
        var j = i
        let plus = c[j] == "+"
        if plus { j += 1 }
        var digits = ""
        var groups = 0
        while j < c.count, let d = digit(c[j]) {
            digits.append(d)
            j += 1
            if j < c.count, c[j] == " " || c[j] == "-", j + 1 < c.count, digit(c[j + 1]) != nil {
                groups += 1
                j += 1
            }
        }
        guard !digits.isEmpty else { return nil }
        // Inside a word ("A12", "12th"): not an identifier.
        if j < c.count, c[j].isLetter || c[j].isNumber { return nil }
        if (plus || digits.hasPrefix("0")) && (7...15).contains(digits.count) {
            return (j, .phone(dial: (plus ? "+" : "") + digits))
        }
        if !plus && digits.count == 8 && !digits.hasPrefix("0") && groups <= 1 {
            return (j, .account)
        }
        // A short emergency or service number (115, 102) after "call"/"الرقم": dialable too.
        if !plus && groups == 0 && digits.count == 3 && digits.hasPrefix("1") && afterCallWord(c, i) {
            return (j, .phone(dial: digits))
        }
        return groups > 0 && !plus ? (j, .number) : nil
    }

    static let callWords: Set<String> = ["الرقم", "رقم", "على", "اتصل", "اتصلوا", "هاتف", "call", "on", "dial", "number", "phone"]

    /// The word before `i` (across spaces and Markdown's `*`) is one that announces a number to call.
    private static func afterCallWord(_ c: [Character], _ i: Int) -> Bool {
        var k = i
        while k > 0, c[k - 1] == " " || c[k - 1] == "*" { k -= 1 }
        var word = ""
        while k > 0, c[k - 1].isLetter {
            word.insert(c[k - 1], at: word.startIndex)
            k -= 1
        }
        return callWords.contains(word.lowercased())
    }

    private static func digit(_ ch: Character) -> Character? {
        guard ch.unicodeScalars.count == 1, let s = ch.unicodeScalars.first, let v = Digits.value(s) else { return nil }
        return Character(String(v))
    }
}
