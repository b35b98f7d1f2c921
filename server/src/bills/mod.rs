//! Bill lookup.
//!
//! | method and path | what |
//! | --- | --- |
//! | `GET /api/v1/bills/verification` | which factor the app must ask for, and the header that carries it ([`VerificationInfo`]) |
//! | `GET /api/v1/bills/{account}` | the statement: current bill, 24 months of history, payments, what is owed, how to pay ([`BillStatement`]); needs the factor in `X-Baladiya-Verification` |
//!
//! **Account numbers** are eight digits. The server reads them in any digit script and with
//! spaces or dashes (`١٠٢٣-٤٥١٨` is `10234518`); anything else is `400` before any lookup.
//!
//! **Verification.** A statement is personal data. The caller proves one factor, chosen per server
//! with `--bill-verification`: `phone` (default; the number registered on the account, compared
//! on its national significant number, so `+970 599 123 456`, `0599-123-456` and `٠٥٩٩١٢٣٤٥٦` are
//! the same) or `national_id` (the holder's id number). It travels in a header, never in the URL,
//! which proxies and logs keep. The stored factor is a digest ([`verify::digest`]), compared in
//! constant time. An unknown account and a wrong factor get the very same answer, after the same
//! work: `401 {"error": "account number or verification does not match"}`.
//!
//! **Throttling.** Each attempt is counted as a failure *before* it is checked (so parallel
//! guesses cannot slip past the count) and forgiven if it succeeds. At most 5 failures per account
//! number (known or not) and 20 per client address in 15 minutes; beyond that `429` with
//! `Retry-After` (seconds) until the oldest failure is 15 minutes old. A success clears its
//! account's failures but only forgives its own attempt in the client's count, so mixing in a
//! known account does not reset a client's guessing budget. The client address is the
//! connection's peer (behind a reverse proxy, the proxy must throttle or pass the address on).
//!
//! **Caching.** A statement has a strong ETag (a hash of its bytes) and is gzipped when the
//! client accepts it; `If-None-Match` gives `304` (after verification). `Cache-Control: private,
//! no-cache`. Errors carry `Cache-Control: no-store`.
//!
//! The request log names the route template (`/api/v1/bills/{account}`), never the account, and
//! nothing here logs an account number or a factor.

pub mod sample;
mod store;
pub mod throttle;
pub mod verify;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use baladiya_wire::{BillStatement, Localized, VerificationInfo};
use sha2::{Digest, Sha256};

use crate::conditional::{not_modified, Representation};
use crate::db::Db;
use throttle::{client_key, Limit, Throttle};
pub use verify::VerificationKind;

/// The header that carries the verification factor (HTTP header names are case-insensitive).
pub const VERIFICATION_HEADER: &str = "X-Baladiya-Verification";
/// The one answer to an unknown account and to a wrong factor.
pub const MISMATCH: &str = "account number or verification does not match";

/// Settings of the bill lookup.
#[derive(Debug, Clone)]
pub struct BillsConfig {
    pub verification: VerificationKind,
    /// Failed verifications allowed per account number.
    pub per_account: Limit,
    /// Failed verifications allowed per client address.
    pub per_client: Limit,
}

impl Default for BillsConfig {
    fn default() -> Self {
        let window = Duration::from_secs(15 * 60);
        BillsConfig {
            verification: VerificationKind::Phone,
            per_account: Limit { max: 5, window },
            per_client: Limit { max: 20, window },
        }
    }
}

struct BillsState {
    db: Db,
    kind: VerificationKind,
    info: Representation,
    accounts: Throttle<String>,
    clients: Throttle<IpAddr>,
}

