//! Inbound channel webhooks: the WhatsApp Business Cloud API and the Messenger Platform (the
//! municipality's Facebook page).
//!
//! | path | what |
//! | --- | --- |
//! | `GET /webhooks/whatsapp`, `GET /webhooks/messenger` | the subscription challenge: `hub.mode=subscribe`, `hub.verify_token` (compared in constant time), `hub.challenge` echoed |
//! | `POST /webhooks/whatsapp`, `POST /webhooks/messenger` | notifications, signed: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>` |
//!
//! A channel's routes exist only when both its secrets are set (`BALADIYA_WHATSAPP_APP_SECRET`
//! and `BALADIYA_WHATSAPP_VERIFY_TOKEN`, `BALADIYA_MESSENGER_APP_SECRET` and
//! `BALADIYA_MESSENGER_VERIFY_TOKEN`); otherwise the path answers 404 like any unknown path. A
//! webhook that cannot check signatures must not take messages, and a 404 says nothing about what
//! the server could do if configured (a 503 would invite the sender to retry a call that can never
//! succeed until an operator acts).
//!
//! An unsigned call is refused with 401, a badly signed one with 403; both are logged with the
//! channel and the reason only, never the body. A signed notification's messages become intake
//! items ([`store`]) for the staff console's message inbox, never requests by themselves: the
//! team decides. Text, image (the WhatsApp media id or the Messenger attachment URL is kept; the
//! photo is not downloaded yet) and location messages are read; other kinds are kept as a
//! placeholder so the team knows to look on the channel. Status notifications and the page's own
//! echoes are ignored.

pub mod handle;
pub mod media;
mod names;
pub mod outbound;
pub mod parse;
pub mod store;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::db::Db;

/// The largest notification body accepted. Meta batches notifications, but a batch of text,
/// media ids and locations stays far below this.
pub const MAX_WEBHOOK_BODY: usize = 1024 * 1024;

/// A channel app's secrets: the app secret signing notifications, and the verify token the
/// municipality chose when subscribing the webhook.
#[derive(Clone)]
pub struct AppSecrets {
    pub app_secret: String,
    pub verify_token: String,
}

impl std::fmt::Debug for AppSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppSecrets(…)")
    }
}

/// Which channels take messages; a channel without its secrets has no routes.
#[derive(Debug, Clone)]
pub struct ChannelsConfig {
    pub whatsapp: Option<AppSecrets>,
    pub messenger: Option<AppSecrets>,
    /// Days an intake item is kept after its latest message; then its messages and its sender's
    /// id and name are erased (an unanswered one counts as dismissed). See [`store::purge`].
    pub retention_days: u32,
    /// Sending back (replies, status changes, news): the Graph API and the tokens. `None`: nothing
    /// is sent, and subscription keywords are ordinary messages.
    pub graph: Option<outbound::GraphConfig>,
}

/// The default of [`ChannelsConfig::retention_days`].
pub const DEFAULT_RETENTION_DAYS: u32 = 90;

impl Default for ChannelsConfig {
    fn default() -> Self {
        ChannelsConfig {
            whatsapp: None,
            messenger: None,
            retention_days: DEFAULT_RETENTION_DAYS,
            graph: None,
        }
    }
}

impl ChannelsConfig {
    /// From `BALADIYA_{WHATSAPP,MESSENGER}_{APP_SECRET,VERIFY_TOKEN}`; a channel with only one of
    /// its two secrets stays off (and [`ChannelsConfig::from_env`] says so in the returned list).
    pub fn from_env() -> (Self, Vec<String>) {
        let mut warnings = Vec::new();
        let mut read = |name: &str| {
            let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
            let (secret, token) =
                (var(&format!("BALADIYA_{name}_APP_SECRET")), var(&format!("BALADIYA_{name}_VERIFY_TOKEN")));
            match (secret, token) {
                (Some(app_secret), Some(verify_token)) => Some(AppSecrets { app_secret, verify_token }),
                (None, None) => None,
                _ => {
                    warnings.push(format!(
                        "{name}: set both BALADIYA_{name}_APP_SECRET and BALADIYA_{name}_VERIFY_TOKEN; the webhook stays off"
                    ));
                    None
                }
            }
        };
        let config = ChannelsConfig {
            whatsapp: read("WHATSAPP"),
            messenger: read("MESSENGER"),
            graph: outbound::GraphConfig::from_env(),
            ..ChannelsConfig::default()
        };
        (config, warnings)
    }
}

/// The channels as stored and as an Open311 `source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    WhatsApp,
    Messenger,
}

impl Channel {
    /// The `source` of a request made from it (and the `channel` column).
    pub fn source(self) -> &'static str {
        match self {
            Channel::WhatsApp => "whatsapp",
            Channel::Messenger => "facebook",
        }
    }
}

struct Hook {
    db: Db,
    channel: Channel,
    secrets: AppSecrets,
    retention: chrono::Duration,
    /// Subscription keywords are taken (and answered) only when something can be sent.
    keywords: bool,
    /// Keeps the sender task running as long as the router lives.
    _sender: Option<Arc<outbound::SenderGuard>>,
}

