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
//! **Throttling.** Failed verifications are counted three ways, in a 15-minute window: per account
//! number and client address together (5), per account number from anywhere (100), and per
//! client address over all accounts (20). Beyond any of them, `429` with `Retry-After` (seconds)
//! until the oldest failure counted there is 15 minutes old. The pair is what locks a guesser
//! out of an account; the account holder, from an address that has not failed on it, still gets
//! through, so five wrong guesses from anywhere no longer lock the holder out. The much higher
//! per-account ceiling keeps the bound on an account guessed from many addresses at once (at
//! least five, each also held to 20 failures in all). A verification in flight holds a place in
//! each count, so a burst of parallel guesses cannot outrun them, but it is not a failure: only a
//! mismatch records one, when it is found ([`throttle`]). A success forgives the pair's failures
//! and only its own attempt in the other two counts, so mixing in a known account does not reset
//! a guesser's budget. The client address is the connection's peer (behind a reverse proxy, the
//! proxy must throttle or pass the address on). The counts are in the database, shared by every
//! server process on it and kept across restarts.
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
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use baladiya_wire::{BillStatement, Localized, VerificationInfo};
use sha2::{Digest, Sha256};

use crate::conditional::{not_modified, Representation};
use crate::db::Db;
use crate::error::ApiPath;
use throttle::{client_key, Limit, Outcome, Scope};
pub use verify::VerificationKind;

/// The header that carries the verification factor (HTTP header names are case-insensitive).
pub const VERIFICATION_HEADER: &str = "X-Baladiya-Verification";
/// The one answer to an unknown account and to a wrong factor.
pub const MISMATCH: &str = "account number or verification does not match";

/// Settings of the bill lookup.
#[derive(Debug, Clone)]
pub struct BillsConfig {
    pub verification: VerificationKind,
    /// Failed verifications allowed per account number and client address together.
    pub per_pair: Limit,
    /// Failed verifications allowed per account number, from all clients.
    pub per_account: Limit,
    /// Failed verifications allowed per client address, over all accounts.
    pub per_client: Limit,
}

impl Default for BillsConfig {
    fn default() -> Self {
        let window = Duration::from_secs(15 * 60);
        BillsConfig {
            verification: VerificationKind::Phone,
            per_pair: Limit { max: 5, window },
            per_account: Limit { max: 100, window },
            per_client: Limit { max: 20, window },
        }
    }
}

struct BillsState {
    db: Db,
    kind: VerificationKind,
    info: Representation,
    pairs: Scope,
    accounts: Scope,
    clients: Scope,
    /// The last sweep of expired throttle rows.
    purged: throttle::PurgeClock,
}

/// The throttle's scope names in the database.
const PAIR: &str = "pair";
const ACCOUNT: &str = "account";
const CLIENT: &str = "client";

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
        pairs: Scope { name: PAIR, limit: config.per_pair },
        accounts: Scope { name: ACCOUNT, limit: config.per_account },
        clients: Scope { name: CLIENT, limit: config.per_client },
        purged: throttle::PurgeClock::default(),
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
    ApiPath(raw_account): ApiPath<String>,
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

    // Each count gets the attempt before it is checked; a mismatch records the failures below.
    // Counted in the database, so every process on it (and the next one after a restart) sees
    // the same counts.
    let now = throttle::now_ms();
    let client = client_key(ip);
    let counts = vec![
        (st.pairs, format!("{account}|{client}")),
        (st.accounts, account.clone()),
        (st.clients, client.to_string()),
    ];
    let purge = st.purged.due(now);
    let scopes = [st.pairs, st.accounts, st.clients];
    let db = st.db.clone();
    let begun = st
        .db
        .call(move |c| {
            if purge {
                throttle::purge(c, &scopes, now)?;
            }
            throttle::begin(&db, c, &counts, now)
        })
        .await;
    let attempt = match begun {
        Ok(Ok(attempt)) => attempt,
        Ok(Err(wait)) => return too_many(wait),
        Err(e) => return e.into_response(),
    };

    let given = verify::digest(&account, st.kind, &factor);
    let kind = st.kind;
    let acc = account.clone();
    let looked_up = st
        .db
        .call(move |c| {
            let stored = store::factor_digest(c, &acc, kind)?;
            // The same work for an unknown account and a wrong factor: one lookup, one
            // comparison; only a match goes on to read the bills. A failure (or an error, which
            // drops the attempt uncounted) ends the attempt here, in the same database call.
            if verify::matches(&given, stored.as_ref()) {
                let statement = store::statement(c, &acc)?;
                // A success forgives the pair's failures, and only its own attempt elsewhere.
                attempt.finish(c, Outcome::Passed { clear: &[PAIR] }, throttle::now_ms())?;
                Ok(Some(statement))
            } else {
                attempt.finish(c, Outcome::Failed, throttle::now_ms())?;
                Ok(None)
            }
        })
        .await;
    let statement = match looked_up {
        Ok(Some(s)) => s,
        Ok(None) => return refuse(StatusCode::UNAUTHORIZED, MISMATCH),
        // Not the caller's failure: the attempt ended uncounted as it was dropped.
        Err(e) => return e.into_response(),
    };
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
