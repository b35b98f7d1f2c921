//! Baladiya's client core: everything the apps do, without any platform or FFI code.
//!
//! - [`client::Baladiya`]: the object shells hold (through the bindings crate).
//! - [`guide`]: the offline procedures and violations guide, its sync and search.
//! - [`store`]: the SQLite database and its migrations.
//! - [`api`]: the HTTP client of the municipal API.
//! - [`text`]: Arabic-aware folding for search and digit input.
//! - [`usage`]: bytes moved per feature, counted at the HTTP client.

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
pub use client::{Baladiya, Config};
pub use error::{Error, FieldProblem, Result};
pub use events::Event;
pub use guide::search::{Highlight, HitField, HitKind, Lang, SearchHit, ShownHit};
pub use guide::sync::GuideSyncReport;
