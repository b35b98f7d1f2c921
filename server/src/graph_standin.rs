//! A stand-in of the Graph API's send endpoints on loopback, as strict as the real one: the
//! WhatsApp Cloud API's `POST /{version}/{phone-number-id}/messages` (text and template) and the
//! Messenger Send API's `POST /{version}/me/messages` (RESPONSE / UPDATE, or MESSAGE_TAG with a
//! tag). A missing or wrong bearer token is 401, an unknown field or a wrong shape 400, both with
//! Graph's `{"error": {"message", "type", "code", "fbtrace_id"}}`; free text outside the 24-hour
//! window is refused (WhatsApp 131047, Messenger code 10). It records what it takes, and can be
//! told to answer 500, 429 with `Retry-After`, or nothing in time. It also holds media the
//! citizens "sent": `GET /{version}/{media-id}` answers the documented
//! `{"messaging_product", "url", "mime_type", "sha256", "file_size", "id"}` (the token required,
//! an unknown id 400 with code 100, a `phone_number_id` other than the business's refused) and the
//! URL gives the bytes only with the token (401 without); `/cdn/{id}` serves the same media as a
//! Messenger attachment URL does, without a token.
//!
//! A test double, not part of the server: in the library only with the `graph-standin` feature
//! (the CLI demo, `examples/graph_standin.rs`); `tests/channels_outbound.rs` includes it by path.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

/// A failure to inject, taken one per call in order.
#[derive(Debug, Clone, Copy)]
pub enum Fail {
    /// 500 with Graph's error shape.
    Internal,
    /// No answer for longer than the client waits (and the message not taken).
    Timeout,
    /// 429 with `Retry-After: <seconds>`.
    TooMany(u64),
}

#[derive(Default)]
struct Inner {
    /// (path, body) of every message taken (2xx).
    taken: Vec<(String, Value)>,
    script: VecDeque<Fail>,
    /// The recipient's latest message to the business: the window is 24 hours from it.
    last_inbound: HashMap<String, DateTime<Utc>>,
    /// The demo: every recipient counts as having just written (the stand-in sees no inbound).
    window_open: bool,
    calls: usize,
    /// media id → (MIME type, bytes).
    media: HashMap<String, (String, Vec<u8>)>,
    /// Messenger page-scoped id → (first name, last name), for the User Profile API.
    profiles: HashMap<String, (String, String)>,
    /// User Profile API calls answered.
    profile_calls: usize,
    /// Downloads of media bytes served.
    downloads: usize,
}

#[derive(Clone)]
pub struct StandIn {
    inner: Arc<Mutex<Inner>>,
    pub url: String,
}

struct St {
    inner: Arc<Mutex<Inner>>,
    wa_token: String,
    fb_token: String,
    phone_number_id: String,
}

impl StandIn {
    pub async fn start(wa_token: &str, fb_token: &str, phone_number_id: &str) -> StandIn {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), wa_token, fb_token, phone_number_id).await
    }

    /// [`StandIn::start`] on `addr`.
    pub async fn start_on(
        addr: SocketAddr,
        wa_token: &str,
        fb_token: &str,
        phone_number_id: &str,
    ) -> StandIn {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let st = Arc::new(St {
            inner: inner.clone(),
            wa_token: wa_token.into(),
            fb_token: fb_token.into(),
            phone_number_id: phone_number_id.into(),
        });
        let app = Router::new()
            .route("/{version}/{node}/messages", post(messages))
            .route("/{version}/{media_id}", get(media_info))
            .route("/lookaside/{media_id}", get(media_bytes))
            .route("/cdn/{media_id}", get(cdn_bytes))
            .with_state(st);
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        StandIn { inner, url }
    }

    /// The recipient wrote to the business at `at`.
    pub fn saw(&self, recipient: &str, at: DateTime<Utc>) {
        self.inner.lock().unwrap().last_inbound.insert(recipient.into(), at);
    }

    pub fn fail_next(&self, fails: &[Fail]) {
        self.inner.lock().unwrap().script.extend(fails.iter().copied());
    }

    /// Treat every recipient as inside the 24-hour window.
    pub fn open_window(&self) {
        self.inner.lock().unwrap().window_open = true;
    }

    pub fn clear_failures(&self) {
        self.inner.lock().unwrap().script.clear();
    }

    pub fn taken(&self) -> Vec<(String, Value)> {
        self.inner.lock().unwrap().taken.clone()
    }

    pub fn calls(&self) -> usize {
        self.inner.lock().unwrap().calls
    }

    /// A photo a citizen sent, under its media id.
    pub fn put_media(&self, id: &str, mime_type: &str, bytes: Vec<u8>) {
        self.inner.lock().unwrap().media.insert(id.into(), (mime_type.into(), bytes));
    }

    /// A person who wrote to the page, for the User Profile API.
    pub fn put_profile(&self, psid: &str, first: &str, last: &str) {
        self.inner.lock().unwrap().profiles.insert(psid.into(), (first.into(), last.into()));
    }

    /// How many User Profile API calls were answered (any outcome).
    pub fn profile_calls(&self) -> usize {
        self.inner.lock().unwrap().profile_calls
    }

    /// How many times media bytes were served.
    pub fn downloads(&self) -> usize {
        self.inner.lock().unwrap().downloads
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
}

