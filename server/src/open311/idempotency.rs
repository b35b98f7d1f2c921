//! `Idempotency-Key` on POST (IETF httpapi draft "The Idempotency-Key HTTP Header Field").
//!
//! - A key is claimed in memory before the body is read; a second request with a key still
//!   claimed gets 409 at once.
//! - The claim is released only after the transaction that stores the request and its response
//!   has committed (the guard is moved into the database task), so a client that retries after
//!   a dropped connection finds either the stored response or a free key, never a half state.
//! - The stored record holds a hash of the request: the same key with the same request replays
//!   the stored response (same `service_request_id`); with another request, 422.
//! - Only successful responses are stored: a request refused by validation leaves the key free,
//!   so the citizen can fix the complaint and send it again under the same key.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;

pub const HEADER: &str = "idempotency-key";
/// Keys are kept at least this long (phones stay offline for days).
pub const KEEP_DAYS: i64 = 7;
const MAX_KEY_LEN: usize = 255;

/// The key of a request, if it has one. The draft makes it a structured-field string
/// (`"8e03…"`); a bare token is accepted too.
pub fn key(headers: &HeaderMap) -> Result<Option<String>, &'static str> {
    let mut values = headers.get_all(HEADER).iter();
    let Some(value) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err("Idempotency-Key: give it once");
    }
    let raw = value.to_str().map_err(|_| "Idempotency-Key: must be printable ASCII")?.trim();
    let key = match raw.strip_prefix('"') {
        Some(rest) => rest.strip_suffix('"').ok_or("Idempotency-Key: unterminated string")?,
        None => raw,
    };
    if key.is_empty()
        || key.len() > MAX_KEY_LEN
        || !key.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b'"')
    {
        return Err("Idempotency-Key: 1 to 255 printable ASCII characters");
    }
    Ok(Some(key.to_owned()))
}

/// Keys of requests being processed right now.
#[derive(Default, Clone)]
pub struct InFlight(Arc<Mutex<HashSet<String>>>);

/// A claimed key; dropping it releases the key.
pub struct Claim {
    set: InFlight,
    key: String,
}

impl InFlight {
    /// `None` when another request holds the key.
    pub fn claim(&self, key: &str) -> Option<Claim> {
        let mut set = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if !set.insert(key.to_owned()) {
            return None;
        }
        Some(Claim { set: self.clone(), key: key.to_owned() })
    }
}

impl Claim {
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.set.0.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn parses_quoted_and_bare_keys() {
        let mut h = HeaderMap::new();
        assert_eq!(key(&h).unwrap(), None);
        h.insert(HEADER, HeaderValue::from_static("\"8e03978e-40d5\""));
        assert_eq!(key(&h).unwrap().as_deref(), Some("8e03978e-40d5"));
        h.insert(HEADER, HeaderValue::from_static("abc"));
        assert_eq!(key(&h).unwrap().as_deref(), Some("abc"));
        h.insert(HEADER, HeaderValue::from_static("\"\""));
        assert!(key(&h).is_err());
    }

    #[test]
    fn a_claimed_key_is_busy_until_released() {
        let f = InFlight::default();
        let c = f.claim("k").unwrap();
        assert!(f.claim("k").is_none());
        drop(c);
        assert!(f.claim("k").is_some());
    }
}
