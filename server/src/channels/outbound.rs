//! Messages going out on WhatsApp and Messenger: a durable queue (`channel_outbound`, migration
//! 008) drained by one sender task.
//!
//! What is queued:
//! - every new entry in the history of a request made from a channel message (an intake item
//!   whose status is `request`): the request's receipt with its tracking number, status changes
//!   and staff replies. The history table is polled by the sender (no hook inside `open311`);
//!   each entry is queued once, keyed `update:<request id>:<seq>`.
//! - the answer to a subscription keyword ([`keyword`]), keyed by the citizen's message id.
//! - an important news item to each subscriber ([`queue_news`]), keyed by news id and recipient.
//!
//! How it is sent: within 24 hours of the citizen's latest message on that channel, the free text;
//! outside it, on WhatsApp the pre-approved template ([`GraphConfig::whatsapp_template`]) with two
//! body parameters (the tracking number or title, and the status or summary), on Messenger the
//! text tagged `ACCOUNT_UPDATE` (news outside the window is not sent on Messenger: no tag allows
//! it). A 2xx marks the row sent; 429 waits for `Retry-After` (or the backoff); 5xx, timeouts and
//! connection errors retry with exponential backoff and jitter; other refusals, or
//! [`GraphConfig::max_attempts`] attempts, leave the row `failed`, shown in the console.
//!
//! Exactly once, as far as the channel allows: a row is marked sent in the same step that sees the
//! 2xx, and the one sender task never sends a row twice at once. The Graph API has no
//! idempotency key, so a send whose answer is lost (a timeout after Meta took it) may arrive
//! twice; nothing else can.
//!
//! Recipients are personal data: never logged; a log line names the row id, the channel and the
//! outcome.

use std::sync::Arc;
use std::time::Duration;

use crate::sql::{params, Conn, OptionalExt};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::db::Db;
use crate::error::ApiError;
use crate::open311::store::stamp;

/// The customer-service window of both channels.
pub const WINDOW_HOURS: i64 = 24;

/// Where and how to reach the Graph API (`BALADIYA_GRAPH_*`, `BALADIYA_WHATSAPP_*`,
/// `BALADIYA_MESSENGER_*`; see [`GraphConfig::from_env`]).
#[derive(Clone)]
pub struct GraphConfig {
    /// `https://graph.facebook.com` unless set (the tests point it at a stand-in).
    pub base: String,
    pub version: String,
    pub whatsapp_phone_number_id: Option<String>,
    pub whatsapp_token: Option<String>,
    /// The Facebook page's id (informational: the Send API is called as `/me/messages` with the
    /// page's token).
    pub messenger_page_id: Option<String>,
    pub messenger_token: Option<String>,
    /// The approved WhatsApp template sent outside the window, with two body text parameters.
    pub whatsapp_template: String,
    /// Its language code (the citizen's language is Arabic unless known otherwise).
    pub template_language: String,
    pub max_attempts: u32,
    /// The first retry's delay; doubled each attempt (with up to half again of jitter), at most an hour.
    pub backoff: Duration,
    /// How often the queue and the history are looked at.
    pub poll: Duration,
    /// One call's time limit.
    pub timeout: Duration,
    /// News messages per second, at most.
    pub news_per_second: u32,
}

