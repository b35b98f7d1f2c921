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
//!
//! The buffer crosses as a `Vec<u8>` field would (an `i32` length, then the bytes; the generated
//! code reads a `ByteArray` / `Data` in one piece), but it is written in one copy ([`PageBytes`]):
//! uniffi writes a `Vec<u8>` one byte at a time, a `Vec::push` call per byte that the size-optimised
//! library does not inline, which was a sixth of the Rust side of a page of ~6 KB.

use baladiya_core::{HitKind, Lang};
use uniffi::{FfiConverter, MetadataBuffer, RustBuffer, TypeId};

use crate::types::GuideHit;
#[cfg(test)]
use crate::types::TextSpan;

/// One page of guide search hits in one buffer (layout in the module's documentation). The
/// facades decode it into `GuideHit`s; a shell never reads it itself.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GuidePage {
    pub data: PageBytes,
}

/// The bytes of a [`GuidePage`]. To the generated Kotlin and Swift they are a `Vec<u8>` (the same
/// type metadata, so a `ByteArray` / `Data`, and the same wire form: a big-endian `i32` length,
/// then the bytes); only the Rust side writes them with one copy instead of byte by byte.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageBytes(pub Vec<u8>);

// SAFETY: the wire form is exactly that of uniffi's own `Vec<u8>` (`FfiConverter` for `Vec<T>`:
// `put_i32(len)` then every element's `put_u8`), whose type metadata it declares; the test
// `page_bytes_cross_exactly_as_a_vec_of_bytes` compares both ways and the metadata.
unsafe impl<UT> FfiConverter<UT> for PageBytes {
    type FfiType = RustBuffer;

    fn lower(obj: Self) -> RustBuffer {
        let mut buf = Vec::new();
        <Self as FfiConverter<UT>>::write(obj, &mut buf);
        RustBuffer::from_vec(buf)
    }

    fn try_lift(v: RustBuffer) -> uniffi::Result<Self> {
        let vec = v.destroy_into_vec();
        let mut buf = vec.as_slice();
        let value = <Self as FfiConverter<UT>>::try_read(&mut buf)?;
        match buf.len() {
            0 => Ok(value),
            n => Err(uniffi::deps::anyhow::anyhow!("junk data left in buffer after lifting (count: {n})")),
        }
    }

    fn write(obj: Self, buf: &mut Vec<u8>) {
        let len = i32::try_from(obj.0.len()).expect("a page under 2 GB");
        buf.reserve(4 + obj.0.len());
        buf.extend_from_slice(&len.to_be_bytes());
        buf.extend_from_slice(&obj.0);
    }

    fn try_read(buf: &mut &[u8]) -> uniffi::Result<Self> {
        let Some((len, rest)) = buf.split_first_chunk::<4>() else {
            return Err(uniffi::deps::anyhow::anyhow!("not enough bytes for a length"));
        };
        let len = usize::try_from(i32::from_be_bytes(*len))?;
        let Some(bytes) = rest.get(..len) else {
            return Err(uniffi::deps::anyhow::anyhow!("not enough bytes: {len} announced"));
        };
        let value = PageBytes(bytes.to_vec());
        *buf = &rest[len..];
        Ok(value)
    }

    const TYPE_ID_META: MetadataBuffer = <Vec<u8> as TypeId<UT>>::TYPE_ID_META;
}

uniffi::derive_ffi_traits!(blanket PageBytes);

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
        GuidePage { data: PageBytes(data) }
    }
}

/// The reference decoder, for the tests (the facades' decoders do the same): `None` when the
/// buffer is not a well-formed page.
#[cfg(test)]
fn decode(page: &GuidePage) -> Option<Vec<GuideHit>> {
    let mut r = Reader { data: &page.data.0, at: 0 };
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
        assert_eq!(GuidePage::encode(&[]).data.0, vec![0, 0, 0, 0]);
    }

    #[test]
    fn a_truncated_or_padded_page_is_refused() {
        let page = GuidePage::encode(&[hit(HitKind::Service, Lang::Ar, "x", "رخصة", "مياه")]);
        for cut in 0..page.data.0.len() {
            let data = PageBytes(page.data.0[..cut].to_vec());
            assert_eq!(decode(&GuidePage { data }), None, "cut at {cut}");
        }
        let mut padded = page.data.clone();
        padded.0.push(0);
        assert_eq!(decode(&GuidePage { data: padded }), None);
    }

    /// What the generated code reads: a `PageBytes` is written, read and described exactly as
    /// uniffi's own `Vec<u8>`, alone and as the page record's field.
    #[test]
    fn page_bytes_cross_exactly_as_a_vec_of_bytes() {
        use uniffi::{Lift, Lower};
        type Tag = crate::UniFfiTag;
        let page = GuidePage::encode(&[hit(HitKind::Service, Lang::Ar, "x", "رخصة", "مياه")]);
        for bytes in [vec![], vec![7], page.data.0.clone(), (0..=255).cycle().take(70_000).collect()] {
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            <PageBytes as Lower<Tag>>::write(PageBytes(bytes.clone()), &mut ours);
            <Vec<u8> as Lower<Tag>>::write(bytes.clone(), &mut theirs);
            assert_eq!(ours, theirs);
            let lowered = <PageBytes as Lower<Tag>>::lower(PageBytes(bytes.clone()));
            assert_eq!(<Vec<u8> as Lift<Tag>>::try_lift(lowered).unwrap(), bytes);
            let lowered = <Vec<u8> as Lower<Tag>>::lower(bytes.clone());
            assert_eq!(<PageBytes as Lift<Tag>>::try_lift(lowered).unwrap(), PageBytes(bytes.clone()));
            let mut rest = &theirs[..];
            assert_eq!(<PageBytes as Lift<Tag>>::try_read(&mut rest).unwrap(), PageBytes(bytes.clone()));
            assert!(rest.is_empty());
            for cut in [0, 3, theirs.len().saturating_sub(1)] {
                if cut < theirs.len() {
                    assert!(<PageBytes as Lift<Tag>>::try_read(&mut &theirs[..cut]).is_err(), "cut at {cut}");
                }
            }
        }
        let mut junk = Vec::new();
        <Vec<u8> as Lower<Tag>>::write(vec![1, 2], &mut junk);
        junk.push(0);
        assert!(<PageBytes as Lift<Tag>>::try_lift(RustBuffer::from_vec(junk)).is_err());
        let meta = |m: MetadataBuffer| m.bytes[..m.size].to_vec();
        assert_eq!(
            meta(<PageBytes as TypeId<Tag>>::TYPE_ID_META),
            meta(<Vec<u8> as TypeId<Tag>>::TYPE_ID_META)
        );

        // The whole record: what `search_guide_page` returns.
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        <GuidePage as Lower<Tag>>::write(page.clone(), &mut ours);
        <Vec<u8> as Lower<Tag>>::write(page.data.0.clone(), &mut theirs);
        assert_eq!(ours, theirs);
        let mut rest = &ours[..];
        assert_eq!(<GuidePage as Lift<Tag>>::try_read(&mut rest).unwrap(), page);
    }
}
