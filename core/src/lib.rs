//! Baladiya's client core: everything the apps do, without any platform or FFI code.
//!
//! The facade, and the only place events are raised:
//! - [`client::Baladiya`]: the object shells hold (through the bindings crate); it composes the
//!   feature services below. [`background`]: one background sync over them, within a budget.
//! - [`events`]: the [`BaladiyaEvent`]s and their listeners.
//!
//! Feature services, each owning its store access and network calls:
//! - [`guide`]: the offline procedures and violations guide, its sync and search.
//! - [`complaints`]: the outbox (filed offline, sent exactly once), its photos, status refresh;
//!   its state machines generic over [`complaints::transport::Open311Transport`].
//! - [`bills`]: bill lookup, saved accounts, the offline copy.
//! - [`news`]: the offline news.
//!
//! Below them:
//! - [`open311`]: the GeoReport v2 client. [`api`]: the HTTP client of the municipal API;
//!   [`transfer`]: its progress-based timeouts.
//! - [`store`]: the SQLite database and its migrations.
//! - [`clock`]: time as the core sees it (a fake one in tests).
//! - [`text`]: Arabic-aware folding for search and digit input.
//! - [`usage`]: bytes moved per feature, counted at the HTTP client.

// With the `uniffi` feature the records and enums shells see derive uniffi's traits on the types
// themselves (the bindings crate enables it; generated as their own module: Kotlin
// `uniffi.baladiya_core`). Nothing else here knows about FFI.
#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();

pub mod api;
pub mod background;
pub mod bills;
pub mod client;
pub mod clock;
pub mod complaints;
pub mod error;
pub mod events;
pub mod guide;
pub mod news;
pub mod open311;
pub mod photo;
pub mod store;
pub mod text;
pub mod throughput;
pub mod transfer;
pub mod usage;

pub use baladiya_wire as wire;
pub use client::{Baladiya, Config, STORE_HOOKS};
pub use error::{Error, FieldProblem, Result};
pub use events::BaladiyaEvent;
pub use guide::search::{GuideHit, Highlight, HitField, HitKind, Lang, SearchHit, ShownHit, TextSpan};
pub use guide::sync::GuideSyncReport;
