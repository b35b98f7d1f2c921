//! A page of search hits as one buffer: what crosses the FFI on the search-as-you-type path.
//!
//! `Vec<GuideHit>` crosses as ~13 values per hit (enums, strings, span records), each read by the
//! generated Kotlin or Swift code one at a time. On Swift (Linux's Foundation at least) each of
//! those reads is an unspecialised generic call through `Data`, ~0.4 µs: ~100 µs to lift a page of
//! 20 against 20 µs for the search itself. A [`GuidePage`] is one byte buffer (one read on either
//! side), decoded by the hand-written facades (`BaladiyaClient.searchGuide` in Kotlin and Swift)
//! into the same `GuideHit` values the screens use. The generated code is not touched.
//!
//! Layout, version 1. Every integer is a little-endian `u32`; texts are UTF-8 without terminator:
//!
//! ```text
//! page := count:u32 hit{count}
//! hit  := flags:u32                      bit 0: kind (0 service, 1 violation)
//!                                        bit 1: lang (0 Arabic, 1 English)
//!         id_len:u32 title_len:u32 summary_len:u32           (UTF-8 bytes)
//!         title_spans:u32 summary_spans:u32                  (how many)
//!         (start:u32 end:u32){title_spans} (start:u32 end:u32){summary_spans}   (UTF-16 units)
//!         id title summary                                   (UTF-8 bytes)
//! ```
//!
//! Any change to the layout changes both facades' decoders and `decode` below (the reference, tested).

use baladiya_core::{HitKind, Lang};

use crate::types::GuideHit;
#[cfg(test)]
use crate::types::TextSpan;

/// One page of guide search hits in one buffer (layout in the module's documentation). The
/// facades decode it into `GuideHit`s; a shell never reads it itself.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GuidePage {
    pub data: Vec<u8>,
}

const KIND_VIOLATION: u32 = 1;
const LANG_ENGLISH: u32 = 2;

impl GuidePage {
    pub fn encode(hits: &[GuideHit]) -> GuidePage {
        let size: usize = 4 + hits
            .iter()
            .map(|h| {
                24 + 8 * (h.title_highlights.len() + h.summary_highlights.len())
                    + h.id.len()
                    + h.title.len()
                    + h.summary.len()
            })
            .sum::<usize>();
        let mut data = Vec::with_capacity(size);
        let put = |data: &mut Vec<u8>, n: usize| data.extend_from_slice(&(n as u32).to_le_bytes());
        put(&mut data, hits.len());
        for h in hits {
            let flags = if h.kind == HitKind::Violation { KIND_VIOLATION } else { 0 }
                | if h.lang == Lang::En { LANG_ENGLISH } else { 0 };
            put(&mut data, flags as usize);
            for n in [h.id.len(), h.title.len(), h.summary.len()] {
                put(&mut data, n);
            }
            put(&mut data, h.title_highlights.len());
            put(&mut data, h.summary_highlights.len());
            for span in h.title_highlights.iter().chain(&h.summary_highlights) {
                put(&mut data, span.start as usize);
                put(&mut data, span.end as usize);
            }
            for text in [&h.id, &h.title, &h.summary] {
                data.extend_from_slice(text.as_bytes());
            }
        }
        debug_assert_eq!(data.len(), size);
        GuidePage { data }
    }
}

/// The reference decoder, for the tests (the facades' decoders do the same): `None` when the
/// buffer is not a well-formed page.
#[cfg(test)]
fn decode(page: &GuidePage) -> Option<Vec<GuideHit>> {
    let mut r = Reader { data: &page.data, at: 0 };
    let count = r.u32()?;
    let mut hits = Vec::with_capacity(count.min(1024) as usize);
    for _ in 0..count {
        let flags = r.u32()?;
        let lens = [r.u32()?, r.u32()?, r.u32()?];
        let (title_spans, summary_spans) = (r.u32()?, r.u32()?);
        let title_highlights = r.spans(title_spans)?;
        let summary_highlights = r.spans(summary_spans)?;
        hits.push(GuideHit {
            kind: if flags & KIND_VIOLATION != 0 { HitKind::Violation } else { HitKind::Service },
            id: r.text(lens[0])?,
            lang: if flags & LANG_ENGLISH != 0 { Lang::En } else { Lang::Ar },
            title: r.text(lens[1])?,
            summary: r.text(lens[2])?,
            title_highlights,
            summary_highlights,
        });
    }
    (r.at == r.data.len()).then_some(hits)
}

#[cfg(test)]
struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

#[cfg(test)]
impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let bytes = self.data.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(bytes)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn spans(&mut self, n: u32) -> Option<Vec<TextSpan>> {
        (0..n).map(|_| Some(TextSpan { start: self.u32()?, end: self.u32()? })).collect()
    }

    fn text(&mut self, n: u32) -> Option<String> {
        String::from_utf8(self.take(n as usize)?.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(kind: HitKind, lang: Lang, id: &str, title: &str, summary: &str) -> GuideHit {
        GuideHit {
            kind,
            id: id.into(),
            lang,
            title: title.into(),
            summary: summary.into(),
            title_highlights: vec![TextSpan { start: 0, end: 4 }, TextSpan { start: 5, end: 9 }],
            summary_highlights: vec![TextSpan { start: 2, end: 3 }],
        }
    }

    #[test]
    fn a_page_decodes_to_the_hits_it_was_made_of() {
        let hits = vec![
            hit(HitKind::Service, Lang::Ar, "building-permit", "رخصة بناء", "ترخيص بناء جديد 🏠"),
            hit(HitKind::Violation, Lang::En, "v-1", "Building without a permit", ""),
            GuideHit {
                title_highlights: vec![],
                summary_highlights: vec![],
                ..hit(HitKind::Service, Lang::En, "", "", "")
            },
        ];
        let page = GuidePage::encode(&hits);
        assert_eq!(decode(&page).unwrap(), hits);
        assert_eq!(decode(&GuidePage::encode(&[])).unwrap(), vec![]);
        assert_eq!(GuidePage::encode(&[]).data, vec![0, 0, 0, 0]);
    }

    #[test]
    fn a_truncated_or_padded_page_is_refused() {
        let page = GuidePage::encode(&[hit(HitKind::Service, Lang::Ar, "x", "رخصة", "مياه")]);
        for cut in 0..page.data.len() {
            assert_eq!(decode(&GuidePage { data: page.data[..cut].to_vec() }), None, "cut at {cut}");
        }
        let mut padded = page.data.clone();
        padded.push(0);
        assert_eq!(decode(&GuidePage { data: padded }), None);
    }
}
