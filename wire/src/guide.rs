//! The procedures guide: a catalogue of municipal services shaped after CPSV-AP (the EU Core Public
//! Service Vocabulary) plus the violations guide the municipality publishes beside it.

use serde::{Deserialize, Serialize};

/// A text in both languages of the app. Arabic is the primary language and is never empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Localized {
    pub ar: String,
    pub en: String,
}

/// The competent authority (CPSV-AP `hasCompetentAuthority`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Department {
    pub id: String,
    pub name: Localized,
}

/// A life event or business event grouping services (CPSV-AP `isGroupedBy`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Category {
    pub id: String,
    pub name: Localized,
}

/// Whether the citizen brings the original or a copy of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum DocumentForm {
    Original,
    Copy,
    OriginalAndCopy,
}

/// Required evidence (CPSV-AP `hasInput`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RequiredDocument {
    pub name: Localized,
    pub form: DocumentForm,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Localized>,
}

/// A cost (CPSV-AP `hasCost`). Amounts are in minor units (agorot for ILS) so no float touches money;
/// `None` means the amount depends on the case and `conditions` says how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Fee {
    pub description: Localized,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_minor: Option<i64>,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Localized>,
}

/// Processing time (CPSV-AP `processingTime`): an ISO 8601 duration plus words for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ProcessingTime {
    /// ISO 8601 duration, e.g. `P14D` or `PT2H`.
    pub iso8601: String,
    pub text: Localized,
}

/// Where and how to get the service (CPSV-AP `hasChannel`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Channel {
    pub office: Localized,
    pub hours: Localized,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whatsapp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<String>,
}

/// A form the citizen fills in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Form {
    pub title: Localized,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A question citizens asked about a service and the municipality's answer, published by an
/// editor from an answered question (issue 15.1), so the next citizen finds it offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Faq {
    pub question: Localized,
    pub answer: Localized,
    /// The Open311 request it was asked in (its public id), when published from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// One public service of the municipality.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Service {
    /// Stable slug, e.g. `building-permit`.
    pub id: String,
    pub title: Localized,
    pub summary: Localized,
    pub department_id: String,
    pub category_id: String,
    /// Ordered steps the citizen follows.
    pub steps: Vec<Localized>,
    pub documents: Vec<RequiredDocument>,
    pub fees: Vec<Fee>,
    pub processing_time: ProcessingTime,
    pub channels: Vec<Channel>,
    #[serde(default)]
    pub forms: Vec<Form>,
    /// Search keywords in either language, including colloquial names.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Questions citizens asked, answered (the newest last).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faqs: Vec<Faq>,
    /// RFC 3339; set by the server on every change.
    #[serde(default)]
    pub updated_at: String,
    /// Catalogue version at which this service last changed; set by the server.
    #[serde(default)]
    pub version: i64,
}

/// An entry of the violations guide: an offence and its fine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Violation {
    pub id: String,
    pub offence: Localized,
    /// The fine as a range in minor units; equal bounds for a fixed fine.
    pub fine_min_minor: i64,
    pub fine_max_minor: i64,
    pub currency: String,
    /// Extra words on the fine (per day, doubled on repeat ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fine_notes: Option<Localized>,
    pub legal_basis: Localized,
    pub department_id: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub updated_at: String,
    #[serde(default)]
    pub version: i64,
}

/// The body of `GET /api/v1/guide` (full) and `GET /api/v1/guide?since=N` (delta).
///
/// Departments and categories are small and always sent whole. In a delta, `services` and
/// `violations` hold only what changed after `since`, and `removed_*` the ids deleted after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuideResponse {
    pub version: i64,
    /// `None` for a full catalogue; the client's version for a delta.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    pub departments: Vec<Department>,
    pub categories: Vec<Category>,
    pub services: Vec<Service>,
    pub violations: Vec<Violation>,
    #[serde(default)]
    pub removed_services: Vec<String>,
    #[serde(default)]
    pub removed_violations: Vec<String>,
}

/// The sample catalogue file the reference server loads with `--demo`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CatalogueSeed {
    pub departments: Vec<Department>,
    pub categories: Vec<Category>,
    pub services: Vec<Service>,
    pub violations: Vec<Violation>,
}