impl std::fmt::Debug for GraphConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphConfig")
            .field("base", &self.base)
            .field("version", &self.version)
            .field("whatsapp", &self.whatsapp_token.is_some())
            .field("messenger", &self.messenger_token.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for GraphConfig {
    fn default() -> Self {
        GraphConfig {
            base: "https://graph.facebook.com".into(),
            version: "v21.0".into(),
            whatsapp_phone_number_id: None,
            whatsapp_token: None,
            messenger_page_id: None,
            messenger_token: None,
            whatsapp_template: "request_status_update".into(),
            template_language: "ar".into(),
            max_attempts: 8,
            backoff: Duration::from_secs(5),
            poll: Duration::from_secs(2),
            timeout: Duration::from_secs(15),
            news_per_second: 20,
        }
    }
}

impl GraphConfig {
    /// From the environment; `None` when neither channel can send (no access token).
    pub fn from_env() -> Option<GraphConfig> {
        let var = |k: &str| std::env::var(k).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let d = GraphConfig::default();
        let num = |k: &str, default: u64| var(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(default);
        let config = GraphConfig {
            base: var("BALADIYA_GRAPH_API_BASE").unwrap_or(d.base),
            version: var("BALADIYA_GRAPH_API_VERSION").unwrap_or(d.version),
            whatsapp_phone_number_id: var("BALADIYA_WHATSAPP_PHONE_NUMBER_ID"),
            whatsapp_token: var("BALADIYA_WHATSAPP_ACCESS_TOKEN"),
            messenger_page_id: var("BALADIYA_MESSENGER_PAGE_ID"),
            messenger_token: var("BALADIYA_MESSENGER_PAGE_ACCESS_TOKEN"),
            whatsapp_template: var("BALADIYA_WHATSAPP_TEMPLATE").unwrap_or(d.whatsapp_template),
            template_language: var("BALADIYA_WHATSAPP_TEMPLATE_LANGUAGE").unwrap_or(d.template_language),
            max_attempts: u32::try_from(num("BALADIYA_CHANNELS_MAX_ATTEMPTS", 8)).unwrap_or(8).max(1),
            news_per_second: u32::try_from(num("BALADIYA_CHANNELS_NEWS_PER_SECOND", 20)).unwrap_or(20).max(1),
            ..d
        };
        let whatsapp = config.whatsapp_token.is_some() && config.whatsapp_phone_number_id.is_some();
        (whatsapp || config.messenger_token.is_some()).then_some(config)
    }

    fn can_send(&self, channel: &str) -> bool {
        match channel {
            "whatsapp" => self.whatsapp_token.is_some() && self.whatsapp_phone_number_id.is_some(),
            "facebook" => self.messenger_token.is_some(),
            _ => false,
        }
    }
}

/// Stops the sender task when the last clone of the router holding it is dropped (the server
/// stopped).
pub(crate) struct SenderGuard(Option<tokio::sync::oneshot::Sender<()>>);

impl Drop for SenderGuard {
    fn drop(&mut self) {
        if let Some(stop) = self.0.take() {
            let _ = stop.send(());
        }
    }
}

/// Start the sender on a thread of its own (the router may be built outside any runtime); it
/// stops when the returned guard is dropped.
pub(crate) fn start(db: Db, config: GraphConfig) -> Option<Arc<SenderGuard>> {
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let spawned = std::thread::Builder::new().name("baladiya-channels-sender".into()).spawn(move || {
        let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => {
                tracing::error!(error = %e, "channel sender not started");
                return;
            }
        };
        rt.block_on(async move {
            let sender = match Sender::new(db, config) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "channel sender not started");
                    return;
                }
            };
            loop {
                sender.tick().await;
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = tokio::time::sleep(sender.config.poll) => {}
                }
            }
            tracing::info!("channel sender stopped");
        });
    });
    match spawned {
        Ok(_) => Some(Arc::new(SenderGuard(Some(stop)))),
        Err(e) => {
            tracing::error!(error = %e, "channel sender not started");
            None
        }
    }
}

/// One row due to be sent.
#[derive(Debug)]
struct Due {
    id: i64,
    channel: String,
    recipient: String,
    kind: String,
    body: String,
    param1: String,
    param2: String,
    attempts: u32,
    use_template: bool,
    /// As read: the row is taken only if it is still this (see [`LEASE`]).
    next_at: String,
}

/// A sender takes a due row before sending it by moving its `next_at` this far ahead, in one
/// statement that holds only if the row is still as it read it: of several server processes (each
/// with its sender) exactly one sends each message. Longer than any one send (the Graph timeout);
/// should the process die mid-send, another one retries it after this.
const LEASE: chrono::Duration = chrono::Duration::minutes(10);

