//! `Idempotency-Key` on POST (IETF httpapi draft "The Idempotency-Key HTTP Header Field").
//!
//! - A key is claimed in the database (`open311_idempotency_claims`, migration 009) before the
//!   body is read; a second request with a key still claimed gets 409 at once, whichever server
//!   process on the database it reaches. The claim is one statement (an insert, or the takeover
//!   of a stale claim), so of two processes claiming one key at once exactly one gets it.
//! - The claim is released only after the transaction that stores the request and its response
//!   has committed (the guard is moved into the database task), so a client that retries after
//!   a dropped connection finds either the stored response or a free key, never a half state.
//! - A claim never outlives its request: the guard lives in the request's handler, which ends
//!   when the connection dies (its future is dropped, and the claim is deleted) or when the body
//!   has not arrived by the body timeout. As a second bound (a process killed mid-request never
//!   deletes its claim), a claim older than its time to live (the body timeout and a margin for
//!   the database) is stale and the key can be claimed again: a phone that vanished mid-upload is
//!   never answered 409 for longer than that. Taking over a stale claim cannot store a request
//!   twice, because the lookup of the key and the insert run in one write transaction: whichever
//!   comes second finds the first's record.
//! - The stored record holds a hash of the request: the same key with the same request replays
//!   the stored response (same `service_request_id`); with another request, 422.
//! - Only successful responses are stored: a request refused by validation leaves the key free,
//!   so the citizen can fix the complaint and send it again under the same key.

use std::time::Duration;

use crate::sql::{params, Conn};
use axum::http::HeaderMap;

use crate::bills::throttle::now_ms;
use crate::db::Db;
use crate::error::ApiError;

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

/// Claims of keys whose requests are being processed right now, kept in the database.
#[derive(Clone)]
pub struct InFlight {
    db: Db,
    ttl: Duration,
}

/// A claimed key; dropping it without [`Claim::release`] releases the key (on the runtime),
/// unless a later claim took it over.
pub struct Claim {
    db: Db,
    key: String,
    id: String,
    held: bool,
}

impl InFlight {
    /// Claims older than `ttl` are stale.
    pub fn new(db: Db, ttl: Duration) -> Self {
        InFlight { db, ttl }
    }

    /// `None` when another request holds the key and its claim is not stale.
    pub async fn claim(&self, key: &str) -> Result<Option<Claim>, ApiError> {
        let id = claim_id()?;
        let (k, i, ttl) = (key.to_owned(), id.clone(), self.ttl);
        let taken = self.db.call(move |c| claim_at(c, &k, &i, now_ms(), ttl)).await?;
        Ok(taken.then(|| Claim { db: self.db.clone(), key: key.to_owned(), id, held: true }))
    }
}

fn claim_id() -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| ApiError::Internal(format!("random: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Claim `key` for `id` at `now` (Unix milliseconds): a new claim, or a stale one taken over, in
/// one statement. False when a live claim holds it.
fn claim_at(conn: &Conn, key: &str, id: &str, now: i64, ttl: Duration) -> Result<bool, ApiError> {
    let stale_before = now.saturating_sub(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
    let changed = conn.execute(
        "INSERT INTO open311_idempotency_claims (idem_key, claim_id, claimed_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (idem_key) DO UPDATE SET claim_id = excluded.claim_id, claimed_at = excluded.claimed_at
         WHERE open311_idempotency_claims.claimed_at <= ?4",
        params![key, id, now, stale_before],
    )?;
    Ok(changed == 1)
}

fn release(conn: &Conn, key: &str, id: &str) -> Result<(), ApiError> {
    conn.execute(
        "DELETE FROM open311_idempotency_claims WHERE idem_key = ?1 AND claim_id = ?2",
        params![key, id],
    )?;
    Ok(())
}

/// Forget claims stale for long (their processes died); a live claim is never touched.
pub fn purge(conn: &Conn, ttl: Duration) -> Result<usize, ApiError> {
    let before = now_ms().saturating_sub(2 * i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2));
    Ok(conn.execute("DELETE FROM open311_idempotency_claims WHERE claimed_at <= ?1", [before])?)
}

impl Claim {
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Release the key now, on `conn` (after the request's transaction has committed). A
    /// failure leaves the claim to go stale.
    pub fn release(mut self, conn: &Conn) {
        self.held = false;
        if let Err(e) = release(conn, &self.key, &self.id) {
            tracing::warn!(error = %e, "could not release an Idempotency-Key claim; it lapses by its time to live");
        }
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if !self.held {
            return;
        }
        // Without a runtime the claim lapses by its time to live instead.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let (db, key, id) =
                (self.db.clone(), std::mem::take(&mut self.key), std::mem::take(&mut self.id));
            rt.spawn(async move {
                if let Err(e) = db.call(move |c| release(c, &key, &id)).await {
                    tracing::warn!(error = %e, "could not release an Idempotency-Key claim; it lapses by its time to live");
                }
            });
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
    fn a_claimed_key_is_busy_until_released_and_a_stale_claim_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let ttl = Duration::from_secs(60);
        let t0 = 1_000_000_000;
        db.with(|c| {
            assert!(claim_at(c, "k", "a", t0, ttl).unwrap());
            assert!(!claim_at(c, "k", "b", t0 + 59_999, ttl).unwrap());
            release(c, "k", "a").unwrap();
            assert!(claim_at(c, "k", "b", t0 + 59_999, ttl).unwrap());
            // Stale at 60 s: taken over...
            assert!(claim_at(c, "k", "c", t0 + 59_999 + 60_000, ttl).unwrap());
            // ...and the stalled request ending late does not free the key its successor holds.
            release(c, "k", "b").unwrap();
            assert!(!claim_at(c, "k", "d", t0 + 59_999 + 60_001, ttl).unwrap());
            release(c, "k", "c").unwrap();
            assert!(claim_at(c, "k", "d", t0 + 59_999 + 60_001, ttl).unwrap());
        });
    }

    #[tokio::test]
    async fn a_dropped_claim_frees_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let f = InFlight::new(Db::open(dir.path()).unwrap(), Duration::from_secs(60));
        let c = f.claim("k").await.unwrap().unwrap();
        assert!(f.claim("k").await.unwrap().is_none());
        drop(c);
        // The release runs on the runtime.
        let mut again = None;
        for _ in 0..100 {
            again = f.claim("k").await.unwrap();
            if again.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(again.is_some());
    }
}