/// Seed the sample accounts (with `demo`, bills generated up to today) and build the routes.
pub(crate) fn router(db: Db, demo: bool, config: &BillsConfig) -> Result<Router, String> {
    if demo {
        let s = sample::sample()?;
        let today = chrono::Utc::now().date_naive();
        let seeded = db.with(|c| store::seed_if_empty(c, &s, today)).map_err(|e| e.to_string())?;
        if seeded {
            tracing::info!(accounts = s.accounts.len(), "loaded sample bill accounts");
        }
    }
    let kind = config.verification;
    let info = VerificationInfo {
        kind: kind.as_str().into(),
        label: match kind {
            VerificationKind::Phone => Localized {
                ar: "رقم الجوال المسجّل على الاشتراك".into(),
                en: "Mobile number registered on the account".into(),
            },
            VerificationKind::NationalId => Localized {
                ar: "رقم هوية صاحب الاشتراك".into(),
                en: "Account holder's ID number".into(),
            },
        },
        header: VERIFICATION_HEADER.into(),
    };
    let info = Representation::new(
        format!("v{}", kind.as_str().replace('_', "")),
        serde_json::to_vec(&info).map_err(|e| e.to_string())?,
    );
    let state = Arc::new(BillsState {
        db,
        kind,
        info,
        accounts: Throttle::new(config.per_account),
        clients: Throttle::new(config.per_client),
    });
    Ok(Router::new()
        .route("/api/v1/bills/verification", get(verification))
        .route("/api/v1/bills/{account}", get(bill))
        .with_state(state))
}

async fn verification(State(st): State<Arc<BillsState>>, headers: HeaderMap) -> Response {
    st.info.respond(&headers)
}

/// The connection's peer address (unspecified when the server runs without connect info).
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
                .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        ))
    }
}

/// An error answer: `{"error": ...}`, never stored by a cache.
fn refuse(status: StatusCode, message: &str) -> Response {
    let mut resp = (status, Json(serde_json::json!({ "error": message }))).into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn too_many(wait: Duration) -> Response {
    let mut resp = refuse(StatusCode::TOO_MANY_REQUESTS, "too many failed verifications; try again later");
    // Whole seconds, rounded up.
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    resp
}

async fn bill(
    State(st): State<Arc<BillsState>>,
    ClientAddr(ip): ClientAddr,
    Path(raw_account): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(account) = verify::normalise_account(&raw_account) else {
        return refuse(StatusCode::BAD_REQUEST, "account: an account number is eight digits");
    };
    let factor = headers
        .get(HeaderName::from_static("x-baladiya-verification"))
        .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
        .and_then(|v| st.kind.normalise(v));
    let Some(factor) = factor else {
        let what = match st.kind {
            VerificationKind::Phone => "the phone number registered on the account",
            VerificationKind::NationalId => "the account holder's national id number",
        };
        return refuse(StatusCode::BAD_REQUEST, &format!("{VERIFICATION_HEADER}: required, {what}"));
    };

    // Count the attempt as a failure first; forgive it below if it succeeds.
    let now = Instant::now();
    let client = client_key(ip);
    if let Err(wait) = st.accounts.acquire(&account, now) {
        return too_many(wait);
    }
    if let Err(wait) = st.clients.acquire(&client, now) {
        st.accounts.release(&account, now);
        return too_many(wait);
    }

    let given = verify::digest(&account, st.kind, &factor);
    let kind = st.kind;
    let acc = account.clone();
    let looked_up = st
        .db
        .call(move |c| {
            let stored = store::factor_digest(c, &acc, kind)?;
            // The same work for an unknown account and a wrong factor: one lookup, one
            // comparison; only a match goes on to read the bills.
            if verify::matches(&given, stored.as_ref()) {
                Ok(Some(store::statement(c, &acc)?))
            } else {
                Ok(None)
            }
        })
        .await;
    let statement = match looked_up {
        Ok(Some(s)) => s,
        Ok(None) => return refuse(StatusCode::UNAUTHORIZED, MISMATCH),
        Err(e) => {
            // Not the caller's failure.
            st.accounts.release(&account, now);
            st.clients.release(&client, now);
            return e.into_response();
        }
    };
    st.accounts.clear(&account);
    st.clients.release(&client, now);
    let Some(statement) = statement else {
        return refuse(StatusCode::NOT_FOUND, "no bills on this account yet");
    };
    respond(&statement, &headers)
}

/// 200 (gzip when accepted) or 304, with a strong ETag naming the statement's exact content.
fn respond(statement: &BillStatement, headers: &HeaderMap) -> Response {
    let json = match serde_json::to_vec(statement) {
        Ok(j) => j,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let hash = Sha256::digest(&json);
    let tag = format!("b{}", verify::to_hex(&hash[..9]));
    let mut resp = match not_modified(headers, &tag) {
        Some(not_modified) => not_modified,
        None => Representation::new(tag, json).respond(headers),
    };
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding, X-Baladiya-Verification"));
    resp
}
