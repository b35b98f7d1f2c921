//! A GeoReport v2 (Open311) client that works against our server and other cities' servers. It is
//! configured apart from the municipal API: its own endpoint, `jurisdiction_id` and `api_key`.
//! Extensions of ours in answers (`detailed_status`, the update history) are read when the server
//! sends them and simply absent otherwise; the `Idempotency-Key` header is ignored by servers
//! without it. Extension *fields* of a request (`locale`, `updated_after`) go only to the
//! municipality's own server; every other server gets the spec alone ([`extensions`]).

pub mod extensions;
pub mod lenient;
pub mod upload;

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::{ApiClient, HttpSettings, RawResponse};
use crate::error::{Error, Result};
use extensions::{Extensions, Kind};
use lenient::{flag, list, number, text};

/// Where complaints go.
#[derive(Debug, Clone, PartialEq)]
pub struct Open311Config {
    /// The GeoReport v2 base, e.g. `https://city.example/open311/v2/`.
    pub endpoint: String,
    pub jurisdiction_id: Option<String>,
    /// Required by most servers for POST.
    pub api_key: Option<String>,
    /// Asked of the municipality's own server with `locale=` (the spec has no language
    /// parameter: other servers answer in their own language).
    pub locale: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Datatype {
    String,
    Number,
    Datetime,
    Text,
    SingleValueList,
    MultiValueList,
}

impl Datatype {
    fn parse(s: &str) -> Datatype {
        match s.to_ascii_lowercase().as_str() {
            "number" => Datatype::Number,
            "datetime" => Datatype::Datetime,
            "text" => Datatype::Text,
            "singlevaluelist" => Datatype::SingleValueList,
            "multivaluelist" => Datatype::MultiValueList,
            _ => Datatype::String,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ComplaintCategory {
    pub code: String,
    pub name: String,
    pub description: String,
    pub group: String,
    pub keywords: Vec<String>,
    /// The category has attributes to fill in (`metadata`).
    pub has_attributes: bool,
    /// Within how many hours the municipality aims to deal with a request of this category, for
    /// the form to say before filing (the extension `expected_hours` of the municipality's own
    /// server; `None` from other cities' servers, and for a category cached before it existed,
    /// until the next refresh of the categories).
    #[serde(default)]
    pub expected_hours: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ListValue {
    pub key: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AttributeDef {
    pub code: String,
    /// False for an informational attribute the citizen does not fill in.
    pub variable: bool,
    pub datatype: Datatype,
    pub required: bool,
    pub description: String,
    pub order: i64,
    pub values: Vec<ListValue>,
}

/// A request as a server reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteRequest {
    pub id: String,
    pub status: String,
    pub detailed_status: Option<String>,
    pub status_notes: Option<String>,
    pub updated_datetime: Option<String>,
    /// When the server expects to have dealt with it (GeoReport v2's `expected_datetime`).
    pub expected_datetime: Option<String>,
    /// The request's history, where the server keeps one (our extension); oldest first.
    pub updates: Vec<RemoteUpdate>,
    /// How many citizens follow it (our extension, issue 15.3).
    pub followers: Option<u32>,
}

/// One entry of a request's history as the server reports it (`servicerequestupdates`, our
/// extension): a status change, a note, the department's reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteUpdate {
    pub update_id: String,
    pub status: String,
    pub detailed_status: Option<String>,
    pub description: String,
    pub media_url: Option<String>,
    pub updated_datetime: String,
}

/// A request of a nearby list ([`Open311Client::open_requests_near`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NearbyRemote {
    pub id: String,
    pub service_code: String,
    pub service_name: String,
    pub description: Option<String>,
    pub address: Option<String>,
    pub lat: f64,
    pub long: f64,
    pub status: String,
    pub detailed_status: Option<String>,
    pub requested_datetime: Option<String>,
    pub updated_datetime: Option<String>,
    pub followers: Option<u32>,
}

/// What a POST returned: an id, or only a token to exchange later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub id: Option<String>,
    pub token: Option<String>,
    pub notice: Option<String>,
}

/// One field of a POST, in the spec's form encoding.
pub type FormField = (String, String);

pub struct Open311Client {
    api: ApiClient,
    config: Open311Config,
    /// The language asked for now: the config's at first, then the app's when it changes.
    locale: RwLock<String>,
    /// Whether the server takes resumable photo uploads, once asked ([`upload`]).
    uploads: Mutex<Option<bool>>,
    /// What may go to this server beyond the spec ([`extensions`]).
    extensions: Mutex<Extensions>,
}

impl Open311Client {
    pub fn new(config: Open311Config, http: &HttpSettings) -> Result<Self> {
        let locale = RwLock::new(config.locale.clone());
        Ok(Open311Client {
            api: ApiClient::new(&config.endpoint, http)?,
            config,
            locale,
            uploads: Mutex::new(None),
            extensions: Mutex::new(Extensions::default()),
        })
    }

