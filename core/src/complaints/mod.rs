//! Complaints and suggestions: written to a durable outbox at once (no network), sent in order
//! exactly once when the network allows, then followed until the municipality answers.
//!
//! - [`validate`]: a draft checked against the cached category definition and the municipality's
//!   area, before it is accepted.
//! - [`outbox`]: the rows, their states and the submit transaction.
//! - [`backoff`]: when to retry.
//! - [`flush`]: sending queued complaints, text first.
//! - [`photos`]: their photos after them, as resumable uploads.
//! - [`followup`], [`followup_send`]: feedback and reopening after a closing, through the same
//!   outbox.
//! - [`refresh`]: bringing status changes and replies of sent complaints.
//! - [`follow`]: before filing, the open requests of the category already reported nearby, and
//!   following one of them instead ("this is my problem too").
//! - [`transport`]: what those three need from an Open311 server, as a trait (the real client,
//!   or a scripted server in the table tests of `flush_tests.rs`).
//! - [`categories`]: the cached Open311 categories and definitions.
//! - [`service`]: all of it as the feature service the facade composes ([`service::Complaints`]:
//!   the outbox's state, its store and its Open311 client).
//! - [`extensions`]: the extension fields the server refused, remembered in the store.

pub mod backoff;
pub mod categories;
pub mod extensions;
pub mod flush;
pub mod follow;
pub mod followup;
pub mod followup_send;
pub mod outbox;
pub mod photos;
pub mod refresh;
pub mod send;
pub mod service;
pub mod transport;
pub mod validate;

#[cfg(test)]
mod flush_tests;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// What the citizen chose for a complaint's photos.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PhotoChoice {
    /// Full quality even on a slow link (else a slow link gets photos of 1280 px, ~150 KB).
    pub full_quality: bool,
    /// "Send photos later, on Wi-Fi": the complaint goes now, its photos only on a network the
    /// shell reports as not metered. (To a server without resumable uploads the photos must go
    /// in the complaint's own POST, so there they go with it.)
    pub on_unmetered_only: bool,
}

/// A point in WGS 84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GeoPoint {
    pub lat: f64,
    pub long: f64,
}

/// The area complaints may point into: a latitude/longitude box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub min: GeoPoint,
    pub max: GeoPoint,
}

impl Area {
    /// Gaza City's municipal area: the wire's box, which the server checks too.
    pub const GAZA_CITY: Area = Area::from_box(baladiya_wire::BoundingBox::GAZA_CITY);

    pub const fn from_box(b: baladiya_wire::BoundingBox) -> Area {
        Area {
            min: GeoPoint { lat: b.min_lat, long: b.min_long },
            max: GeoPoint { lat: b.max_lat, long: b.max_long },
        }
    }

    pub fn contains(&self, p: GeoPoint) -> bool {
        (self.min.lat..=self.max.lat).contains(&p.lat) && (self.min.long..=self.max.long).contains(&p.long)
    }
}

/// Who to answer. Absent for an anonymous complaint, which then sends no personal field at all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Contact {
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub first_name: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub last_name: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub phone: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub email: Option<String>,
}

/// The answer to one attribute; several values only for a multi-value list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AttributeAnswer {
    pub code: String,
    pub values: Vec<String>,
}

/// What the citizen filled in. Photos travel beside it as raw image bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ComplaintDraft {
    pub service_code: String,
    pub description: String,
    #[cfg_attr(feature = "uniffi", uniffi(default = []))]
    pub attributes: Vec<AttributeAnswer>,
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub location: Option<GeoPoint>,
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub address: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub contact: Option<Contact>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ComplaintState {
    /// Waiting to be sent (or being sent).
    Queued,
    /// The municipality has it.
    Sent,
    /// The server refused it; `last_error` says why. Edit and resend, or cancel.
    NeedsAttention,
    /// Withdrawn by the citizen before it was sent.
    Cancelled,
}

impl ComplaintState {
    pub(crate) fn parse(s: &str) -> ComplaintState {
        match s {
            "sent" => ComplaintState::Sent,
            "needs_attention" => ComplaintState::NeedsAttention,
            "cancelled" => ComplaintState::Cancelled,
            _ => ComplaintState::Queued,
        }
    }
}

/// One entry of a complaint's history: a status change, a note, the department's reply.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ComplaintUpdate {
    pub update_id: String,
    pub status: String,
    pub detailed_status: Option<String>,
    pub description: String,
    pub media_url: Option<String>,
    pub updated_datetime: String,
}

impl From<crate::open311::RemoteUpdate> for ComplaintUpdate {
    fn from(u: crate::open311::RemoteUpdate) -> Self {
        ComplaintUpdate {
            update_id: u.update_id,
            status: u.status,
            detailed_status: u.detailed_status,
            description: u.description,
            media_url: u.media_url,
            updated_datetime: u.updated_datetime,
        }
    }
}