/// What one attempt came to.
enum Outcome {
    Sent(&'static str),
    /// Retry; `Some` when the channel said when.
    Retry(String, Option<Duration>),
    /// The channel says the window is closed: retry now as a template.
    WindowClosed(String),
    Refused(String),
    /// Nothing to send on this channel any more (unsubscribed, or news outside the window on Messenger).
    Cancelled(&'static str),
}

/// A client for the Graph API: rustls with ring (reqwest is built without a default provider, and
/// building a client without one panics, so the provider is installed first).
pub(crate) fn graph_client(builder: reqwest::ClientBuilder) -> Result<reqwest::Client, reqwest::Error> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    builder.build()
}

struct Sender {
    db: Db,
    config: GraphConfig,
    http: reqwest::Client,
    /// Messenger senders whose name this process already asked for (see [`super::names`]).
    named: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl Sender {
    fn new(db: Db, config: GraphConfig) -> Result<Sender, reqwest::Error> {
        let http = graph_client(reqwest::Client::builder().timeout(config.timeout))?;
        Ok(Sender { db, config, http, named: Default::default() })
    }

    async fn tick(&self) {
        if let Err(e) = self.db.call(|c| queue_history(c, Utc::now())).await {
            tracing::error!(error = %e, "channel outbound: history not queued");
        }
        super::names::name_messenger_senders(&self.db, &self.http, &self.config, &self.named).await;
        let now = stamp(Utc::now());
        let due = match self.db.call(move |c| due(c, &now)).await {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(error = %e, "channel outbound: queue not read");
                return;
            }
        };
        let pause = Duration::from_secs_f64(1.0 / f64::from(self.config.news_per_second.max(1)));
        for row in due {
            let is_news = row.kind == "news";
            self.attempt(row).await;
            if is_news {
                tokio::time::sleep(pause).await;
            }
        }
    }

    async fn attempt(&self, row: Due) {
        let id = row.id;
        let channel = row.channel.clone();
        let (read_at, lease) = (row.next_at.clone(), stamp(Utc::now() + LEASE));
        let taken = self
            .db
            .call(move |c| {
                Ok(c.execute(
                    "UPDATE channel_outbound SET next_at = ?3 WHERE id = ?1 AND state = 'pending' AND next_at = ?2",
                    params![id, read_at, lease],
                )? == 1)
            })
            .await;
        match taken {
            Ok(true) => {}
            // Another process's sender took it.
            Ok(false) => return,
            Err(e) => {
                tracing::error!(id, error = %e, "channel outbound: row not taken");
                return;
            }
        }
        let outcome = self.send(&row).await;
        let attempts = row.attempts + 1;
        let now = Utc::now();
        let (state, next_at, error, sent_as, template): (
            &str,
            DateTime<Utc>,
            Option<String>,
            Option<&str>,
            bool,
        ) = match outcome {
            Outcome::Sent(how) => ("sent", now, None, Some(how), row.use_template),
            Outcome::Cancelled(why) => ("cancelled", now, Some(why.to_owned()), None, row.use_template),
            Outcome::Refused(e) => ("failed", now, Some(e), None, row.use_template),
            Outcome::WindowClosed(e) if !row.use_template && attempts < self.config.max_attempts => {
                ("pending", now, Some(e), None, true)
            }
            Outcome::WindowClosed(e) => ("failed", now, Some(e), None, row.use_template),
            Outcome::Retry(e, _) if attempts >= self.config.max_attempts => {
                ("failed", now, Some(e), None, row.use_template)
            }
            Outcome::Retry(e, after) => {
                let wait = after.unwrap_or_else(|| backoff(self.config.backoff, attempts));
                let wait = chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
                ("pending", now + wait, Some(e), None, row.use_template)
            }
        };
        match state {
            "sent" => tracing::info!(id, channel, attempts, "channel message sent"),
            "pending" => tracing::warn!(id, channel, attempts, error = ?error, "channel message to retry"),
            _ => tracing::warn!(id, channel, attempts, state, error = ?error, "channel message given up"),
        }
        let (next, sent_at) = (stamp(next_at), (state == "sent").then(|| stamp(now)));
        let result = self
            .db
            .call(move |c| {
                c.execute(
                    "UPDATE channel_outbound SET state = ?2, attempts = ?3, next_at = ?4, last_error = ?5,
                     sent_at = ?6, sent_as = ?7, use_template = ?8 WHERE id = ?1",
                    params![id, state, attempts, next, error, sent_at, sent_as, template],
                )?;
                Ok(())
            })
            .await;
        if let Err(e) = result {
            tracing::error!(id, error = %e, "channel outbound: row not updated");
        }
    }