    /// Recognise the municipality's own server: the Open311 endpoint lies under `server_url`
    /// (the municipal API's base URL, same scheme, host and port, and under its path), as
    /// `Config::new` sets it up. Only that server is sent our extension fields; any other gets
    /// the plain GeoReport v2 spec.
    pub fn with_municipal_server(self, server_url: &str) -> Self {
        let under = |base: &reqwest::Url| {
            let endpoint = self.api.base_url();
            let prefix = base.path().trim_end_matches('/');
            endpoint.origin() == base.origin()
                && endpoint
                    .path()
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        let own = reqwest::Url::parse(server_url).ok().is_some_and(|base| under(&base));
        self.extensions().own = own;
        self
    }

    fn extensions(&self) -> std::sync::MutexGuard<'_, Extensions> {
        self.extensions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The server is taken for the municipality's own (it is sent our extension fields).
    pub fn is_municipal_server(&self) -> bool {
        self.extensions().own
    }

    /// Extension fields this server refused by name (never sent to it again).
    pub fn refused_extensions(&self) -> Vec<String> {
        self.extensions().refused.iter().cloned().collect()
    }

    /// Whether the refusals remembered in the store are still to be handed over
    /// ([`Open311Client::restore_refused`]): once per client.
    pub fn needs_restore(&self) -> bool {
        !self.extensions().restored
    }

    /// Refusals remembered from earlier runs (the store's copy).
    pub fn restore_refused(&self, fields: impl IntoIterator<Item = String>) {
        let mut x = self.extensions();
        x.refused.extend(fields);
        x.restored = true;
    }

    /// New refusals since the last call, for the store to keep: the whole list, or `None` when
    /// nothing was learned.
    pub fn take_unsaved_refusals(&self) -> Option<Vec<String>> {
        let mut x = self.extensions();
        if !x.unsaved {
            return None;
        }
        x.unsaved = false;
        Some(x.refused.iter().cloned().collect())
    }

    /// The fields of `fields` this server is sent.
    fn allowed<'a>(&self, kind: Kind, fields: &'a [FormField]) -> Vec<&'a FormField> {
        let x = self.extensions();
        fields.iter().filter(|(k, _)| x.allows(kind, k)).collect()
    }

    /// Send what `build` makes of the fields this server is sent. A refusal (400, 422) that
    /// names extension fields among them is remembered, and the request is sent once more
    /// without them.
    async fn send_fields(
        &self,
        kind: Kind,
        fields: &[FormField],
        progress: Option<crate::transfer::ProgressFn>,
        build: impl Fn(&[&FormField]) -> Result<reqwest::RequestBuilder>,
    ) -> Result<RawResponse> {
        let sent = self.allowed(kind, fields);
        let resp = self.api.send_watched(build(&sent)?, progress.clone()).await?;
        let named = extensions::named_in_refusal(&resp, kind, sent.iter().map(|(k, _)| k.as_str()));
        if named.is_empty() {
            return Ok(resp);
        }
        tracing::info!(fields = ?named, "the Open311 server refused extension fields: sent without them from now on");
        {
            let mut x = self.extensions();
            x.refused.extend(named);
            x.unsaved = true;
        }
        let sent = self.allowed(kind, fields);
        self.api.send_watched(build(&sent)?, progress).await
    }

