//! The records and enums shells see. Core and wire types are exposed as uniffi remote types: the
//! mirrors below are checked field by field against the real definitions at compile time, so
//! they cannot drift. Only search hits get a type of their own, with UTF-16 offsets.

use baladiya_core::wire::{
    Category, Channel, Department, DocumentForm, Fee, Form, Localized, ProcessingTime, RequiredDocument,
    Service, Violation,
};
use baladiya_core::{GuideSyncReport, HitKind, Lang, ShownHit};

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
pub enum Lang {
    Ar,
    En,
}

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
use baladiya_core::complaints::{
    AttributeAnswer, Complaint, ComplaintDraft, ComplaintState, ComplaintUpdate, Contact, GeoPoint,
};
use baladiya_core::open311::{AttributeDef, ComplaintCategory, Datatype, ListValue};

#[uniffi::remote(Record)]
pub struct GeoPoint {
    pub lat: f64,
    pub long: f64,
}

#[uniffi::remote(Record)]
pub struct Contact {
    #[uniffi(default = None)]
    pub first_name: Option<String>,
    #[uniffi(default = None)]
    pub last_name: Option<String>,
    #[uniffi(default = None)]
    pub phone: Option<String>,
    #[uniffi(default = None)]
    pub email: Option<String>,
}

#[uniffi::remote(Record)]
pub struct AttributeAnswer {
    pub code: String,
    pub values: Vec<String>,
}

#[uniffi::remote(Record)]
pub struct ComplaintDraft {
    pub service_code: String,
    pub description: String,
    #[uniffi(default = [])]
    pub attributes: Vec<AttributeAnswer>,
    #[uniffi(default = None)]
    pub location: Option<GeoPoint>,
    #[uniffi(default = None)]
    pub address: Option<String>,
    /// None: anonymous, no personal field is sent.
    #[uniffi(default = None)]
    pub contact: Option<Contact>,
}

#[uniffi::remote(Enum)]
pub enum ComplaintState {
    Queued,
    Sent,
    NeedsAttention,
    Cancelled,
}

#[uniffi::remote(Record)]
pub struct ComplaintUpdate {
    pub update_id: String,
    pub status: String,
    pub detailed_status: Option<String>,
    pub description: String,
    pub media_url: Option<String>,
    pub updated_datetime: String,
}

