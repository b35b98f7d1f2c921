//! Wire types of the Baladiya municipal API.
//!
//! Shared by the reference server and the client core so that both sides agree on the JSON; neither
//! side depends on the other. Only plain data lives here: no I/O, no validation beyond serde.

// With the `uniffi` feature the types the apps see derive uniffi's traits here, so the bindings
// crate needs no mirrors of them (generated as their own module: Kotlin `uniffi.baladiya_wire`).
#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();

pub mod area;
pub mod bills;
pub mod guide;
pub mod news;
pub mod open311;

pub use area::BoundingBox;
pub use bills::*;
pub use guide::*;
pub use news::*;
pub use open311::*;
