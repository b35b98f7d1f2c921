//! `Idempotency-Key` on POST (IETF httpapi draft "The Idempotency-Key HTTP Header Field").
//!
//! - A key is claimed in memory before the body is read; a second request with a key still
//!   claimed gets 409 at once.
//! - The claim is released only after the transaction that stores the request and its response
//!   has committed (the guard is moved into the database task), so a client that retries after
//!   a dropped connection finds either the stored response or a free key, never a half state.
//! - A claim never outlives its request: the guard lives in the request's handler, which ends
//!   when the connection dies (its future is dropped) or when the body has not arrived by the
//!   body timeout. As a second bound, a claim older than its time to live (the body timeout and
//!   a margin for the database) is stale and the key can be claimed again: a phone that vanished
//!   mid-upload is never answered 409 for longer than that. Taking over a stale claim cannot
//!   store a request twice, because the lookup of the key and the insert run under the one
//!   database connection's lock: whichever comes second finds the first's record.
//! - The stored record holds a hash of the request: the same key with the same request replays
//!   the stored response (same `service_request_id`); with another request, 422.
//! - Only successful responses are stored: a request refused by validation leaves the key free,
//!   so the citizen can fix the complaint and send it again under the same key.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// Keys of requests being processed right now, with when and by which claim they were taken.
#[derive(Clone)]
pub struct InFlight {
    claims: Arc<Mutex<HashMap<String, (u64, Instant)>>>,
    next: Arc<std::sync::atomic::AtomicU64>,
    ttl: Duration,
}

/// A claimed key; dropping it releases the key (unless a later claim took it over).
pub struct Claim {
    set: InFlight,
    key: String,
    id: u64,
}

impl InFlight {
    /// Claims older than `ttl` are stale.
    pub fn new(ttl: Duration) -> Self {
        InFlight { claims: Arc::default(), next: Arc::default(), ttl }
    }

    /// `None` when another request holds the key and its claim is not stale.
    pub fn claim(&self, key: &str) -> Option<Claim> {
        self.claim_at(key, Instant::now())
    }

    fn claim_at(&self, key: &str, now: Instant) -> Option<Claim> {
        let mut claims = self.claims.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, at)) = claims.get(key) {
            if now.saturating_duration_since(*at) < self.ttl {
                return None;
            }
            tracing::warn!("an Idempotency-Key claim outlived its time to live; taken over");
        }
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        claims.insert(key.to_owned(), (id, now));
        Some(Claim { set: self.clone(), key: key.to_owned(), id })
    }
}

impl Claim {
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut claims = self.set.claims.lock().unwrap_or_else(|p| p.into_inner());
        if claims.get(&self.key).is_some_and(|(id, _)| *id == self.id) {
            claims.remove(&self.key);
        }
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
        let f = InFlight::new(Duration::from_secs(60));
        let c = f.claim("k").unwrap();
        assert!(f.claim("k").is_none());
        drop(c);
        assert!(f.claim("k").is_some());
    }

    #[test]
    fn a_stale_claim_is_taken_over_and_its_release_frees_nothing() {
        let f = InFlight::new(Duration::from_secs(60));
        let t0 = Instant::now();
        let stale = f.claim_at("k", t0).unwrap();
        assert!(f.claim_at("k", t0 + Duration::from_secs(59)).is_none());
        let fresh = f.claim_at("k", t0 + Duration::from_secs(60)).expect("stale claim taken over");
        // The stalled request ending late does not free the key its successor holds.
        drop(stale);
        assert!(f.claim_at("k", t0 + Duration::from_secs(61)).is_none());
        drop(fresh);
        assert!(f.claim_at("k", t0 + Duration::from_secs(61)).is_some());
    }
}
