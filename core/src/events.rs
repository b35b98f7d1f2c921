//! Changes that happen after a call returns (a finished sync; later a complaint's new status, news)
//! reach the app through one listener registry. Listeners are called on the thread that made the
//! change, after the change is committed, and must return quickly.

use std::sync::{Arc, Mutex};

use baladiya_wire::NewsItem;

use crate::background::BackgroundReport;
use crate::complaints::ComplaintUpdate;
use crate::guide::sync::GuideSyncReport;
use crate::store::StoreRecovery;

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A guide sync finished and changed something (a 304 raises nothing).
    GuideSynced(GuideSyncReport),
    /// A queued complaint reached the municipality.
    ComplaintSent { local_id: String, server_id: Option<String> },
    /// Bytes of a complaint on their way: its photos (or, to a server without resumable uploads,
    /// its whole POST), at most a few times a second.
    ComplaintProgress(UploadProgress),
    /// Every photo of a sent complaint has reached the server (`refused` of them it refused).
    ComplaintPhotosSent { local_id: String, uploaded: u32, refused: u32 },
    /// The server refused a complaint; the citizen can fix and resend it, or cancel it.
    ComplaintNeedsAttention { local_id: String, reason: String },
    /// A status change, note or reply on a sent complaint (one event per history entry).
    ComplaintUpdated { local_id: String, server_id: String, update: ComplaintUpdate },
    /// News items not seen before; `important` of them are marked important.
    NewsArrived { items: Vec<NewsItem>, important: u32 },
    /// A background sync finished.
    SyncFinished(BackgroundReport),
    /// The local database was found damaged while the app ran: it was set aside and a fresh one
    /// made with what could be read (unsent complaints first); the guide downloads whole on its
    /// next sync. (Damage found at open is in [`crate::Baladiya::store_recoveries`]: no listener
    /// is registered yet then.)
    StoreRecovered(StoreRecovery),
}

/// Where a complaint's upload is: "sending photo 2 of 3 — 40%".
#[derive(Debug, Clone, PartialEq, Eq)]
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

pub type Listener = Arc<dyn Fn(&Event) + Send + Sync>;

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

    pub fn emit(&self, event: &Event) {
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
        let e = Event::GuideSynced(GuideSyncReport::default());
        events.emit(&e);
        events.unsubscribe(id);
        events.emit(&e);
        assert_eq!(heard.load(Ordering::SeqCst), 1);
    }
}