fn unauthorized() -> Response {
    error(StatusCode::UNAUTHORIZED, 190, "OAuthException", "Invalid OAuth access token.")
}

fn no_such_object(id: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        100,
        "GraphMethodException",
        &format!("Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."),
    )
}

// GET /{version}/{id}: with the page's token, the Messenger User Profile API
// (`?fields=first_name,last_name`); with the WhatsApp token, the Cloud API's media lookup
// (`[?phone_number_id=…]`).
async fn media_info(
    State(st): State<Arc<St>>,
    Path((_version, id)): Path<(String, String)>,
    headers: HeaderMap,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    if bearer(&headers) == Some(st.fb_token.as_str()) {
        return profile(&st, &id, query.as_deref().unwrap_or_default());
    }
    if bearer(&headers) != Some(st.wa_token.as_str()) {
        return unauthorized();
    }
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if k != "phone_number_id" || v != st.phone_number_id {
            return no_such_object(&id);
        }
    }
    let inner = st.inner.lock().unwrap();
    let Some((mime, bytes)) = inner.media.get(&id) else { return no_such_object(&id) };
    let base = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    Json(json!({
        "messaging_product": "whatsapp",
        "url": format!("http://{base}/lookaside/{id}"),
        "mime_type": mime,
        "sha256": "0000000000000000000000000000000000000000000000000000000000000000",
        "file_size": bytes.len().to_string(),
        "id": id,
    }))
    .into_response()
}

/// The User Profile API: the fields asked for, of a person who wrote to the page.
fn profile(st: &St, psid: &str, query: &str) -> Response {
    const KNOWN: [&str; 8] =
        ["id", "name", "first_name", "last_name", "profile_pic", "locale", "timezone", "gender"];
    let mut inner = st.inner.lock().unwrap();
    inner.profile_calls += 1;
    let fields: Vec<String> = form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "fields")
        .flat_map(|(_, v)| v.split(',').map(str::to_owned).collect::<Vec<_>>())
        .collect();
    if let Some(bad) = fields.iter().find(|f| !KNOWN.contains(&f.as_str())) {
        return invalid(&format!("Tried accessing nonexisting field ({bad}) on node type (User)"));
    }
    let Some((first, last)) = inner.profiles.get(psid).cloned() else { return no_such_object(psid) };
    let mut out = json!({ "id": psid });
    for f in fields {
        match f.as_str() {
            "first_name" => out["first_name"] = json!(first),
            "last_name" => out["last_name"] = json!(last),
            "name" => out["name"] = json!(format!("{first} {last}")),
            _ => {}
        }
    }
    Json(out).into_response()
}

// A Messenger attachment's CDN URL: the bytes, no token (the URL itself is the secret).
async fn cdn_bytes(State(st): State<Arc<St>>, Path(id): Path<String>) -> Response {
    let mut inner = st.inner.lock().unwrap();
    let Some((mime, bytes)) = inner.media.get(&id).cloned() else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    inner.downloads += 1;
    ([("content-type", mime)], bytes).into_response()
}

// The download URL: the bytes, only with the token.
async fn media_bytes(State(st): State<Arc<St>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if bearer(&headers) != Some(st.wa_token.as_str()) {
        return unauthorized();
    }
    let mut inner = st.inner.lock().unwrap();
    let Some((mime, bytes)) = inner.media.get(&id).cloned() else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    inner.downloads += 1;
    ([("content-type", mime)], bytes).into_response()
}

pub fn error(status: StatusCode, code: i64, kind: &str, message: &str) -> Response {
    let body =
        json!({ "error": { "message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEfStandIn" } });
    (status, Json(body)).into_response()
}

fn invalid(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, 100, "OAuthException", &format!("(#100) {message}"))
}