    async fn send(&self, row: &Due) -> Outcome {
        if !self.config.can_send(&row.channel) {
            return Outcome::Refused("channel not configured for sending".into());
        }
        let (channel, recipient) = (row.channel.clone(), row.recipient.clone());
        let state = self
            .db
            .call(move |c| {
                let subscribed = subscribed(c, &channel, &recipient)?;
                // The citizen's latest message: an intake item's, or a subscription keyword's.
                let last: Option<String> = c.query_row(
                    "SELECT MAX(t) FROM (SELECT MAX(last_at) AS t FROM intake_items WHERE channel = ?1 AND sender_id = ?2
                     UNION ALL SELECT updated_at FROM channel_subscribers WHERE channel = ?1 AND sender_id = ?2) AS latest",
                    params![channel, recipient],
                    |r| r.get(0),
                )?;
                Ok((subscribed, last))
            })
            .await;
        let (subscribed, last) = match state {
            Ok(s) => s,
            Err(e) => return Outcome::Retry(format!("database: {e}"), None),
        };
        if row.kind == "news" && !subscribed {
            return Outcome::Cancelled("unsubscribed");
        }
        let open = last
            .and_then(|l| DateTime::parse_from_rfc3339(&l).ok())
            .is_some_and(|l| Utc::now() - l.with_timezone(&Utc) < chrono::Duration::hours(WINDOW_HOURS));
        let template = row.use_template || !open;
        let c = &self.config;
        let (url, token, body, how) = if row.channel == "whatsapp" {
            let url = format!(
                "{}/{}/{}/messages",
                c.base.trim_end_matches('/'),
                c.version,
                c.whatsapp_phone_number_id.as_deref().unwrap_or("")
            );
            let body = if template {
                json!({
                    "messaging_product": "whatsapp",
                    "recipient_type": "individual",
                    "to": row.recipient,
                    "type": "template",
                    "template": {
                        "name": c.whatsapp_template,
                        "language": { "code": c.template_language },
                        "components": [{
                            "type": "body",
                            "parameters": [
                                { "type": "text", "text": template_param(&row.param1) },
                                { "type": "text", "text": template_param(&row.param2) },
                            ]
                        }]
                    }
                })
            } else {
                json!({
                    "messaging_product": "whatsapp",
                    "recipient_type": "individual",
                    "to": row.recipient,
                    "type": "text",
                    "text": { "body": cut(&row.body, MAX_WHATSAPP_TEXT) }
                })
            };
            (url, c.whatsapp_token.clone(), body, if template { "template" } else { "text" })
        } else {
            if template && row.kind == "news" {
                return Outcome::Cancelled("outside the window: no Messenger tag allows news");
            }
            let url = format!("{}/{}/me/messages", c.base.trim_end_matches('/'), c.version);
            let body = if template {
                json!({
                    "recipient": { "id": row.recipient },
                    "messaging_type": "MESSAGE_TAG",
                    "tag": "ACCOUNT_UPDATE",
                    "message": { "text": cut(&row.body, MAX_MESSENGER_TEXT) }
                })
            } else {
                json!({
                    "recipient": { "id": row.recipient },
                    "messaging_type": "RESPONSE",
                    "message": { "text": cut(&row.body, MAX_MESSENGER_TEXT) }
                })
            };
            (url, c.messenger_token.clone(), body, if template { "tagged" } else { "text" })
        };
        let answer = self.http.post(url).bearer_auth(token.unwrap_or_default()).json(&body).send().await;
        let resp = match answer {
            Ok(r) => r,
            Err(e) if e.is_timeout() => return Outcome::Retry("timeout".into(), None),
            Err(e) if e.is_connect() => return Outcome::Retry("connection refused".into(), None),
            Err(_) => return Outcome::Retry("transport error".into(), None),
        };
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let code = resp.json::<Value>().await.ok().and_then(|v| v["error"]["code"].as_i64());
        let error =
            format!("HTTP {}{}", status.as_u16(), code.map(|c| format!(" code {c}")).unwrap_or_default());
        if status.is_success() {
            Outcome::Sent(how)
        } else if code == Some(131047) || (status.as_u16() == 400 && code == Some(10) && !template) {
            // WhatsApp's "re-engagement message"; Messenger's "outside of allowed window" (code 10).
            Outcome::WindowClosed(error)
        } else if status.as_u16() == 429 || status.is_server_error() || code == Some(130429) {
            Outcome::Retry(error, retry_after)
        } else {
            Outcome::Refused(error)
        }
    }
}

