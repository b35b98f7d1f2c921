//! Wire types of the Baladiya municipal API.
//!
//! Shared by the reference server and the client core so that both sides agree on the JSON; neither
//! side depends on the other. Only plain data lives here: no I/O, no validation beyond serde.

pub mod guide;
pub mod open311;

pub use guide::*;
pub use open311::*;
