//! The records and enums shells see. Core and wire types are exposed as uniffi remote types: the
//! mirrors below are checked field by field against the real definitions at compile time, so
//! they cannot drift. Only search hits get a type of their own, with UTF-16 offsets.

use baladiya_core::wire::{
    Category, Channel, Department, DocumentForm, Fee, Form, Localized, ProcessingTime, RequiredDocument,
    Service, Violation,
};
use baladiya_core::{GuideSyncReport, HitField, HitKind, Lang, SearchHit};

#[uniffi::remote(Record)]
pub struct Localized {
    pub ar: String,
    pub en: String,
}

#[uniffi::remote(Record)]
pub struct Department {
    pub id: String,
    pub name: Localized,
}

#[uniffi::remote(Record)]
pub struct Category {
    pub id: String,
    pub name: Localized,
}

#[uniffi::remote(Enum)]
pub enum DocumentForm {
    Original,
    Copy,
    OriginalAndCopy,
}

#[uniffi::remote(Record)]
pub struct RequiredDocument {
    pub name: Localized,
    pub form: DocumentForm,
    pub notes: Option<Localized>,
}

#[uniffi::remote(Record)]
pub struct Fee {
    pub description: Localized,
    pub amount_minor: Option<i64>,
    pub currency: String,
    pub conditions: Option<Localized>,
}

#[uniffi::remote(Record)]
pub struct ProcessingTime {
    pub iso8601: String,
    pub text: Localized,
}

#[uniffi::remote(Record)]
pub struct Channel {
    pub office: Localized,
    pub hours: Localized,
    pub phone: Option<String>,
    pub whatsapp: Option<String>,
    pub web: Option<String>,
}

#[uniffi::remote(Record)]
pub struct Form {
    pub title: Localized,
    pub url: Option<String>,
}

#[uniffi::remote(Record)]
pub struct Service {
    pub id: String,
    pub title: Localized,
    pub summary: Localized,
    pub department_id: String,
    pub category_id: String,
    pub steps: Vec<Localized>,
    pub documents: Vec<RequiredDocument>,
    pub fees: Vec<Fee>,
    pub processing_time: ProcessingTime,
    pub channels: Vec<Channel>,
    pub forms: Vec<Form>,
    pub keywords: Vec<String>,
    pub updated_at: String,
    pub version: i64,
}

#[uniffi::remote(Record)]
pub struct Violation {
    pub id: String,
    pub offence: Localized,
    pub fine_min_minor: i64,
    pub fine_max_minor: i64,
    pub currency: String,
    pub fine_notes: Option<Localized>,
    pub legal_basis: Localized,
    pub department_id: String,
    pub keywords: Vec<String>,
    pub updated_at: String,
    pub version: i64,
}

#[uniffi::remote(Record)]
pub struct GuideSyncReport {
    pub not_modified: bool,
    pub full: bool,
    pub version: i64,
    pub services_added: u32,
    pub services_updated: u32,
    pub services_removed: u32,
    pub violations_changed: u32,
    pub violations_removed: u32,
    pub bytes_received: u64,
}

#[uniffi::remote(Enum)]
pub enum HitKind {
    Service,
    Violation,
}

#[uniffi::remote(Enum)]
pub enum HitField {
    Title,
    Summary,
}

#[uniffi::remote(Enum)]
pub enum Lang {
    Ar,
    En,
}

/// A matched span, in UTF-16 code units of the field's text: what Kotlin's `String` indices and
/// Swift's `NSRange` count.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GuideHighlight {
    pub field: HitField,
    pub lang: Lang,
    pub start: u32,
    pub end: u32,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct GuideHit {
    pub kind: HitKind,
    pub id: String,
    pub title: Localized,
    pub summary: Localized,
    pub highlights: Vec<GuideHighlight>,
}

fn utf16_offset(text: &str, byte: usize) -> u32 {
    text.get(..byte).map(|s| s.encode_utf16().count()).unwrap_or(0) as u32
}

impl From<SearchHit> for GuideHit {
    fn from(h: SearchHit) -> Self {
        let highlights = h
            .highlights
            .iter()
            .map(|x| {
                let text = match (x.field, x.lang) {
                    (HitField::Title, Lang::Ar) => &h.title.ar,
                    (HitField::Title, Lang::En) => &h.title.en,
                    (HitField::Summary, Lang::Ar) => &h.summary.ar,
                    (HitField::Summary, Lang::En) => &h.summary.en,
                };
                GuideHighlight {
                    field: x.field,
                    lang: x.lang,
                    start: utf16_offset(text, x.range.start),
                    end: utf16_offset(text, x.range.end),
                }
            })
            .collect();
        GuideHit { kind: h.kind, id: h.id, title: h.title, summary: h.summary, highlights }
    }
}