/// A WhatsApp text body's limit, in characters.
pub const MAX_WHATSAPP_TEXT: usize = 4096;
/// A Messenger text message's limit, in characters.
pub const MAX_MESSENGER_TEXT: usize = 2000;
/// A template parameter's length kept (the template's whole body is limited to 1024).
pub const MAX_TEMPLATE_PARAM: usize = 200;

/// `text` cut to `max` characters, an ellipsis marking the cut.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A template parameter as WhatsApp takes it: no new lines or tabs, never more than one space in
/// a row (error 132018 otherwise), not empty, and short.
pub fn template_param(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let p = cut(&one_line, MAX_TEMPLATE_PARAM);
    if p.is_empty() {
        "-".to_owned()
    } else {
        p
    }
}

/// The delay before attempt `attempts + 1`: `base * 2^(attempts-1)`, at most an hour, plus up to
/// half of it again at random (so many failed rows do not come back at the same instant).
pub fn backoff(base: Duration, attempts: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempts.saturating_sub(1).min(16));
    let capped = exp.min(Duration::from_secs(3600));
    let mut b = [0u8; 2];
    let r = if getrandom::getrandom(&mut b).is_ok() { u16::from_le_bytes(b) } else { 0 };
    capped + capped.mul_f64(f64::from(r) / f64::from(u16::MAX) / 2.0)
}

fn due(conn: &Conn, now: &str) -> Result<Vec<Due>, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, channel, recipient, kind, body, param1, param2, attempts, use_template, next_at
         FROM channel_outbound WHERE state = 'pending' AND next_at <= ?1 ORDER BY next_at, id LIMIT 200",
    )?;
    let rows = stmt
        .query_map([now], |r| {
            Ok(Due {
                id: r.get(0)?,
                channel: r.get(1)?,
                recipient: r.get(2)?,
                kind: r.get(3)?,
                body: r.get(4)?,
                param1: r.get(5)?,
                param2: r.get(6)?,
                attempts: r.get(7)?,
                use_template: r.get(8)?,
                next_at: r.get(9)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// A queued message.
pub struct NewMessage<'a> {
    pub key: String,
    pub channel: &'a str,
    pub recipient: &'a str,
    pub kind: &'a str,
    pub request_id: Option<i64>,
    /// `ar` or `en`.
    pub language: &'a str,
    pub body: String,
    pub param1: String,
    pub param2: String,
}

/// Queue `m` unless its key is already there; true when queued now.
pub fn enqueue(conn: &Conn, m: &NewMessage<'_>, now: DateTime<Utc>) -> Result<bool, ApiError> {
    let at = stamp(now);
    let n = conn.execute(
        "INSERT INTO channel_outbound
         (idem_key, channel, recipient, kind, request_id, language, body, param1, param2, state, next_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', ?10, ?10) ON CONFLICT (idem_key) DO NOTHING",
        params![m.key, m.channel, m.recipient, m.kind, m.request_id, m.language, m.body, m.param1, m.param2, at],
    )?;
    Ok(n == 1)
}

/// The citizen's language as far as their messages tell: English when they wrote Latin letters
/// and no Arabic ones, Arabic otherwise (and when nothing is known).
pub fn language_of<'a>(texts: impl IntoIterator<Item = &'a str>) -> &'static str {
    let (mut arabic, mut latin) = (false, false);
    for t in texts {
        arabic |= t.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c));
        latin |= t.chars().any(|c| c.is_ascii_alphabetic());
    }
    if latin && !arabic {
        "en"
    } else {
        "ar"
    }
}

