//! A search hit as the apps show it: one language, its matched spans counted in UTF-16 code
//! units (what Kotlin's `String` indices and Swift's `NSRange` count) instead of the byte ranges
//! of [`ShownHit`], which the terminal harness uses.

use super::{HitKind, Lang, ShownHit};

/// A matched span of a hit's text, in UTF-16 code units: what Kotlin's `String` indices and
/// Swift's `NSRange` count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TextSpan {
    pub start: u32,
    pub end: u32,
}

/// One row of search results, in one language, ready to show.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GuideHit {
    pub kind: HitKind,
    pub id: String,
    /// The language of `title` and `summary`: the one asked for, unless the query matched only
    /// the other one's text.
    pub lang: Lang,
    pub title: String,
    /// A service's summary, or a violation's legal basis.
    pub summary: String,
    pub title_highlights: Vec<TextSpan>,
    pub summary_highlights: Vec<TextSpan>,
}

/// Byte ranges of `text` as UTF-16 spans, in one pass over the text however many ranges there
/// are (the search gives them sorted; any others are still converted, counting from the start
/// again). A boundary inside a character counts the characters that start before it.
///
/// Counted on the bytes, not the chars: every byte that starts a character is one UTF-16 unit,
/// and a four-byte character (lead byte 0xF0 and up) is two. The core is built at opt-level "z",
/// where `char_indices` is a call per character (README, "Bindings round trip").
fn utf16_spans(text: &str, ranges: &[std::ops::Range<usize>]) -> Vec<TextSpan> {
    let bytes = text.as_bytes();
    let (mut byte, mut unit) = (0usize, 0u32);
    let mut at = |target: usize| -> u32 {
        let target = target.min(bytes.len());
        if target < byte {
            // Out of order: count from the start again.
            (byte, unit) = (0, 0);
        }
        for &b in &bytes[byte..target] {
            unit += u32::from(b & 0xC0 != 0x80) + u32::from(b >= 0xF0);
        }
        byte = target;
        unit
    };
    let mut spans = Vec::with_capacity(ranges.len());
    for r in ranges {
        spans.push(TextSpan { start: at(r.start), end: at(r.end) });
    }
    spans
}

impl From<ShownHit> for GuideHit {
    fn from(h: ShownHit) -> Self {
        GuideHit {
            kind: h.kind,
            id: h.id,
            lang: h.lang,
            title_highlights: utf16_spans(&h.title, &h.title_highlights),
            summary_highlights: utf16_spans(&h.summary, &h.summary_highlights),
            title: h.title,
            summary: h.summary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::utf16_spans;

    /// What the spans must be: each boundary's UTF-16 length of the text before it.
    fn naive(text: &str, ranges: &[std::ops::Range<usize>]) -> Vec<(u32, u32)> {
        let at = |b: usize| text[..b].encode_utf16().count() as u32;
        ranges.iter().map(|r| (at(r.start), at(r.end))).collect()
    }

    #[test]
    fn spans_in_one_pass_match_counting_each_boundary_from_the_start() {
        let text = "رخصة بناء 🏗️ في الرمال — building permit";
        let words: Vec<std::ops::Range<usize>> = text
            .split(' ')
            .scan(0, |at, w| {
                let r = *at..*at + w.len();
                *at += w.len() + 1;
                Some(r)
            })
            .collect();
        let got: Vec<(u32, u32)> = utf16_spans(text, &words).iter().map(|s| (s.start, s.end)).collect();
        assert_eq!(got, naive(text, &words));
        // Out of order, empty, and the whole text.
        let odd = [words[3].clone(), words[0].clone(), 4..4, 0..text.len()];
        let got: Vec<(u32, u32)> = utf16_spans(text, &odd).iter().map(|s| (s.start, s.end)).collect();
        assert_eq!(got, naive(text, &odd));
        // A boundary inside a character counts that character (it starts before the boundary):
        // an Arabic letter is two bytes and one unit, the emoji four bytes and two units.
        let inside = |b: usize| utf16_spans(text, std::slice::from_ref(&(0..b)))[0].end;
        let before = |b: usize| text[..b].encode_utf16().count() as u32;
        assert_eq!((inside(1), inside(2), inside(3)), (1, 1, 2));
        let emoji = text.find('🏗').unwrap();
        assert_eq!(inside(emoji + 1), before(emoji) + 2);
        assert_eq!(inside(emoji + 4), inside(emoji + 1));
        // Past the end counts the whole text.
        assert_eq!(inside(text.len() + 5), before(text.len()));
        // The emoji takes two UTF-16 units (a surrogate pair) and its variation selector one.
        assert_eq!(
            utf16_spans(text, &[words[2].clone()])[0].end - utf16_spans(text, &[words[2].clone()])[0].start,
            3
        );
    }
}
