//! Changes that happen after a call returns (a finished sync, a complaint's new status, news)
//! reach the app through one listener registry. Listeners are called on the thread that made the
//! change, after the change is committed, and must return quickly.
//!
//! Only the facade ([`crate::client`], [`crate::background`]) emits. The feature modules below
//! it know nothing of the registry: they return reports, or announce through a callback of their
//! own ([`ComplaintEvent`], turned into an [`BaladiyaEvent`] here), so this module depends on the features'
//! report types and nothing depends back on it but the facade.

use std::sync::{Arc, Mutex};

use baladiya_wire::NewsItem;

use crate::complaints::flush::ComplaintFlushReport;
use crate::complaints::followup::FollowUpKind;
use crate::complaints::refresh::RefreshReport;
use crate::complaints::{ComplaintEvent, ComplaintUpdate};
use crate::guide::sync::GuideSyncReport;
use crate::news::NewsReport;
use crate::store::StoreRecovery;

pub use crate::complaints::UploadProgress;

/// Something that changed after a call returned. The shells receive these very values (the
/// bindings derive them across the FFI); hand them to the UI's thread and return quickly.
// The variants cross the FFI by value (uniffi has no boxed records): the summary of a
// background sync, with its flush report, is the large one and is raised once per sync.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum BaladiyaEvent {
    /// A guide sync finished and changed something (a 304 raises nothing).
    GuideSynced { report: GuideSyncReport },
    /// A queued complaint reached the municipality.
    ComplaintSent { local_id: String, server_id: Option<String> },
    /// Bytes of a complaint on their way, a few times a second at most: `photo_index` (from 1) of
    /// `photo_count` and its bytes, and all the photos' bytes together; `photo_index` 0 while a
    /// server without resumable uploads takes the complaint and its photos in one POST.
    ComplaintProgress { progress: UploadProgress },
    /// Every photo of a sent complaint has reached the server (`refused` of them it refused).
    ComplaintPhotosSent { local_id: String, uploaded: u32, refused: u32 },
    /// The server refused a complaint; the citizen can fix and resend it, or cancel it.
    ComplaintNeedsAttention { local_id: String, reason: String },
    /// A status change, note or reply on a sent complaint (one event per history entry).
    ComplaintUpdated { local_id: String, server_id: String, update: ComplaintUpdate },
    /// The citizen's feedback or reopening of a closed complaint reached the municipality.
    ComplaintFollowUpSent { local_id: String, kind: FollowUpKind },
    /// The server refused the citizen's feedback or reopening (too late, already given…).
    ComplaintFollowUpRefused { local_id: String, kind: FollowUpKind, reason: String },
    /// News items not seen before; `important` of them are marked important.
    NewsArrived { items: Vec<NewsItem>, important: u32 },
    /// A background sync finished.
    SyncFinished { summary: SyncSummary },
    /// The local database was found damaged while the app ran: it was set aside and a fresh one
    /// made with what could be read (unsent complaints first); the guide downloads whole on its
    /// next sync. (Damage found at open is in [`crate::Baladiya::store_recoveries`]: no listener
    /// is registered yet then.)
    StoreRecovered { recovery: StoreRecovery },
}

impl From<ComplaintEvent> for BaladiyaEvent {
    fn from(e: ComplaintEvent) -> Self {
        match e {
            ComplaintEvent::Sent { local_id, server_id } => {
                BaladiyaEvent::ComplaintSent { local_id, server_id }
            }
            ComplaintEvent::Progress(progress) => BaladiyaEvent::ComplaintProgress { progress },
            ComplaintEvent::PhotosSent { local_id, uploaded, refused } => {
                BaladiyaEvent::ComplaintPhotosSent { local_id, uploaded, refused }
            }
            ComplaintEvent::NeedsAttention { local_id, reason } => {
                BaladiyaEvent::ComplaintNeedsAttention { local_id, reason }
            }
            ComplaintEvent::Updated { local_id, server_id, update } => {
                BaladiyaEvent::ComplaintUpdated { local_id, server_id, update }
            }
            ComplaintEvent::FollowUpSent { local_id, kind } => {
                BaladiyaEvent::ComplaintFollowUpSent { local_id, kind }
            }
            ComplaintEvent::FollowUpRefused { local_id, kind, reason } => {
                BaladiyaEvent::ComplaintFollowUpRefused { local_id, kind, reason }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum NotificationKind {
    /// A status change, note or reply on one of the citizen's complaints.
    ComplaintUpdate,
    /// The server refused a queued complaint.
    ComplaintNeedsAttention,
    /// A new news item marked important.
    ImportantNews,
}

/// Something worth a local notification; the shell words and shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Notification {
    pub kind: NotificationKind,
    /// The complaint's tracking number or the news item's id.
    pub subject_id: String,
    /// The update's text, the refusal's reason, or the news title (Arabic).
    pub text: String,
    /// The complaint's detailed status after the update, when there is one.
    pub detailed_status: Option<String>,
}

/// What one background sync did. A step that did not run (no time left, or offline) is `None`.
/// The shell turns `notifications` into local notifications.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncSummary {
    pub flush: Option<ComplaintFlushReport>,
    pub complaints: Option<RefreshReport>,
    pub news: Option<NewsReport>,
    pub guide: Option<GuideSyncReport>,
    /// Steps that failed, as "step: error".
    pub errors: Vec<String>,
    /// The budget ran out before every step finished.
    pub out_of_time: bool,
    /// The server could not be reached: the shell should retry when the network is back
    /// (WorkManager `Result.retry()`, a BGTask rescheduled).
    pub offline: bool,
    pub notifications: Vec<Notification>,
    pub elapsed_ms: u64,
}

pub type Listener = Arc<dyn Fn(&BaladiyaEvent) + Send + Sync>;

/// The registered listeners, each with the id that unsubscribes it.
#[derive(Default)]
pub struct Events {
    listeners: Mutex<Vec<(u64, Listener)>>,
    next_id: std::sync::atomic::AtomicU64,
}

impl Events {
    pub fn subscribe(&self, listener: Listener) -> u64 {
        let id = self.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.lock().push((id, listener));
        id
    }

    pub fn unsubscribe(&self, id: u64) {
        self.lock().retain(|(i, _)| *i != id);
    }

    pub fn emit(&self, event: &BaladiyaEvent) {
        // Call outside the lock so a listener may (un)subscribe.
        let listeners: Vec<Listener> = self.lock().iter().map(|(_, l)| Arc::clone(l)).collect();
        for l in listeners {
            l(event);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Listener)>> {
        self.listeners.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn unsubscribed_listeners_hear_nothing() {
        let events = Events::default();
        let heard = Arc::new(AtomicUsize::new(0));
        let h = Arc::clone(&heard);
        let id = events.subscribe(Arc::new(move |_| {
            h.fetch_add(1, Ordering::SeqCst);
        }));
        let e = BaladiyaEvent::GuideSynced { report: GuideSyncReport::default() };
        events.emit(&e);
        events.unsubscribe(id);
        events.emit(&e);
        assert_eq!(heard.load(Ordering::SeqCst), 1);
    }
}