/// The words a citizen reads for a detailed status, in `lang` (`en`, else Arabic).
pub fn status_text_in(lang: &str, detailed: &str) -> &'static str {
    if lang != "en" {
        return status_text(detailed);
    }
    match detailed {
        "received" => "received",
        "verified" => "verified",
        "routed" => "sent to the department in charge",
        "in_progress" => "in progress",
        "fixed" => "fixed",
        "rejected" => "rejected",
        "duplicate" => "a duplicate",
        "closed" => "closed",
        _ => "updated",
    }
}

/// The words a citizen reads for a detailed status, in Arabic.
pub fn status_text(detailed: &str) -> &'static str {
    match detailed {
        "received" => "تم الاستلام",
        "verified" => "تم التحقق",
        "routed" => "أحيل إلى القسم المختص",
        "in_progress" => "قيد التنفيذ",
        "fixed" => "تم الإصلاح",
        "rejected" => "مرفوض",
        "duplicate" => "مكرر",
        "closed" => "مغلق",
        _ => "تحديث",
    }
}

/// Queue every history entry of channel requests not queued yet. Returns how many.
pub fn queue_history(conn: &Conn, now: DateTime<Utc>) -> Result<usize, ApiError> {
    let tx = conn.transaction()?;
    type Entry = (i64, i64, String, Option<String>, String, String, i64);
    let rows: Vec<Entry> = {
        let mut stmt = tx.prepare_cached(
            "SELECT u.request_id, u.seq, u.detailed_status, u.note, i.channel, i.sender_id, i.id
             FROM open311_updates u
             JOIN intake_items i ON i.request_id = u.request_id AND i.status = 'request' AND i.sender_id <> ''
             JOIN open311_requests r ON r.id = u.request_id AND r.source IN ('whatsapp', 'facebook')
             WHERE NOT EXISTS (SELECT 1 FROM channel_outbound o
                               WHERE o.idem_key = 'update:' || u.request_id || ':' || u.seq)
             ORDER BY u.request_id, u.seq",
        )?;
        stmt.query_map((), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
        })?
        .collect::<Result<Vec<_>, _>>()?
    };
    let mut n = 0;
    for (request_id, seq, detailed, note, channel, recipient, item) in rows {
        let texts: Vec<String> = tx
            .prepare_cached("SELECT text FROM intake_messages WHERE item_id = ?1 AND text IS NOT NULL")?
            .query_map([item], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let lang = language_of(texts.iter().map(String::as_str));
        let tracking = request_id.to_string();
        let status = status_text_in(lang, &detailed);
        let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        let body = match (lang, seq, note) {
            ("en", 1, _) => {
                format!("Thank you. Your report was received; its tracking number is {tracking}.")
            }
            ("en", _, Some(note)) => format!("Your report {tracking}: {status}.\n{note}"),
            ("en", _, None) => format!("Your report {tracking}: {status}."),
            (_, 1, _) => format!("شكراً لك. تم استلام بلاغك، رقم المتابعة: {tracking}"),
            (_, _, Some(note)) => format!("بلاغك رقم {tracking}: {status}\n{note}"),
            (_, _, None) => format!("بلاغك رقم {tracking}: {status}"),
        };
        let m = NewMessage {
            key: format!("update:{request_id}:{seq}"),
            channel: &channel,
            recipient: &recipient,
            kind: "update",
            request_id: Some(request_id),
            language: lang,
            body,
            param1: tracking.clone(),
            param2: status.to_owned(),
        };
        if enqueue(&tx, &m, now)? {
            n += 1;
        }
    }
    tx.commit()?;
    Ok(n)
}

