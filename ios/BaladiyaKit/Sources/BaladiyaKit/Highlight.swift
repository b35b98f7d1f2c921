import Foundation

/// Marks the matched words of a search hit. The view styles the runs that carry it (bold, a
/// tint); Foundation's `inlinePresentationIntent` would say "bold" by itself but does not exist
/// in Linux's Foundation, where the kit is tested.
public enum SearchMatchAttribute: AttributedStringKey {
    public typealias Value = Bool
    public static let name = "baladiya.searchMatch"
}

extension GuideHit {
    /// The title with its matched words marked (`SearchMatchAttribute`).
    public var highlightedTitle: AttributedString { Self.highlighted(title, titleHighlights) }

    /// The summary, marked the same way.
    public var highlightedSummary: AttributedString { Self.highlighted(summary, summaryHighlights) }

    /// The spans (UTF-16 offsets, NSRange's unit) as ranges of `text`, each widened to whole
    /// words: a span that starts or ends inside a word («ال|بناء», the core matched the stem)
    /// would be drawn as separately shaped runs and break Arabic letter joining.
    public static func wordRanges(_ text: String, _ spans: [TextSpan]) -> [Range<String.Index>] {
        let chars = Array(text)
        let starts = Array(text.indices)
        // The UTF-16 offset where each character starts, to find the characters a span touches
        // (an offset inside a character, a letter with its harakat, rounds outwards).
        let offsets = starts.map { text.utf16.distance(from: text.utf16.startIndex, to: $0) }
        let units = text.utf16.count
        var out: [Range<Int>] = []
        for s in spans {
            guard s.start < s.end, Int(s.end) <= units else { continue }
            var lo = (offsets.lastIndex { $0 <= Int(s.start) }) ?? 0
            var hi = (offsets.firstIndex { $0 >= Int(s.end) }) ?? chars.count
            while lo > 0, isWordPart(chars[lo - 1]) { lo -= 1 }
            while hi < chars.count, isWordPart(chars[hi]) { hi += 1 }
            if let last = out.last, last.upperBound >= lo {
                out[out.count - 1] = last.lowerBound..<max(last.upperBound, hi)
            } else {
                out.append(lo..<hi)
            }
        }
        return out.map { r in starts[r.lowerBound]..<(r.upperBound < starts.count ? starts[r.upperBound] : text.endIndex) }
    }

    static func highlighted(_ text: String, _ spans: [TextSpan]) -> AttributedString {
        var out = AttributedString(text)
        for r in wordRanges(text, spans) {
            guard let range = Range(r, in: out) else { continue }
            out[range][SearchMatchAttribute.self] = true
        }
        return out
    }

    private static func isWordPart(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "\u{0640}" }
}