#[uniffi::remote(Record)]
pub struct Complaint {
    pub local_id: String,
    pub draft: ComplaintDraft,
    pub photo_count: u32,
    pub photos_uploaded: u32,
    pub photos_refused: u32,
    pub photos_on_unmetered_only: bool,
    pub state: ComplaintState,
    pub attempts: u32,
    pub next_attempt_at: Option<i64>,
    pub last_error: Option<String>,
    pub server_id: Option<String>,
    pub token: Option<String>,
    pub status: Option<String>,
    pub detailed_status: Option<String>,
    pub status_notes: Option<String>,
    pub updates: Vec<ComplaintUpdate>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

#[uniffi::remote(Record)]
pub struct ComplaintCategory {
    pub code: String,
    pub name: String,
    pub description: String,
    pub group: String,
    pub keywords: Vec<String>,
    pub has_attributes: bool,
}

#[uniffi::remote(Enum)]
pub enum Datatype {
    String,
    Number,
    Datetime,
    Text,
    SingleValueList,
    MultiValueList,
}

#[uniffi::remote(Record)]
pub struct ListValue {
    pub key: String,
    pub name: String,
}

#[uniffi::remote(Record)]
pub struct AttributeDef {
    pub code: String,
    pub variable: bool,
    pub datatype: Datatype,
    pub required: bool,
    pub description: String,
    pub order: i64,
    pub values: Vec<ListValue>,
}

#[uniffi::remote(Record)]
pub struct SentComplaint {
    pub local_id: String,
    pub server_id: Option<String>,
    pub token: Option<String>,
}

#[uniffi::remote(Record)]
pub struct RetryLater {
    pub local_id: String,
    pub error: String,
    pub offline: bool,
    pub next_attempt_at: i64,
}

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

#[uniffi::remote(Record)]
pub struct RefreshReport {
    pub checked: u32,
    pub changed: u32,
    pub new_updates: u32,
}

// Bills, news and the background sync.

use baladiya_core::background::{BackgroundReport, Notification, NotificationKind};
use baladiya_core::bills::{BillLookup, SavedAccount};
use baladiya_core::news::{NewsReport, StoredNews};
use baladiya_core::wire::{
    Bill, BillLine, BillLineKind, BillStatement, NewsCategory, NewsItem, Payment, PaymentStatus,
    VerificationInfo,
};

#[uniffi::remote(Record)]
pub struct VerificationInfo {
    pub kind: String,
    pub label: Localized,
    pub header: String,
}

#[uniffi::remote(Enum)]
pub enum BillLineKind {
    WaterTier,
    Sewage,
    Waste,
    Arrears,
    Discount,
    LateFee,
    Other,
}

#[uniffi::remote(Record)]
pub struct BillLine {
    pub kind: BillLineKind,
    pub label: Localized,
    pub quantity_m3: Option<i64>,
    pub rate_minor: Option<i64>,
    pub amount_minor: i64,
}

#[uniffi::remote(Enum)]
pub enum PaymentStatus {
    Paid,
    PartlyPaid,
    Unpaid,
}

#[uniffi::remote(Record)]
pub struct Bill {
    pub period: String,
    pub issued_on: String,
    pub due_date: String,
    pub meter_previous: i64,
    pub meter_current: i64,
    pub consumption_m3: i64,
    pub lines: Vec<BillLine>,
    pub total_minor: i64,
    pub paid_minor: i64,
    pub status: PaymentStatus,
}

#[uniffi::remote(Record)]
pub struct Payment {
    pub date: String,
    pub amount_minor: i64,
    pub place: Localized,
}

#[uniffi::remote(Record)]
pub struct BillStatement {
    pub account: String,
    pub account_type: String,
    pub holder_masked: String,
    pub area: Localized,
    pub currency: String,
    pub current: Bill,
    pub history: Vec<Bill>,
    pub payments: Vec<Payment>,
    pub arrears_minor: i64,
    pub total_due_minor: i64,
    pub how_to_pay: Vec<Localized>,
}

#[uniffi::remote(Record)]
pub struct BillLookup {
    pub statement: BillStatement,
    pub fetched_at: i64,
    pub stale: bool,
}

#[uniffi::remote(Record)]
pub struct SavedAccount {
    pub account: String,
    pub nickname: String,
    pub fetched_at: Option<i64>,
}

#[uniffi::remote(Enum)]
pub enum NewsCategory {
    Announcement,
    WaterSchedule,
    ServiceInterruption,
    Project,
    Event,
}

#[uniffi::remote(Record)]
pub struct NewsItem {
    pub id: String,
    pub title: Localized,
    pub body: Localized,
    pub published_at: String,
    pub category: NewsCategory,
    pub image_url: Option<String>,
    pub important: bool,
}

#[uniffi::remote(Record)]
pub struct StoredNews {
    pub item: NewsItem,
    pub read: bool,
}

#[uniffi::remote(Record)]
pub struct NewsReport {
    pub not_modified: bool,
    pub new_items: u32,
    pub withdrawn: u32,
    pub important: Vec<NewsItem>,
    pub bytes_received: u64,
}

#[uniffi::remote(Enum)]
pub enum NotificationKind {
    ComplaintUpdate,
    ComplaintNeedsAttention,
    ImportantNews,
}

#[uniffi::remote(Record)]
pub struct Notification {
    pub kind: NotificationKind,
    pub subject_id: String,
    pub text: String,
    pub detailed_status: Option<String>,
}

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

use baladiya_core::usage::DataUsage;

/// One feature's bytes since the app was installed (`feature`: guide, complaints, bills, news).
#[uniffi::remote(Record)]
pub struct DataUsage {
    pub feature: String,
    pub bytes_sent: u64,
    pub bytes_received: u64,
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
