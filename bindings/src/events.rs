//! Events for the shells: one foreign listener trait, and a handle that unsubscribes.

use std::sync::{Arc, Weak};

use baladiya_core::complaints::ComplaintUpdate;
use baladiya_core::wire::NewsItem;

use crate::types::SyncSummary;
use baladiya_core::events::UploadProgress;
use baladiya_core::store::StoreRecovery;
use baladiya_core::{Event, GuideSyncReport};

#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum BaladiyaEvent {
    /// A guide sync brought changes.
    GuideSynced { report: GuideSyncReport },
    /// A queued complaint reached the municipality.
    ComplaintSent { local_id: String, server_id: Option<String> },
    /// Bytes of a complaint on their way, a few times a second at most: `photo_index` (from 1) of
    /// `photo_count` and its bytes, and all the photos' bytes together; `photo_index` 0 while a
    /// server without resumable uploads takes the complaint and its photos in one POST.
    ComplaintProgress { progress: UploadProgress },
    /// Every photo of a sent complaint has reached the server (`refused` of them it refused).
    ComplaintPhotosSent { local_id: String, uploaded: u32, refused: u32 },
    /// The server refused a complaint: show the reason; the citizen may edit and resend, or cancel.
    ComplaintNeedsAttention { local_id: String, reason: String },
    /// A status change, note or reply on a sent complaint: one event per history entry.
    ComplaintUpdated { local_id: String, server_id: String, update: ComplaintUpdate },
    /// News items not seen before (`important` of them marked important).
    NewsArrived { items: Vec<NewsItem>, important: u32 },
    /// A background sync finished.
    SyncFinished { summary: SyncSummary },
    /// The local database was found damaged while the app ran, set aside and rebuilt from what
    /// could be read; the guide downloads whole on its next sync. Damage found at open is in
    /// `store_recoveries()`.
    StoreRecovered { recovery: StoreRecovery },
}

impl From<&Event> for BaladiyaEvent {
    fn from(e: &Event) -> Self {
        match e.clone() {
            Event::GuideSynced(report) => BaladiyaEvent::GuideSynced { report },
            Event::ComplaintSent { local_id, server_id } => {
                BaladiyaEvent::ComplaintSent { local_id, server_id }
            }
            Event::ComplaintProgress(progress) => BaladiyaEvent::ComplaintProgress { progress },
            Event::ComplaintPhotosSent { local_id, uploaded, refused } => {
                BaladiyaEvent::ComplaintPhotosSent { local_id, uploaded, refused }
            }
            Event::ComplaintNeedsAttention { local_id, reason } => {
                BaladiyaEvent::ComplaintNeedsAttention { local_id, reason }
            }
            Event::ComplaintUpdated { local_id, server_id, update } => {
                BaladiyaEvent::ComplaintUpdated { local_id, server_id, update }
            }
            Event::NewsArrived { items, important } => BaladiyaEvent::NewsArrived { items, important },
            Event::SyncFinished(report) => BaladiyaEvent::SyncFinished { summary: report.into() },
            Event::StoreRecovered(recovery) => BaladiyaEvent::StoreRecovered { recovery },
        }
    }
}

/// Implemented in Kotlin or Swift. Called on a library thread; hand the event to the UI's own
/// thread and return quickly.
#[uniffi::export(with_foreign)]
pub trait EventListener: Send + Sync {
    fn on_event(&self, event: BaladiyaEvent);
}

/// Keeps a listener registered until `cancel()` is called or the handle is dropped.
#[derive(uniffi::Object)]
pub struct Subscription {
    pub(crate) core: Weak<baladiya_core::Baladiya>,
    pub(crate) id: u64,
}

#[uniffi::export]
impl Subscription {
    pub fn cancel(&self) {
        if let Some(core) = self.core.upgrade() {
            core.unsubscribe(self.id);
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.cancel();
    }
}

pub(crate) fn subscribe(
    core: &Arc<baladiya_core::Baladiya>,
    listener: Arc<dyn EventListener>,
) -> Subscription {
    let id = core.subscribe(Arc::new(move |event: &Event| {
        // A panicking foreign listener must not unwind through the core.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| listener.on_event(event.into())));
    }));
    Subscription { core: Arc::downgrade(core), id }
}