/// Whether the sender is subscribed to the news now.
pub fn subscribed(conn: &Conn, channel: &str, sender: &str) -> Result<bool, ApiError> {
    Ok(conn
        .query_row(
            "SELECT subscribed FROM channel_subscribers WHERE channel = ?1 AND sender_id = ?2",
            params![channel, sender],
            |r| r.get::<_, bool>(0),
        )
        .optional()?
        .unwrap_or(false))
}

/// A subscription keyword: `Some(true)` subscribe, `Some(false)` stop, `None` an ordinary message.
pub fn keyword(text: &str) -> Option<bool> {
    let t = text.trim().trim_matches(|c: char| c.is_ascii_punctuation() || c == '.' || c == '!');
    match t.to_lowercase().as_str() {
        "اشتراك" | "اشترك" | "subscribe" => Some(true),
        "إلغاء" | "الغاء" | "إلغاء الاشتراك" | "الغاء الاشتراك" | "stop" | "unsubscribe" => {
            Some(false)
        }
        _ => None,
    }
}

/// Record a subscription keyword sent as message `message_id` and queue its confirmation.
pub fn apply_keyword(
    conn: &Conn,
    channel: &str,
    sender: &str,
    message_id: &str,
    subscribe: bool,
    lang: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let key = format!("sub:{channel}:{message_id}");
    let seen = conn.prepare_cached("SELECT 1 FROM channel_outbound WHERE idem_key = ?1")?.exists([&key])?;
    if seen {
        // A redelivered keyword: already applied (and a later one must not be undone by it).
        return Ok(());
    }
    conn.execute(
        "INSERT INTO channel_subscribers (channel, sender_id, subscribed, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (channel, sender_id) DO UPDATE SET subscribed = ?3, updated_at = ?4",
        params![channel, sender, subscribe, stamp(now)],
    )?;
    if !subscribe {
        // Never messaged news again, not even what was queued before.
        conn.execute(
            "UPDATE channel_outbound SET state = 'cancelled', last_error = 'unsubscribed'
             WHERE channel = ?1 AND recipient = ?2 AND kind = 'news' AND state = 'pending'",
            params![channel, sender],
        )?;
    }
    let (body, p1, p2) = match (lang, subscribe) {
        ("en", true) => (
            "You are subscribed to the municipality's news. Send «stop» to end it.",
            "Municipality news",
            "subscribed",
        ),
        ("en", false) => {
            ("You are unsubscribed from the municipality's news.", "Municipality news", "unsubscribed")
        }
        (_, true) => ("تم اشتراكك في أخبار البلدية. أرسل «إلغاء» لإيقافه.", "أخبار البلدية", "تم الاشتراك"),
        (_, false) => ("تم إلغاء اشتراكك في أخبار البلدية.", "أخبار البلدية", "تم إلغاء الاشتراك"),
    };
    enqueue(
        conn,
        &NewMessage {
            key,
            channel,
            recipient: sender,
            kind: "subscription",
            request_id: None,
            language: lang,
            body: body.to_owned(),
            param1: p1.to_owned(),
            param2: p2.to_owned(),
        },
        now,
    )?;
    Ok(())
}