// WhatsApp Cloud API: POST /{version}/{phone-number-id}/messages.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WaSend {
    messaging_product: String,
    #[serde(default)]
    recipient_type: Option<String>,
    to: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<WaText>,
    #[serde(default)]
    template: Option<WaTemplate>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WaText {
    body: String,
    #[serde(default)]
    #[allow(dead_code)]
    preview_url: Option<bool>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WaTemplate {
    name: String,
    language: WaLanguage,
    #[serde(default)]
    components: Vec<WaComponent>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WaLanguage {
    code: String,
    #[serde(default)]
    #[allow(dead_code)]
    policy: Option<String>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WaComponent {
    #[serde(rename = "type")]
    kind: String,
    parameters: Vec<WaParameter>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WaParameter {
    #[serde(rename = "type")]
    kind: String,
    text: String,
}

// Messenger Send API: POST /{version}/me/messages.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FbSend {
    recipient: FbRecipient,
    messaging_type: String,
    #[serde(default)]
    tag: Option<String>,
    message: FbMessage,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FbRecipient {
    id: String,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FbMessage {
    text: String,
}

async fn messages(
    State(st): State<Arc<St>>,
    Path((version, node)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let script = {
        let mut inner = st.inner.lock().unwrap();
        inner.calls += 1;
        inner.script.pop_front()
    };
    match script {
        Some(Fail::Internal) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                2,
                "OAuthException",
                "An unexpected error has occurred.",
            )
        }
        Some(Fail::Timeout) => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            return error(StatusCode::INTERNAL_SERVER_ERROR, 2, "OAuthException", "too late");
        }
        Some(Fail::TooMany(secs)) => {
            let mut r =
                error(StatusCode::TOO_MANY_REQUESTS, 130429, "OAuthException", "(#130429) Rate limit hit");
            r.headers_mut().insert("retry-after", secs.to_string().parse().unwrap());
            return r;
        }
        None => {}
    }
    let messenger = node == "me";
    let token = if messenger { &st.fb_token } else { &st.wa_token };
    let bearer =
        headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(token.as_str()) {
        return error(StatusCode::UNAUTHORIZED, 190, "OAuthException", "Invalid OAuth access token.");
    }
    let ok_version = version.strip_prefix('v').is_some_and(|v| {
        let mut p = v.split('.');
        p.next().is_some_and(|a| a.parse::<u32>().is_ok())
            && p.next().is_some_and(|b| b.parse::<u32>().is_ok())
            && p.next().is_none()
    });
    if !ok_version {
        return error(StatusCode::BAD_REQUEST, 2500, "OAuthException", "Unknown path components");
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/json") {
        return invalid("Content-Type: application/json expected");
    }
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return invalid("Invalid JSON"),
    };
    let now = Utc::now();
    let in_window = |to: &str, inner: &Inner| {
        inner.window_open
            || inner.last_inbound.get(to).is_some_and(|t| now - *t < chrono::Duration::hours(24))
    };
    if messenger {
        let m: FbSend = match serde_json::from_value(value.clone()) {
            Ok(m) => m,
            Err(e) => return invalid(&format!("Invalid parameter: {e}")),
        };
        if m.recipient.id.is_empty() || m.message.text.is_empty() || m.message.text.chars().count() > 2000 {
            return invalid("Invalid parameter");
        }
        let tagged = match (m.messaging_type.as_str(), m.tag.as_deref()) {
            ("RESPONSE" | "UPDATE", None) => false,
            (
                "MESSAGE_TAG",
                Some("ACCOUNT_UPDATE" | "CONFIRMED_EVENT_UPDATE" | "POST_PURCHASE_UPDATE" | "HUMAN_AGENT"),
            ) => true,
            _ => return invalid("Invalid parameter: messaging_type / tag"),
        };
        let mut inner = st.inner.lock().unwrap();
        if !tagged && !in_window(&m.recipient.id, &inner) {
            return error(
                StatusCode::BAD_REQUEST,
                10,
                "OAuthException",
                "(#10) This message is sent outside of allowed window.",
            );
        }
        inner.taken.push(("messenger".into(), value));
        let id = format!("m_{}", inner.taken.len());
        return Json(json!({ "recipient_id": m.recipient.id, "message_id": id })).into_response();
    }
    if node != st.phone_number_id {
        return error(StatusCode::BAD_REQUEST, 100, "GraphMethodException", "Unsupported post request.");
    }
    let m: WaSend = match serde_json::from_value(value.clone()) {
        Ok(m) => m,
        Err(e) => return invalid(&format!("Invalid parameter: {e}")),
    };
    if m.messaging_product != "whatsapp"
        || m.recipient_type.as_deref().is_some_and(|t| t != "individual")
        || m.to.is_empty()
        || !m.to.chars().all(|c| c.is_ascii_digit() || c == '+')
    {
        return invalid("Invalid parameter");
    }
    let text = match (m.kind.as_str(), &m.text, &m.template) {
        ("text", Some(t), None) if !t.body.trim().is_empty() && t.body.chars().count() <= 4096 => true,
        ("template", None, Some(t))
            if !t.name.is_empty()
                && !t.language.code.is_empty()
                && t.components.iter().all(|c| {
                    matches!(c.kind.as_str(), "header" | "body")
                        && c.parameters.iter().all(|p| p.kind == "text" && !p.text.is_empty())
                }) =>
        {
            false
        }
        _ => return invalid("Invalid parameter: type and its object"),
    };
    let mut inner = st.inner.lock().unwrap();
    if text && !in_window(&m.to, &inner) {
        return error(
            StatusCode::BAD_REQUEST,
            131047,
            "OAuthException",
            "(#131047) Re-engagement message: more than 24 hours have passed since the recipient last replied",
        );
    }
    inner.taken.push(("whatsapp".into(), value));
    let id = format!("wamid.standin{}", inner.taken.len());
    Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": m.to, "wa_id": m.to }],
        "messages": [{ "id": id }]
    }))
    .into_response()
}
