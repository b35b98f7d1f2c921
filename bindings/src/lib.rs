//! uniffi bindings of the Baladiya core: one `Baladiya` object, one `ApiError`, one event listener
//! trait. Thin by design: every decision lives in `baladiya-core`.
//!
//! Async methods run on one process-wide tokio runtime owned by this library and are awaited
//! through their join handle, so a foreign caller that cancels (drops) a call lets the work finish
//! and the store stays consistent. No panic crosses the boundary: every call is guarded and a
//! panic comes back as `ApiError::Internal`.

mod error;
mod events;
mod object;
mod page;
mod runtime;
mod types;

pub use error::ApiError;
pub use events::{BaladiyaEvent, EventListener, Subscription};
pub use object::{Baladiya, BaladiyaConfig};
pub use page::GuidePage;
pub use types::*;

uniffi::setup_scaffolding!();