/// Queue an important news item to every subscriber, in the caller's transaction (the news
/// store's publication). Returns how many were queued.
pub fn queue_news(
    tx: &Conn,
    news_id: &str,
    title: &str,
    summary: &str,
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let subscribers: Vec<(String, String)> = {
        let mut stmt =
            tx.prepare_cached("SELECT channel, sender_id FROM channel_subscribers WHERE subscribed = 1")?;
        stmt.query_map((), |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<Vec<_>, _>>()?
    };
    let body = if summary.trim().is_empty() { title.to_owned() } else { format!("{title}\n{summary}") };
    let mut n = 0;
    for (channel, recipient) in &subscribers {
        let m = NewMessage {
            key: format!("news:{news_id}:{channel}:{recipient}"),
            channel,
            recipient,
            kind: "news",
            request_id: None,
            language: "ar",
            body: body.clone(),
            param1: title.to_owned(),
            param2: summary.chars().take(200).collect(),
        };
        if enqueue(tx, &m, now)? {
            n += 1;
        }
    }
    Ok(n)
}

/// The queue's rows for the console, newest first (recipient left out).
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub channel: String,
    pub kind: String,
    pub request_id: Option<i64>,
    pub state: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub created_at: String,
}

/// The latest `limit` rows in `state` (all states when `None`).
pub fn list(conn: &Conn, state: Option<&str>, limit: u32) -> Result<Vec<Row>, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, channel, kind, request_id, state, attempts, last_error, created_at FROM channel_outbound
         WHERE CAST(?1 AS TEXT) IS NULL OR state = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![state, limit], |r| {
            Ok(Row {
                id: r.get(0)?,
                channel: r.get(1)?,
                kind: r.get(2)?,
                request_id: r.get(3)?,
                state: r.get(4)?,
                attempts: r.get(5)?,
                last_error: r.get(6)?,
                created_at: r.get(7)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Send a `failed` row again (the team fixed what made it fail: a token, a template): it is
/// `pending` at once with a fresh round of attempts; the send-time checks still apply (an
/// unsubscribed number's news is cancelled). False when the row is not (or no longer) failed.
pub fn retry(conn: &Conn, id: i64, now: DateTime<Utc>) -> Result<bool, ApiError> {
    let n = conn.execute(
        "UPDATE channel_outbound SET state = 'pending', attempts = 0, next_at = ?2, last_error = NULL
         WHERE id = ?1 AND state = 'failed'",
        params![id, stamp(now)],
    )?;
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_in_both_languages() {
        assert_eq!(keyword(" اشتراك "), Some(true));
        assert_eq!(keyword("Subscribe"), Some(true));
        assert_eq!(keyword("إلغاء"), Some(false));
        assert_eq!(keyword("STOP!"), Some(false));
        assert_eq!(keyword("اشتراك في الأخبار من فضلك"), None);
    }

    #[test]
    fn the_language_is_english_only_without_arabic() {
        assert_eq!(language_of(["Water leak near the school"]), "en");
        assert_eq!(language_of(["تسرب مياه", "photo"]), "ar");
        assert_eq!(language_of(["123"]), "ar");
        assert_eq!(language_of([]), "ar");
        assert_eq!(status_text_in("en", "fixed"), "fixed");
        assert_eq!(status_text_in("ar", "fixed"), "تم الإصلاح");
    }

    #[test]
    fn texts_fit_the_channels_limits() {
        assert_eq!(template_param("انقطاع\nالمياه\t  غداً "), "انقطاع المياه غداً");
        assert_eq!(template_param("  "), "-");
        assert_eq!(template_param(&"ب".repeat(500)).chars().count(), MAX_TEMPLATE_PARAM);
        assert_eq!(cut("قصير", 10), "قصير");
        let long = cut(&"a".repeat(3000), MAX_MESSENGER_TEXT);
        assert_eq!(long.chars().count(), MAX_MESSENGER_TEXT);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let base = Duration::from_secs(2);
        for attempts in 1..6 {
            let d = backoff(base, attempts);
            let floor = base * (1 << (attempts - 1));
            assert!(d >= floor && d <= floor + floor / 2, "{attempts}: {d:?}");
        }
        assert!(backoff(base, 40) <= Duration::from_secs(5400));
    }
}