    /// Report every exchange's bytes to `meter` (all of them count as complaints).
    pub fn with_meter(mut self, meter: std::sync::Arc<dyn crate::api::Meter>) -> Self {
        self.api = self.api.with_meter(meter);
        self
    }

    /// Report every exchange's bytes and time to `throughput`.
    pub fn with_throughput(mut self, throughput: std::sync::Arc<crate::throughput::Throughput>) -> Self {
        self.api = self.api.with_throughput(throughput);
        self
    }

    /// The configuration opened with (its `locale` is the first one; see [`Open311Client::locale`]).
    pub fn config(&self) -> &Open311Config {
        &self.config
    }

    /// The language asked of the server now.
    pub fn locale(&self) -> String {
        self.locale.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Ask for another language from now on (category names and definitions come in it at the
    /// next refresh of the categories).
    pub fn set_locale(&self, locale: &str) {
        *self.locale.write().unwrap_or_else(|p| p.into_inner()) = locale.to_owned();
    }

    /// A GET of `path` with the language, the jurisdiction and `extra`, each sent only if this
    /// server is sent it.
    async fn get(&self, path: &str, extra: &[(&str, &str)]) -> Result<Value> {
        let mut q: Vec<FormField> = vec![("locale".into(), self.locale())];
        if let Some(j) = &self.config.jurisdiction_id {
            q.push(("jurisdiction_id".into(), j.clone()));
        }
        q.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let resp = self
            .send_fields(Kind::Query, &q, None, |sent| {
                let encoded: Vec<String> =
                    sent.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
                let url = if encoded.is_empty() {
                    path.to_owned()
                } else {
                    format!("{path}?{}", encoded.join("&"))
                };
                self.api.request(Method::GET, &url)
            })
            .await?;
        // A strict server says what it refused (a value, a field): keep its words.
        if matches!(resp.status.as_u16(), 400 | 422) {
            return Err(refusal(&resp));
        }
        resp.check_status()?;
        resp.json()
    }

    /// `services.json`: the categories.
    pub async fn services(&self) -> Result<Vec<ComplaintCategory>> {
        let v = self.get("services.json", &[]).await?;
        Ok(list(&v).into_iter().filter_map(category).collect())
    }

    /// `services.json` with the municipal extension `include=definitions`: the categories and,
    /// for each with attributes, its form in the same answer (one round trip on 2G instead of
    /// one per category). A server that does not include a form (any server but the
    /// municipality's own, which never sees the extension, or an older one) leaves that
    /// category's entry out of the map: ask [`Self::definition`] for it.
    pub async fn services_with_definitions(
        &self,
    ) -> Result<(Vec<ComplaintCategory>, HashMap<String, Vec<AttributeDef>>)> {
        let v = self.get("services.json", &[("include", "definitions")]).await?;
        let mut forms = HashMap::new();
        let mut categories = Vec::new();
        for s in list(&v) {
            let Some(c) = category(s) else { continue };
            if c.has_attributes {
                if let Some(attrs) = s.get("attributes") {
                    forms.insert(c.code.clone(), attributes(attrs));
                }
            }
            categories.push(c);
        }
        Ok((categories, forms))
    }

    /// `services/{code}.json`: the attributes of one category, in their order.
    pub async fn definition(&self, code: &str) -> Result<Vec<AttributeDef>> {
        let v = self.get(&format!("services/{}.json", urlencode(code)), &[]).await?;
        Ok(attributes(v.get("attributes").unwrap_or(&v)))
    }

    /// POST a request. `fields` are the form fields (without `api_key`/`jurisdiction_id`, added
    /// here; any beyond the spec go only to the municipality's own server); photos go as multipart
    /// `media` parts, `progress` hearing how much of the body has been handed over. A refusal (4xx
    /// other than 408/409/429) is `Error::Rejected` with the server's own description.
    pub async fn post_request(
        &self,
        fields: &[FormField],
        photos: &[Vec<u8>],
        idempotency_key: &str,
        progress: Option<crate::transfer::ProgressFn>,
    ) -> Result<Created> {
        let mut all: Vec<FormField> = Vec::with_capacity(fields.len() + 2);
        if let Some(k) = &self.config.api_key {
            all.push(("api_key".into(), k.clone()));
        }
        if let Some(j) = &self.config.jurisdiction_id {
            all.push(("jurisdiction_id".into(), j.clone()));
        }
        all.extend_from_slice(fields);
        let resp = self
            .send_fields(Kind::Post, &all, progress, |sent| {
                let req = self
                    .api
                    .request(Method::POST, "requests.json")?
                    .header("Idempotency-Key", idempotency_key);
                Ok(if photos.is_empty() {
                    req.form(sent)
                } else {
                    let (content_type, body) = multipart(sent, photos);
                    req.header(reqwest::header::CONTENT_TYPE, content_type).body(body)
                })
            })
            .await?;
        check_post(&resp)?;
        let v: Value = resp.json()?;
        let first = list(&v)
            .into_iter()
            .next()
            .ok_or_else(|| Error::MalformedResponse("empty answer to a POST".into()))?;
        let created = Created {
            id: text(first, "service_request_id"),
            token: text(first, "token"),
            notice: text(first, "service_notice"),
        };
        if created.id.is_none() && created.token.is_none() {
            return Err(Error::MalformedResponse("a POST answer without id or token".into()));
        }
        Ok(created)
    }

    /// `requests.json` for these ids (the spec's comma list), and only those changed after
    /// `updated_after` from the municipality's own server (that extension is not sent to others:
    /// they answer every listed request).
    pub async fn requests(&self, ids: &[String], updated_after: Option<&str>) -> Result<Vec<RemoteRequest>> {
        let joined = ids.join(",");
        let mut extra = vec![("service_request_id", joined.as_str())];
        if let Some(after) = updated_after {
            extra.push(("updated_after", after));
        }
        let v = self.get("requests.json", &extra).await?;
        Ok(list(&v).into_iter().filter_map(remote_request).collect())
    }

    /// `requests/{id}/{action}.json` (`feedback` or `reopen`), the municipality's extension for
    /// what the citizen says after a request is closed: `fields` form-encoded, authenticated by the
    /// request's `token`, under `idempotency_key`. Errors as [`Open311Client::post_request`]'s.
    /// Returns the answer's JSON list (the feedback, or the reopened request).
    pub async fn post_followup(
        &self,
        request_id: &str,
        token: &str,
        action: &str,
        fields: &[FormField],
        idempotency_key: &str,
    ) -> Result<Value> {
        let path = format!("requests/{}/{}.json", urlencode(request_id), urlencode(action));
        let req = self
            .api
            .request(Method::POST, &path)?
            .header("Idempotency-Key", idempotency_key)
            .header(reqwest::header::AUTHORIZATION, format!("Bearer {token}"))
            .form(fields);
        let resp = self.api.send(req).await?;
        check_post(&resp)?;
        resp.json()
    }

    /// Open requests of `service_code` within `radius_m` metres of (`lat`, `long`), from the municipality's
    /// own server: the request list with our `lat`, `long` and `radius` extension. `None` when this
    /// server is not asked — another city's (which would ignore the extension and answer its
    /// newest requests anywhere) or one that refused the extension before.
    pub async fn open_requests_near(
        &self,
        service_code: &str,
        (lat, long): (f64, f64),
        radius_m: u32,
    ) -> Result<Option<Vec<NearbyRemote>>> {
        const POINT: [&str; 3] = ["lat", "long", "radius"];
        let refused = |c: &Self| c.refused_extensions().iter().any(|f| POINT.contains(&f.as_str()));
        if !self.is_municipal_server() || refused(self) {
            return Ok(None);
        }
        let (lat, long, radius) = (lat.to_string(), long.to_string(), radius_m.to_string());
        let extra = [
            ("service_code", service_code),
            ("status", "open"),
            ("lat", &lat),
            ("long", &long),
            ("radius", &radius),
        ];
        let v = self.get("requests.json", &extra).await?;
        // Refused on the way (an older server): the answer is the category's newest, anywhere.
        if refused(self) {
            return Ok(None);
        }
        Ok(Some(list(&v).into_iter().filter_map(nearby_request).collect()))
    }

    /// `requests/{id}/follow.json` or `unfollow.json` (our extension): count this app, by its
    /// `follower` id, among the citizens following request `request_id`. Returns the request as
    /// the server then shows it. Errors as [`Open311Client::post_request`]'s (a 404 is
    /// [`Error::Rejected`]).
    pub async fn post_follow(
        &self,
        request_id: &str,
        follower: &str,
        follow: bool,
    ) -> Result<Option<RemoteRequest>> {
        let action = if follow { "follow" } else { "unfollow" };
        let path = format!("requests/{}/{action}.json", urlencode(request_id));
        let mut fields: Vec<FormField> = vec![("follower".into(), follower.to_owned())];
        if let Some(k) = &self.config.api_key {
            fields.push(("api_key".into(), k.clone()));
        }
        if let Some(j) = &self.config.jurisdiction_id {
            fields.push(("jurisdiction_id".into(), j.clone()));
        }
        let req = self.api.request(Method::POST, &path)?.form(&fields);
        let resp = self.api.send(req).await?;
        check_post(&resp)?;
        Ok(first_request(&resp.json()?))
    }

    /// `tokens/{token}.json`: the request id once the server has assigned one.
    pub async fn resolve_token(&self, token: &str) -> Result<Option<String>> {
        match self.get(&format!("tokens/{}.json", urlencode(token)), &[]).await {
            Ok(v) => Ok(list(&v).into_iter().find_map(|t| text(t, "service_request_id"))),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The first request of an answer that lists requests (a one-element array, or bare).
pub(crate) fn first_request(v: &Value) -> Option<RemoteRequest> {
    list(v).into_iter().next().and_then(remote_request)
}

fn remote_request(r: &Value) -> Option<RemoteRequest> {
    let updates = r
        .get("servicerequestupdates")
        .map(list)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|u| {
            Some(RemoteUpdate {
                update_id: text(u, "update_id")?,
                status: text(u, "status").unwrap_or_else(|| "open".into()),
                detailed_status: text(u, "detailed_status"),
                description: text(u, "description").unwrap_or_default(),
                media_url: text(u, "media_url"),
                updated_datetime: text(u, "updated_datetime").unwrap_or_default(),
            })
        })
        .collect();
    Some(RemoteRequest {
        id: text(r, "service_request_id")?,
        status: text(r, "status").unwrap_or_else(|| "open".into()).to_ascii_lowercase(),
        detailed_status: text(r, "detailed_status"),
        status_notes: text(r, "status_notes"),
        updated_datetime: text(r, "updated_datetime"),
        expected_datetime: text(r, "expected_datetime")
            .filter(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok()),
        updates,
        followers: count(r, "followers"),
    })
}

/// A whole, non-negative count (a number or a numeric string); anything else is absent.
fn count(r: &Value, key: &str) -> Option<u32> {
    let n = number(r, key)?;
    (n.fract() == 0.0 && n >= 0.0 && n <= f64::from(u32::MAX)).then_some(n as u32)
}

/// One request of a nearby list as [`Open311Client::open_requests_near`] reads it; none without an
/// id or a point.
fn nearby_request(r: &Value) -> Option<NearbyRemote> {
    Some(NearbyRemote {
        id: text(r, "service_request_id")?,
        service_code: text(r, "service_code").unwrap_or_default(),
        service_name: text(r, "service_name").unwrap_or_default(),
        description: text(r, "description"),
        address: text(r, "address"),
        lat: number(r, "lat")?,
        long: number(r, "long")?,
        status: text(r, "status").unwrap_or_else(|| "open".into()).to_ascii_lowercase(),
        detailed_status: text(r, "detailed_status"),
        requested_datetime: text(r, "requested_datetime"),
        updated_datetime: text(r, "updated_datetime"),
        followers: count(r, "followers"),
    })
}

/// `multipart/form-data` (RFC 7578) built whole, so the body is bytes whose progress can be
/// watched: the fields, then the photos as `media` parts. Returns the Content-Type and the body.
fn multipart(fields: &[&FormField], photos: &[Vec<u8>]) -> (String, Vec<u8>) {
    let boundary = format!("baladiya-{}", uuid::Uuid::new_v4().simple());
    // A quote or a line break in a name would end the header: percent-encoded, as browsers do.
    let name = |n: &str| n.replace('"', "%22").replace('\r', "%0D").replace('\n', "%0A");
    let size = photos.iter().map(Vec::len).sum::<usize>() + fields.len() * 128 + 256;
    let mut body = Vec::with_capacity(size);
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n", name(k))
                .as_bytes(),
        );
        body.extend_from_slice(v.as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    for (i, jpeg) in photos.iter().enumerate() {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"photo-{}.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n",
                i + 1
            )
            .as_bytes(),
        );
        body.extend_from_slice(jpeg);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Map a POST's status: success, a permanent refusal with the server's reason, or a retryable
/// failure (5xx, 408, 409 in flight, 429).
fn check_post(resp: &RawResponse) -> Result<()> {
    let status = resp.status.as_u16();
    if resp.status.is_success() {
        return Ok(());
    }
    if matches!(status, 408 | 409 | 429) || status >= 500 {
        return match status {
            429 => Err(Error::Throttled { retry_after: resp.retry_after() }),
            _ => Err(Error::Server { status }),
        };
    }
    Err(refusal(resp))
}

/// A refusal with every description the server gave (a request may have several problems), one
/// per line.
fn refusal(resp: &RawResponse) -> Error {
    let status = resp.status.as_u16();
    let reason = serde_json::from_slice::<Value>(&resp.body)
        .ok()
        .map(|v| list(&v).into_iter().filter_map(|e| text(e, "description")).collect::<Vec<_>>().join("\n"))
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| format!("refused with HTTP {status}"));
    Error::Rejected { status, reason }
}

fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// One entry of `services.json`; none without a `service_code`.
fn category(s: &Value) -> Option<ComplaintCategory> {
    Some(ComplaintCategory {
        code: text(s, "service_code")?,
        name: text(s, "service_name").unwrap_or_default(),
        description: text(s, "description").unwrap_or_default(),
        group: text(s, "group").unwrap_or_default(),
        keywords: text(s, "keywords")
            .map(|k| k.split(',').map(|w| w.trim().to_owned()).filter(|w| !w.is_empty()).collect())
            .unwrap_or_default(),
        has_attributes: flag(s, "metadata").unwrap_or(false),
        expected_hours: hours(s, "expected_hours"),
    })
}

/// A whole, positive number of hours (a number or a numeric string); anything else is absent.
fn hours(s: &Value, key: &str) -> Option<u32> {
    let h = number(s, key)?;
    (h.fract() == 0.0 && h >= 1.0 && h <= f64::from(u32::MAX)).then_some(h as u32)
}

/// A definition's `attributes` list (or a bare list), in their order; an entry without a code is
/// left out.
fn attributes(v: &Value) -> Vec<AttributeDef> {
    let mut out: Vec<AttributeDef> = list(v)
        .into_iter()
        .filter_map(|a| {
            Some(AttributeDef {
                code: text(a, "code")?,
                variable: flag(a, "variable").unwrap_or(true),
                datatype: Datatype::parse(&text(a, "datatype").unwrap_or_default()),
                required: flag(a, "required").unwrap_or(false),
                description: text(a, "description").unwrap_or_default(),
                order: number(a, "order").unwrap_or(0.0) as i64,
                values: a
                    .get("values")
                    .map(list)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|v| {
                        Some(ListValue { key: text(v, "key")?, name: text(v, "name").unwrap_or_default() })
                    })
                    .collect(),
            })
        })
        .collect();
    out.sort_by_key(|a| a.order);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(server_url: &str, endpoint: &str) -> Open311Client {
        let config = Open311Config {
            endpoint: endpoint.into(),
            jurisdiction_id: None,
            api_key: None,
            locale: "ar".into(),
        };
        Open311Client::new(config, &HttpSettings::default()).unwrap().with_municipal_server(server_url)
    }

    #[test]
    fn a_category_reads_its_expected_hours_when_the_server_sends_them() {
        let c = |v: Value| category(&v).unwrap().expected_hours;
        let base = serde_json::json!({"service_code": "water-leak", "service_name": "x", "metadata": true});
        // The municipality's own server: a number. Servers in the wild might send a string.
        assert_eq!(c(serde_json::json!({"service_code": "a", "expected_hours": 72})), Some(72));
        assert_eq!(c(serde_json::json!({"service_code": "a", "expected_hours": "24"})), Some(24));
        // Another city's server: absent. Nothing that is not a whole number of hours is taken.
        assert_eq!(c(base), None);
        for bad in [
            serde_json::json!(0),
            serde_json::json!(-3),
            serde_json::json!(1.5),
            serde_json::json!("soon"),
            serde_json::json!(null),
            serde_json::json!(1e12),
        ] {
            assert_eq!(c(serde_json::json!({"service_code": "a", "expected_hours": bad})), None, "{bad}");
        }
        // A category cached before the field existed reads back without it.
        let old: ComplaintCategory = serde_json::from_str(
            r#"{"code":"a","name":"n","description":"","group":"g","keywords":[],"has_attributes":false}"#,
        )
        .unwrap();
        assert_eq!(old.expected_hours, None);
    }

    #[test]
    fn the_municipal_server_is_the_endpoint_under_the_api_url() {
        for (server, endpoint, own) in [
            ("https://api.example.ps/", "https://api.example.ps/open311/v2/", true),
            ("https://api.example.ps", "https://api.example.ps/open311/v2/", true),
            ("https://api.example.ps/gaza/", "https://api.example.ps/gaza/open311/v2/", true),
            ("https://api.example.ps/gaza", "https://api.example.ps/gaza/open311/v2/", true),
            ("https://api.example.ps/gaza/", "https://api.example.ps/gazaville/open311/v2/", false),
            ("https://api.example.ps/", "https://city.example.org/open311/v2/", false),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/open311/v2/", true),
            ("https://127.0.0.1:8080/", "http://127.0.0.1:8080/open311/v2/", false),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8081/open311/v2/", false),
            ("https://api.example.ps/", "https://api.example.ps:8443/open311/v2/", false),
            ("not a url", "https://api.example.ps/open311/v2/", false),
        ] {
            assert_eq!(client(server, endpoint).is_municipal_server(), own, "{server} {endpoint}");
        }
    }

    #[test]
    fn refusals_are_restored_once_and_saved_when_new() {
        let c = client("https://api.example.ps/", "https://api.example.ps/open311/v2/");
        assert!(c.needs_restore());
        c.restore_refused(["updated_after".to_owned()]);
        assert!(!c.needs_restore());
        assert_eq!(c.refused_extensions(), ["updated_after"]);
        assert_eq!(c.take_unsaved_refusals(), None, "restored is not new");
        let q = vec![("locale".to_owned(), "ar".to_owned()), ("updated_after".to_owned(), "x".to_owned())];
        let sent: Vec<&str> = c.allowed(Kind::Query, &q).into_iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(sent, ["locale"]);
    }
}
