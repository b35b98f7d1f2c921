//! Events for the shells: the core's [`BaladiyaEvent`] itself, one foreign listener trait, and a
//! handle that unsubscribes.

use std::sync::{Arc, Weak};

pub use baladiya_core::BaladiyaEvent;

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
    let id = core.subscribe(Arc::new(move |event: &BaladiyaEvent| {
        // A panicking foreign listener must not unwind through the core.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| listener.on_event(event.clone())));
    }));
    Subscription { core: Arc::downgrade(core), id }
}
