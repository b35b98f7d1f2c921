//! The records the shells see are the core's and the wire's own (their `uniffi` feature, which
//! this crate enables); this module only names the guide's rows for [`crate::page`].

pub use baladiya_core::{GuideHit, TextSpan};