/// The webhook routes of the configured channels.
pub(crate) fn router(db: Db, config: &ChannelsConfig) -> Router {
    let retention = chrono::Duration::days(i64::from(config.retention_days));
    // Items past their retention are erased at start-up and with every notification after it.
    match db.with(|c| store::purge(c, chrono::Utc::now() - retention)) {
        Ok(0) => {}
        Ok(n) => tracing::info!(items = n, "intake items past their retention erased"),
        Err(e) => tracing::error!(error = %e, "intake retention"),
    }
    let any = config.whatsapp.is_some() || config.messenger.is_some();
    let sender = match &config.graph {
        Some(graph) if any => outbound::start(db.clone(), graph.clone()),
        _ => None,
    };
    let mut router = Router::new();
    for (channel, path, secrets) in [
        (Channel::WhatsApp, "/webhooks/whatsapp", &config.whatsapp),
        (Channel::Messenger, "/webhooks/messenger", &config.messenger),
    ] {
        if let Some(secrets) = secrets {
            let hook = Arc::new(Hook {
                db: db.clone(),
                channel,
                secrets: secrets.clone(),
                retention,
                keywords: sender.is_some(),
                _sender: sender.clone(),
            });
            router = router.route(
                path,
                get(challenge)
                    .post(notification)
                    .layer(DefaultBodyLimit::max(MAX_WEBHOOK_BODY))
                    .with_state(hook),
            );
        }
    }
    router
}

/// `GET`: answer the subscription challenge when the verify token matches.
async fn challenge(State(hook): State<Arc<Hook>>, q: RawQuery) -> Response {
    let pairs: Vec<(String, String)> =
        q.0.as_deref()
            .map(|q| {
                form_urlencoded::parse(q.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
            })
            .unwrap_or_default();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let token_ok = get("hub.verify_token")
        .is_some_and(|t| bool::from(t.as_bytes().ct_eq(hook.secrets.verify_token.as_bytes())));
    match (get("hub.mode"), get("hub.challenge")) {
        (Some("subscribe"), Some(challenge)) if token_ok => {
            tracing::info!(channel = hook.channel.source(), "webhook subscription verified");
            (StatusCode::OK, [(axum::http::header::CONTENT_TYPE, "text/plain")], challenge.to_owned())
                .into_response()
        }
        _ => {
            tracing::warn!(channel = hook.channel.source(), "webhook subscription refused");
            StatusCode::FORBIDDEN.into_response()
        }
    }
}

/// Why a notification's signature was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum SignatureError {
    Missing,
    Malformed,
    Mismatch,
}

/// Check `X-Hub-Signature-256` (`sha256=` and 64 hex digits) against the HMAC-SHA256 of `body`
/// keyed with `secret`, in constant time.
pub fn check_signature(headers: &HeaderMap, body: &[u8], secret: &str) -> Result<(), SignatureError> {
    let value = headers.get("x-hub-signature-256").ok_or(SignatureError::Missing)?;
    let value = value.to_str().map_err(|_| SignatureError::Malformed)?.trim();
    let hex = value.strip_prefix("sha256=").ok_or(SignatureError::Malformed)?;
    let given = decode_hex(hex).ok_or(SignatureError::Malformed)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| SignatureError::Mismatch)?;
    mac.update(body);
    // verify_slice compares in constant time.
    mac.verify_slice(&given).map_err(|_| SignatureError::Mismatch)
}

/// `sha256=<hex>` for `body` under `secret` (what the channel sends; for tests and the demo).
pub fn sign(body: &[u8], secret: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let mut out = String::from("sha256=");
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
}

/// `POST`: a signed notification; its messages become intake items. 200 once stored (a
/// redelivery stores nothing new and is 200 too, so the channel stops retrying).
async fn notification(State(hook): State<Arc<Hook>>, headers: HeaderMap, body: Bytes) -> Response {
    let channel = hook.channel.source();
    match check_signature(&headers, &body, &hook.secrets.app_secret) {
        Ok(()) => {}
        Err(SignatureError::Missing) => {
            tracing::warn!(channel, reason = "unsigned", "webhook refused");
            return StatusCode::UNAUTHORIZED.into_response();
        }
        Err(e) => {
            let reason = if e == SignatureError::Malformed { "malformed signature" } else { "bad signature" };
            tracing::warn!(channel, reason, "webhook refused");
            return StatusCode::FORBIDDEN.into_response();
        }
    }
    let messages = match parse::messages(hook.channel, &body) {
        Ok(m) => m,
        Err(reason) => {
            tracing::warn!(channel, reason, "webhook body not understood");
            return StatusCode::BAD_REQUEST.into_response();
        }
    };
    let received = messages.len();
    let retention = hook.retention;
    let keywords = hook.keywords;
    let result = hook
        .db
        .call(move |c| {
            let now = chrono::Utc::now();
            // Subscription keywords (اشتراك / إلغاء, subscribe / stop) are answered, not taken in.
            let mut rest = Vec::with_capacity(messages.len());
            for m in messages {
                match m.text.as_deref().filter(|_| keywords && m.kind == "text").and_then(outbound::keyword) {
                    Some(subscribe) => outbound::apply_keyword(
                        c,
                        m.channel.source(),
                        &m.sender_id,
                        &m.message_id,
                        subscribe,
                        outbound::language_of(m.text.as_deref()),
                        now,
                    )?,
                    None => rest.push(m),
                }
            }
            let new = store::take_in(c, &rest, now)?;
            store::purge(c, now - retention)?;
            Ok(new)
        })
        .await;
    match result {
        Ok(new) => {
            tracing::info!(channel, messages = received, new, "webhook notification");
            StatusCode::OK.into_response()
        }
        Err(e) => {
            tracing::error!(channel, error = %e, "webhook notification not stored");
            // 500: the channel retries, and the message ids keep a retry from doubling anything.
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