/// What the outbox and the refresh announce as it happens, after the change is committed. The
/// facade turns each into its [`crate::BaladiyaEvent`]; complaints know nothing of the listeners.
#[derive(Debug, Clone, PartialEq)]
pub enum ComplaintEvent {
    /// A queued complaint reached the municipality.
    Sent { local_id: String, server_id: Option<String> },
    /// Bytes of a complaint on their way (at most a few times a second).
    Progress(UploadProgress),
    /// Every photo of a sent complaint has reached the server (`refused` of them it refused).
    PhotosSent { local_id: String, uploaded: u32, refused: u32 },
    /// The server refused a complaint.
    NeedsAttention { local_id: String, reason: String },
    /// A status change, note or reply on a sent complaint (one per history entry).
    Updated { local_id: String, server_id: String, update: ComplaintUpdate },
    /// Feedback or a reopening reached the municipality.
    FollowUpSent { local_id: String, kind: followup::FollowUpKind },
    /// The server refused feedback or a reopening.
    FollowUpRefused { local_id: String, kind: followup::FollowUpKind, reason: String },
}

/// Where complaint events go (called on the thread that made the change; must return quickly).
pub type Announce = Arc<dyn Fn(ComplaintEvent) + Send + Sync>;

/// Where a complaint's upload is: "sending photo 2 of 3 — 40%".
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct UploadProgress {
    pub local_id: String,
    /// The photo being sent, from 1; 0 while a POST carries the complaint with all its photos.
    pub photo_index: u32,
    pub photo_count: u32,
    /// Bytes of this photo handed to the network, of its size (of the POST, when `photo_index` is 0).
    pub photo_bytes_sent: u64,
    pub photo_bytes_total: u64,
    /// The same for all the complaint's photos together (the ones sent before included).
    pub bytes_sent: u64,
    pub bytes_total: u64,
}

/// A complaint as the citizen's list and detail screens show it.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Complaint {
    /// The tracking number given at once, before any network.
    pub local_id: String,
    pub draft: ComplaintDraft,
    pub photo_count: u32,
    /// Photos the server has in full (with the complaint's POST, or uploaded after it).
    pub photos_uploaded: u32,
    /// Photos the server refused (their reason is not kept apart from the photo).
    pub photos_refused: u32,
    /// The citizen chose "send photos later, on Wi-Fi": they wait for a network that is not
    /// metered ("photos waiting for Wi-Fi" while some are still to send).
    pub photos_on_unmetered_only: bool,
    pub state: ComplaintState,
    pub attempts: u32,
    /// When the next automatic attempt is due (unix ms), while queued after a failure.
    pub next_attempt_at: Option<i64>,
    /// The last failure, or the server's reason for refusing.
    pub last_error: Option<String>,
    pub server_id: Option<String>,
    pub token: Option<String>,
    /// `open` or `closed`, once sent.
    pub status: Option<String>,
    pub detailed_status: Option<String>,
    pub status_notes: Option<String>,
    pub updates: Vec<ComplaintUpdate>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    /// When the municipality expects to have dealt with it (RFC 3339): the server's
    /// `expected_datetime`, the filing time plus the category's service level; known from the
    /// first refresh after sending, where the server gives one.
    pub expected_datetime: Option<String>,
    /// Past `expected_datetime` and not closed: the app marks it (as of the last read).
    pub overdue: bool,
    /// When its current closing began (RFC 3339), while it is closed.
    pub closed_datetime: Option<String>,
    /// The citizen may say now whether it was really resolved ([`followup`]).
    pub can_give_feedback: bool,
    /// What the citizen said of the current closing, and whether it has reached the municipality.
    pub feedback: Option<followup::GivenFeedback>,
    /// The citizen may reopen it now (within 14 days of its closing).
    pub can_reopen: bool,
    /// Until when it can be reopened (unix ms), while closed by a server that takes reopenings.
    pub reopen_until: Option<i64>,
    /// A reopening asked for the current closing, and where it is.
    pub reopen: Option<followup::ReopenRequest>,
    /// Someone else's request the citizen follows ("this is my problem too", [`follow`]): watched
    /// like their own, but not theirs to rate, reopen or add photos to.
    pub followed: bool,
    /// How many citizens follow it, as the municipality's server last said.
    pub followers: Option<u32>,
}

impl Complaint {
    /// Whether `expected_datetime` has passed at `now_ms` while the complaint is still open.
    pub fn is_overdue(&self, now_ms: i64) -> bool {
        let open = self.state == ComplaintState::Sent && self.status.as_deref() != Some("closed");
        let expected = self
            .expected_datetime
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.timestamp_millis());
        open && expected.is_some_and(|at| at < now_ms)
    }
}
