//! The records the bindings add to the core's. The core and wire types derive uniffi's traits
//! themselves (their `uniffi` feature, which this crate enables), so none is mirrored here. What
//! stays is shaped for the shells: search hits with UTF-16 highlight spans, and the flush and
//! background reports with a refusal as a named record instead of the core's `(id, reason)` pair.

use baladiya_core::{GuideSyncReport, HitKind, Lang, ShownHit};

/// A matched span of a hit's text, in UTF-16 code units: what Kotlin's `String` indices and
/// Swift's `NSRange` count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct TextSpan {
    pub start: u32,
    pub end: u32,
}

/// One row of search results, in one language, ready to show.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
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

// Complaints and suggestions.

use baladiya_core::complaints::flush::{FlushReport, RetryLater, SentComplaint};
use baladiya_core::complaints::refresh::RefreshReport;

/// A refused complaint and the server's reason.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Refusal {
    pub local_id: String,
    pub reason: String,
}

/// What a flush did (the core's report, with refusals as records).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ComplaintFlushReport {
    pub sent: Vec<SentComplaint>,
    pub needs_attention: Vec<Refusal>,
    pub retry_later: Option<RetryLater>,
    pub remaining: u32,
    pub out_of_time: bool,
    /// Photos that followed their complaint in this flush, refused by the server, and still to go.
    pub photos_uploaded: u32,
    pub photos_refused: Vec<Refusal>,
    pub photos_retry_later: Option<RetryLater>,
    pub photos_remaining: u32,
}

impl From<FlushReport> for ComplaintFlushReport {
    fn from(r: FlushReport) -> Self {
        ComplaintFlushReport {
            sent: r.sent,
            needs_attention: r
                .needs_attention
                .into_iter()
                .map(|(local_id, reason)| Refusal { local_id, reason })
                .collect(),
            retry_later: r.retry_later,
            remaining: r.remaining,
            out_of_time: r.out_of_time,
            photos_uploaded: r.photos_uploaded,
            photos_refused: r
                .photos_refused
                .into_iter()
                .map(|(local_id, reason)| Refusal { local_id, reason })
                .collect(),
            photos_retry_later: r.photos_retry_later,
            photos_remaining: r.photos_remaining,
        }
    }
}

// Bills, news and the background sync.

use baladiya_core::background::{BackgroundReport, Notification};
use baladiya_core::news::NewsReport;

/// What one background sync did; the shell turns `notifications` into local notifications.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SyncSummary {
    pub flush: Option<ComplaintFlushReport>,
    pub complaints: Option<RefreshReport>,
    pub news: Option<NewsReport>,
    pub guide: Option<GuideSyncReport>,
    pub errors: Vec<String>,
    pub out_of_time: bool,
    /// The server could not be reached: retry when the network is back.
    pub offline: bool,
    pub notifications: Vec<Notification>,
    pub elapsed_ms: u64,
}

impl From<BackgroundReport> for SyncSummary {
    fn from(r: BackgroundReport) -> Self {
        SyncSummary {
            flush: r.flush.map(Into::into),
            complaints: r.complaints,
            news: r.news,
            guide: r.guide,
            errors: r.errors,
            out_of_time: r.out_of_time,
            offline: r.offline,
            notifications: r.notifications,
            elapsed_ms: r.elapsed_ms,
        }
    }
}

#[cfg(test)]
mod utf16_tests {
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
