//! "This is my problem too" (issue 15.3), an extension of GeoReport v2: a citizen who finds,
//! before filing, that the problem is already reported nearby (the request list's `lat`, `long`
//! and `radius`) follows that request instead of reporting it again.
//!
//! | method and path | what |
//! | --- | --- |
//! | `POST /open311/v2/requests/{id}/follow.{fmt}` | follow it: `api_key`, `follower` → `200` and the request (a one-element array, as `GET requests/{id}`) with its `followers` count |
//! | `POST /open311/v2/requests/{id}/unfollow.{fmt}` | stop following it: the same fields and answer |
//!
//! `follower` is an opaque id of the following app, 16 to 128 letters, digits, `-` or `_` (the
//! core sends SHA-256 of its own secret and the request's number, so one app's followings cannot
//! be linked); the server keeps only its SHA-256, to count each app once per request: following twice, or
//! stopping twice, changes nothing and answers the same (so a retry after a lost answer is
//! harmless, with no `Idempotency-Key`). Nothing names the citizen. The follower's updates come
//! the way a reporter's do: the app asks for the request (`GET requests/{id}` or the list's
//! `service_request_id`), so following needs no push channel. Following does not change the
//! request's `updated_datetime` (the count is not a change of the request).
//!
//! Refusals in the spec's error shape: 403 without a valid `api_key`; 404 for an unknown request;
//! 400 for a missing or malformed `follower`, or a field this endpoint does not take; 413 for a
//! body over [`MAX_BODY_BYTES`].

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use sha2::{Digest, Sha256};

use super::categories::Locale;
use super::format::{self, Failure, Format, Rendered};
use super::state::Open311State;
use super::store;
use super::submit::{self, hex};
use crate::sql::params;

/// The largest body this endpoint reads.
pub const MAX_BODY_BYTES: usize = 4 * 1024;
/// The fields it takes.
const FIELDS: &[&str] = &["api_key", "jurisdiction_id", "follower", "locale"];

/// `POST /open311/v2/requests/{id}/{follow,unfollow}.{fmt}`, its path read by the router
/// ([`super::request_action`]).
pub(super) async fn post(
    st: Arc<Open311State>,
    id: i64,
    follow: bool,
    fmt: Format,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let not_found = || Failure::not_found(fmt, "service_request_id: not found");
    if body.len() > MAX_BODY_BYTES {
        return Err(Failure::new(fmt, StatusCode::PAYLOAD_TOO_LARGE, "body: too large"));
    }
    let fields = submit::parse_form(&body, fmt)?;
    st.check_api_key(submit::first(&fields, "api_key"), fmt)?;
    st.check_jurisdiction(submit::first(&fields, "jurisdiction_id"), fmt)?;
    let unknown: Vec<String> = fields
        .iter()
        .filter(|(n, _)| !FIELDS.contains(&n.as_str()))
        .map(|(n, _)| format!("{n}: not a field of this endpoint"))
        .collect();
    if !unknown.is_empty() {
        return Err(Failure { format: fmt, status: StatusCode::BAD_REQUEST, descriptions: unknown });
    }
    let follower = submit::first(&fields, "follower")
        .filter(|f| valid_follower(f))
        .ok_or_else(|| Failure::bad(fmt, "follower: required, 16 to 128 letters, digits, - or _"))?;
    let follower = hex(&Sha256::digest(follower.as_bytes()));
    let locale = Locale::parse(submit::first(&fields, "locale"));
    let base = st.base_url(&headers);
    let cache = Arc::clone(&st.catalogue);
    let one = st
        .query(fmt, move |c| {
            let tx = c.concurrent_transaction()?;
            if store::get(&tx, id)?.is_none() {
                return Ok(None);
            }
            let changed = if follow {
                tx.execute(
                    "INSERT INTO open311_followers (request_id, follower, created_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT DO NOTHING",
                    params![id, follower, store::stamp(Utc::now())],
                )?
            } else {
                tx.execute(
                    "DELETE FROM open311_followers WHERE request_id = ?1 AND follower = ?2",
                    params![id, follower],
                )?
            };
            if changed > 0 {
                let step: i64 = if follow { 1 } else { -1 };
                tx.execute(
                    "UPDATE open311_requests SET followers = followers + ?2 WHERE id = ?1",
                    params![id, step],
                )?;
            }
            // Read after the change, inside the transaction: the count answered is this one's.
            let Some(row) = store::get(&tx, id)? else { return Ok(None) };
            let cat = cache.get(&tx)?;
            let view = store::View {
                categories: &cat.context.categories,
                departments: &cat.context.departments,
                locale,
                base_url: &base,
            };
            let shown = view.public(&tx, &row)?;
            tx.commit()?;
            Ok(Some(shown))
        })
        .await?
        .ok_or_else(not_found)?;
    let list = [one];
    Ok(Rendered::ok(fmt, &list, || format::requests_xml(&list)).into_response())
}

fn valid_follower(f: &str) -> bool {
    (16..=128).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_follower_is_an_opaque_id_of_a_sensible_length() {
        assert!(valid_follower("0123456789abcdef"));
        assert!(valid_follower(&"a-_Z".repeat(32)));
        assert!(!valid_follower("short"));
        assert!(!valid_follower(&"a".repeat(129)));
        assert!(!valid_follower("0123456789abcdef+"));
        assert!(!valid_follower("٠١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧"));
    }
}
