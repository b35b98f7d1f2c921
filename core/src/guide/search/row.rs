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
fn utf16_spans(text: &str, ranges: &[std::ops::Range<usize>]) -> Vec<TextSpan> {
    let mut chars = text.char_indices().peekable();
    let (mut byte, mut unit) = (0usize, 0u32);
    let mut at = |target: usize| -> u32 {
        if target < byte {
            // Out of order: count from the start again.
            chars = text.char_indices().peekable();
            (byte, unit) = (0, 0);
        }
        while let Some(&(i, c)) = chars.peek() {
            if i >= target {
                break;
            }
            unit += c.len_utf16() as u32;
            byte = i + c.len_utf8();
            chars.next();
        }
        unit
    };
    ranges.iter().map(|r| TextSpan { start: at(r.start), end: at(r.end) }).collect()
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
        // The emoji takes two UTF-16 units (a surrogate pair) and its variation selector one.
        assert_eq!(
            utf16_spans(text, &[words[2].clone()])[0].end - utf16_spans(text, &[words[2].clone()])[0].start,
            3
        );
    }
}
