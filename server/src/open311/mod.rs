//! Open311 GeoReport v2 under `/open311/v2/` (JSON and XML by suffix), with our extensions
//! (`detailed_status`, `source`, `servicerequestupdates`, `updated_after`, `page`/`page_size`,
//! `Idempotency-Key`, photos as multipart `media`), and the staff workflow under
//! `/api/v1/staff/requests`.
//!
//! | method and path | what |
//! | --- | --- |
//! | `GET /open311/v2/discovery.{json,xml}` | the endpoint, its formats and changeset |
//! | `GET /open311/v2/services.{fmt}` | categories (`locale=en` for English; Arabic by default) |
//! | `GET /open311/v2/services/{code}.{fmt}` | a category's attributes |
//! | `POST /open311/v2/requests.{fmt}` | a new complaint or suggestion (`api_key` required) |
//! | `GET /open311/v2/requests.{fmt}` | requests by the spec's filters, `page`, `page_size`, `updated_after` (which also combines with a `service_request_id` list) |
//! | `GET /open311/v2/requests/{id}.{fmt}` | one request (a one-element array) |
//! | `GET /open311/v2/tokens/{token}.{fmt}` | the id of the request a token was issued for |
//! | `GET /open311/v2/media/{id}` | a photo sent with a request |
//! | `OPTIONS`, `POST /open311/v2/uploads`, `HEAD`, `PATCH /open311/v2/uploads/{id}` | a photo uploaded after its request, resumably (tus 1.0: [`uploads`]) |
//!
//! Contact fields (email, names, phone, account and device ids) are personal data: stored for
//! staff, never returned by these public endpoints, never logged.

pub(crate) mod catalogue;
mod format;
mod idempotency;
pub mod photo;
pub(crate) mod staff;
pub(crate) mod store;
pub(crate) mod submit;
mod uploads;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, RawQuery, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use baladiya_wire::{Open311Service, RequestCreated};
use serde::Serialize;
use serde_json::Value;
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

pub use catalogue::{Locale, SUGGESTIONS_GROUP};
pub use submit::{BoundingBox, GAZA_CITY, SOURCES};

use crate::db::Db;
use crate::error::ApiError;
use crate::listener::BodyDeadline;
use catalogue::Category;
use format::{Failure, Format, Rendered};
use staff::Role;

/// The API key the sample app uses; accepted only on a server started with `--demo`.
pub const DEMO_API_KEY: &str = "demo-app-key";
/// With `--demo`, each department `<id>` gets the staff token `demo-dept-<id>`.
pub const DEMO_DEPARTMENT_TOKEN_PREFIX: &str = "demo-dept-";
pub const DEFAULT_JURISDICTION: &str = "gaza.ps";
/// When this API last changed (discovery's `changeset`).
pub const CHANGESET: &str = "2026-11-27T00:00:00Z";
pub const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";

/// Requests whose photos may be in memory at once (each up to three photos of 2 MB).
pub const DEFAULT_MAX_UPLOADS: usize = 16;
/// Time an Idempotency-Key claim may outlive the body timeout (the database's share).
const CLAIM_MARGIN: Duration = Duration::from_secs(30);

pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 200;

/// Settings of the Open311 API and the complaints staff workflow.
#[derive(Debug, Clone)]
pub struct Open311Config {
    /// The only `jurisdiction_id` this server answers for (it is optional in requests).
    pub jurisdiction_id: String,
    /// API keys accepted on POST (with `--demo`, also [`DEMO_API_KEY`]).
    pub api_keys: Vec<String>,
    /// `(department_id, token)`: staff tokens of the department role. The guide's staff token is
    /// the dispatcher's.
    pub department_tokens: Vec<(String, String)>,
    /// The public base URL (`https://api.example.ps`) for media URLs and discovery; without it,
    /// `http://` and the request's Host.
    pub public_url: Option<String>,
    /// Largest photo accepted, in pixels ([`photo::DEFAULT_MAX_PIXELS`]).
    pub max_photo_pixels: u64,
    /// Requests whose photos may be in memory at once ([`DEFAULT_MAX_UPLOADS`]); more wait for a
    /// slot (not reading their body) until their body timeout.
    pub max_uploads: usize,
}

impl Default for Open311Config {
    fn default() -> Self {
        Open311Config {
            jurisdiction_id: DEFAULT_JURISDICTION.into(),
            api_keys: Vec::new(),
            department_tokens: Vec::new(),
            public_url: None,
            max_photo_pixels: photo::DEFAULT_MAX_PIXELS,
            max_uploads: DEFAULT_MAX_UPLOADS,
        }
    }
}

pub(crate) struct Open311State {
    pub(crate) db: Db,
    jurisdiction_id: String,
    api_keys: Vec<String>,
    staff: Vec<(String, Role)>,
    public_url: Option<String>,
    in_flight: idempotency::InFlight,
    pub(crate) max_photo_pixels: u64,
    /// Upload slots (see [`Open311Config::max_uploads`]).
    uploads: Arc<Semaphore>,
    /// Unix seconds of the last purge of old Idempotency-Key records.
    last_purge: AtomicI64,
}

/// Seed the sample categories (with `demo`), and build the Open311 and staff routes; the state is
/// shared with the staff console.
/// `body_timeout` is the server's ([`crate::Limits`]): an Idempotency-Key claim lives at most
/// that long and a margin.
pub(crate) fn router(
    db: Db,
    demo: bool,
    dispatcher_token: Option<&str>,
    config: &Open311Config,
    body_timeout: Duration,
) -> Result<(Router, Arc<Open311State>), String> {
    let mut api_keys: Vec<String> = config.api_keys.iter().filter(|k| !k.is_empty()).cloned().collect();
    let mut staff: Vec<(String, Role)> = Vec::new();
    if let Some(t) = dispatcher_token.filter(|t| !t.is_empty()) {
        staff.push((t.to_owned(), Role::Dispatcher));
    }
    for (dept, token) in &config.department_tokens {
        if !token.is_empty() {
            staff.push((token.clone(), Role::Department(dept.clone())));
        }
    }
    if demo {
        let seed = catalogue::sample()?;
        let seeded = db.with(|c| catalogue::seed_if_empty(c, &seed)).map_err(|e| e.to_string())?;
        if seeded {
            tracing::info!(categories = seed.categories.len(), "loaded sample complaint categories");
        }
        api_keys.push(DEMO_API_KEY.into());
        let mut departments: Vec<String> = db
            .with(|c| catalogue::departments(c))
            .map_err(|e| e.to_string())?
            .into_keys()
            .chain(seed.categories.iter().map(|c| c.department_id.clone()))
            .collect();
        departments.sort();
        departments.dedup();
        for d in departments {
            staff.push((format!("{DEMO_DEPARTMENT_TOKEN_PREFIX}{d}"), Role::Department(d)));
        }
    }
    let state = Arc::new(Open311State {
        db,
        jurisdiction_id: config.jurisdiction_id.clone(),
        api_keys,
        staff,
        public_url: config.public_url.as_ref().map(|u| u.trim_end_matches('/').to_owned()),
        in_flight: idempotency::InFlight::new(body_timeout + CLAIM_MARGIN),
        max_photo_pixels: config.max_photo_pixels,
        uploads: Arc::new(Semaphore::new(config.max_uploads.max(1))),
        last_purge: AtomicI64::new(0),
    });

    let mut r = Router::new();
    for fmt in Format::ALL {
        let ext = fmt.ext();
        r = r
            .route(
                &format!("/open311/v2/discovery.{ext}"),
                get(move |s: State<Arc<Open311State>>, h: HeaderMap, q: RawQuery| discovery(s, h, q, fmt)),
            )
            .route(&format!("/open311/v2/services.{ext}"), get(move |s, q| services(s, q, fmt)))
            .route(
                &format!("/open311/v2/requests.{ext}"),
                get(move |s, h, q| get_requests(s, h, q, fmt))
                    .post(move |s, req| post_request(s, req, fmt))
                    .layer(DefaultBodyLimit::max(submit::MAX_MULTIPART_BYTES)),
            );
    }
    r = r
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(get_request))
        .route("/open311/v2/tokens/{file}", get(get_token))
        .route("/open311/v2/media/{id}", get(get_media))
        .route("/open311/v2/uploads", axum::routing::options(uploads::options).post(uploads::create))
        .route(
            "/open311/v2/uploads/{id}",
            axum::routing::on(axum::routing::MethodFilter::HEAD, uploads::head).patch(uploads::patch),
        )
        .route("/api/v1/staff/requests", get(staff::list).post(staff::create))
        .route("/api/v1/staff/requests/{id}", get(staff::one))
        .route("/api/v1/staff/requests/{id}/actions", post(staff::action));
    Ok((r.with_state(Arc::clone(&state)), state))
}

/// Query parameters in order; unknown ones are ignored, as the spec's clients expect.
fn query_pairs(q: &RawQuery) -> Vec<(String, String)> {
    q.0.as_deref()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
        })
        .unwrap_or_default()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
}

/// `a,b, c` → `["a", "b", "c"]`
fn comma_list(value: Option<&str>) -> Vec<String> {
    value
        .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn constant_time_in(given: &str, accepted: &[String]) -> bool {
    // Compare with every key so the time taken does not tell which one nearly matched.
    accepted.iter().fold(false, |found, k| found | bool::from(given.as_bytes().ct_eq(k.as_bytes())))
}

impl Open311State {
    fn check_jurisdiction(&self, given: Option<&str>, fmt: Format) -> Result<(), Failure> {
        match given {
            Some(j) if j != self.jurisdiction_id => {
                Err(Failure::not_found(fmt, "jurisdiction_id: not a jurisdiction of this server"))
            }
            _ => Ok(()),
        }
    }

    fn check_api_key(&self, given: Option<&str>, fmt: Format) -> Result<(), Failure> {
        match given {
            None => Err(Failure::new(fmt, StatusCode::FORBIDDEN, "api_key: required")),
            Some(k) if constant_time_in(k, &self.api_keys) => Ok(()),
            Some(_) => Err(Failure::new(fmt, StatusCode::FORBIDDEN, "api_key: not a valid key")),
        }
    }

    /// The service code names one of this server's categories.
    async fn check_service(&self, code: &str, fmt: Format) -> Result<(), Failure> {
        let code = code.to_owned();
        let found = self
            .db
            .call(move |c| Ok(catalogue::get(c, &code)?.is_some()))
            .await
            .map_err(|e| Failure { format: fmt, ..Failure::from(e) })?;
        if found {
            Ok(())
        } else {
            Err(Failure::bad(fmt, "service_code: not a service of this server"))
        }
    }

    /// The base of absolute URLs: the configured public URL, or `http://` and the Host header
    /// (when it looks like a host name and port, else `localhost`).
    fn base_url(&self, headers: &HeaderMap) -> String {
        if let Some(u) = &self.public_url {
            return u.clone();
        }
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.len() <= 255
                    && h.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
            })
            .unwrap_or("localhost");
        format!("http://{host}")
    }

    /// True at most once an hour: time to forget old Idempotency-Key records.
    fn purge_due(&self) -> bool {
        let now = chrono::Utc::now().timestamp();
        let last = self.last_purge.load(Ordering::Relaxed);
        now - last >= 3600
            && self.last_purge.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    }
}

/// Forget Idempotency-Key records past their days, and uploads abandoned unfinished for a day.
fn purge_old(conn: &rusqlite::Connection) -> Result<(), ApiError> {
    let gone = store::idempotency_purge(conn, chrono::Duration::days(idempotency::KEEP_DAYS))?;
    let uploads = uploads::purge_abandoned(conn, chrono::Utc::now().timestamp())?;
    tracing::debug!(gone, uploads, "purged old idempotency keys and abandoned uploads");
    Ok(())
}

/// An Open311 error in JSON (for paths no handler of this module answered).
pub(crate) fn error(status: StatusCode, description: &str) -> Response {
    Failure::new(Format::Json, status, description).into_response()
}

pub(crate) fn not_found(description: &str) -> Response {
    error(StatusCode::NOT_FOUND, description)
}

/// The path parameter of an Open311 endpoint, refused in the spec's shape (JSON: the format is
/// the path's own suffix, which could not be read).
pub(crate) struct SpecPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for SpecPath {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(p)) => Ok(SpecPath(p)),
            Err(r) => Err(error(r.status(), &format!("path: {}", r.body_text()))),
        }
    }
}

/// Categories by code and department names, for showing requests.
pub(crate) struct Context {
    pub(crate) categories: HashMap<String, Category>,
    pub(crate) departments: HashMap<String, baladiya_wire::Localized>,
}

pub(crate) fn context(conn: &rusqlite::Connection) -> Result<Context, ApiError> {
    Ok(Context {
        categories: catalogue::all(conn)?.into_iter().map(|c| (c.service_code.clone(), c)).collect(),
        departments: catalogue::departments(conn)?,
    })
}

fn respond(result: Result<Response, Failure>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

#[derive(Serialize)]
struct Discovery {
    changeset: &'static str,
    contact: &'static str,
    key_service: &'static str,
    endpoints: Vec<Endpoint>,
}

#[derive(Serialize)]
struct Endpoint {
    specification: &'static str,
    url: String,
    changeset: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    formats: [&'static str; 2],
}

const CONTACT: &str = "Gaza Municipality, Public Relations and Citizen Services Department (sample data)";
const KEY_SERVICE: &str =
    "API keys for other applications are issued by Gaza Municipality's Citizen Services Department (sample data)";

async fn discovery(
    State(st): State<Arc<Open311State>>,
    headers: HeaderMap,
    q: RawQuery,
    fmt: Format,
) -> Response {
    let pairs = query_pairs(&q);
    respond((|| {
        st.check_jurisdiction(param(&pairs, "jurisdiction_id"), fmt)?;
        let d = Discovery {
            changeset: CHANGESET,
            contact: CONTACT,
            key_service: KEY_SERVICE,
            endpoints: vec![Endpoint {
                specification: SPECIFICATION,
                url: format!("{}/open311/v2", st.base_url(&headers)),
                changeset: CHANGESET,
                kind: "production",
                formats: ["application/json", "text/xml"],
            }],
        };
        Ok(Rendered::ok(fmt, &d, || {
            let mut x = format::XmlOut::new("discovery");
            x.leaf("changeset", d.changeset).leaf("contact", d.contact).leaf("key_service", d.key_service);
            x.open("endpoints");
            for e in &d.endpoints {
                x.open("endpoint")
                    .leaf("specification", e.specification)
                    .leaf("url", &e.url)
                    .leaf("changeset", e.changeset)
                    .leaf("type", e.kind)
                    .open("formats");
                for f in e.formats {
                    x.leaf("format", f);
                }
                x.close("formats").close("endpoint");
            }
            x.close("endpoints");
            x.finish("discovery")
        })
        .into_response())
    })())
}

async fn services(State(st): State<Arc<Open311State>>, q: RawQuery, fmt: Format) -> Response {
    let pairs = query_pairs(&q);
    respond(
        async {
            st.check_jurisdiction(param(&pairs, "jurisdiction_id"), fmt)?;
            let locale = Locale::parse(param(&pairs, "locale"));
            let cats = st
                .db
                .call(|c| catalogue::all(c))
                .await
                .map_err(|e| Failure { format: fmt, ..Failure::from(e) })?;
            let list: Vec<_> = cats.iter().map(|c| c.to_service(locale)).collect();
            // Extension `include=definitions` (JSON): each service with metadata carries its
            // definition's `attributes`, so a phone on 2G fetches every category's form in one
            // round trip instead of one per category. GeoReport v2 clients never ask for it.
            if fmt == Format::Json && param(&pairs, "include") == Some("definitions") {
                let with: Vec<Value> = cats
                    .iter()
                    .zip(&list)
                    .map(|(c, service)| service_with_attributes(service, c, locale))
                    .collect();
                return Ok(Rendered::ok(fmt, &with, String::new).into_response());
            }
            Ok(Rendered::ok(fmt, &list, || format::services_xml(&list)).into_response())
        }
        .await,
    )
}

/// A service's JSON with its definition's attributes beside its fields (when it has any).
fn service_with_attributes(service: &Open311Service, category: &Category, locale: Locale) -> Value {
    let mut v = serde_json::to_value(service).unwrap_or(Value::Null);
    if service.metadata {
        if let Value::Object(map) = &mut v {
            let attributes =
                serde_json::to_value(category.to_definition(locale).attributes).unwrap_or_default();
            map.insert("attributes".to_owned(), attributes);
        }
    }
    v
}

async fn service_definition(
    State(st): State<Arc<Open311State>>,
    SpecPath(file): SpecPath,
    q: RawQuery,
) -> Response {
    let pairs = query_pairs(&q);
    respond(
        async {
            let (code, fmt) = Format::split(&file)?;
            st.check_jurisdiction(param(&pairs, "jurisdiction_id"), fmt)?;
            let locale = Locale::parse(param(&pairs, "locale"));
            let code = code.to_owned();
            let cat = st
                .db
                .call(move |c| catalogue::get(c, &code))
                .await
                .map_err(|e| Failure { format: fmt, ..Failure::from(e) })?
                .ok_or_else(|| Failure::not_found(fmt, "service_code: not found"))?;
            let d = cat.to_definition(locale);
            Ok(Rendered::ok(fmt, &d, || format::definition_xml(&d)).into_response())
        }
        .await,
    )
}

fn parse_filter(pairs: &[(String, String)], fmt: Format) -> Result<store::Filter, Failure> {
    let mut f = store::Filter { page: 1, page_size: DEFAULT_PAGE_SIZE, ..Default::default() };
    let mut errors = Vec::new();
    if let Some(p) = param(pairs, "page") {
        match submit::ascii_digits(p).parse::<u32>() {
            Ok(n) if n >= 1 => f.page = n,
            _ => errors.push("page: a whole number from 1".to_owned()),
        }
    }
    if let Some(p) = param(pairs, "page_size") {
        match submit::ascii_digits(p).parse::<u32>() {
            Ok(n) if n >= 1 => f.page_size = n.min(MAX_PAGE_SIZE),
            _ => errors.push(format!("page_size: a whole number from 1 to {MAX_PAGE_SIZE}")),
        }
    }
    let mut time = |name: &str| match param(pairs, name) {
        None => None,
        Some(v) => store::parse_time(v).or_else(|| {
            errors.push(format!("{name}: not a date-time (RFC 3339, such as 2025-05-01T00:00:00Z)"));
            None
        }),
    };
    // Our extension, and the one filter that combines with a list of ids: an app refreshes its
    // own requests and gets only those changed since it last looked.
    f.updated_after = time("updated_after");
    let ids = comma_list(param(pairs, "service_request_id"));
    if !ids.is_empty() {
        // The spec: a list of ids overrides the spec's other filters. Unknown ids match nothing;
        // unless a page size is asked for, all the listed ids come in one page.
        f.ids = ids.iter().filter_map(|i| store::parse_id(i)).collect();
        if f.ids.is_empty() {
            f.ids.push(0);
        }
        if param(pairs, "page_size").is_none() {
            f.page_size = MAX_PAGE_SIZE;
        }
    } else {
        f.start = time("start_date");
        f.end = time("end_date");
        f.service_codes = comma_list(param(pairs, "service_code"));
        f.statuses = comma_list(param(pairs, "status"));
        if f.statuses.iter().any(|s| s != "open" && s != "closed") {
            errors.push("status: open or closed".to_owned());
        }
    }
    if errors.is_empty() {
        Ok(f)
    } else {
        Err(Failure { format: fmt, status: StatusCode::BAD_REQUEST, descriptions: errors })
    }
}

async fn get_requests(
    State(st): State<Arc<Open311State>>,
    headers: HeaderMap,
    q: RawQuery,
    fmt: Format,
) -> Response {
    let pairs = query_pairs(&q);
    respond(
        async {
            st.check_jurisdiction(param(&pairs, "jurisdiction_id"), fmt)?;
            let locale = Locale::parse(param(&pairs, "locale"));
            let filter = parse_filter(&pairs, fmt)?;
            let base = st.base_url(&headers);
            let (list, total) = st
                .db
                .call(move |c| {
                    let ctx = context(c)?;
                    let view = store::View {
                        categories: &ctx.categories,
                        departments: &ctx.departments,
                        locale,
                        base_url: &base,
                    };
                    let (rows, total) = store::list(c, &filter)?;
                    let list = rows.iter().map(|r| view.public(c, r)).collect::<Result<Vec<_>, _>>()?;
                    Ok((list, total))
                })
                .await
                .map_err(|e| Failure { format: fmt, ..Failure::from(e) })?;
            let body = Rendered::ok(fmt, &list, || format::requests_xml(&list));
            Ok(([("x-total-count", total.to_string())], body).into_response())
        }
        .await,
    )
}

async fn get_request(
    State(st): State<Arc<Open311State>>,
    SpecPath(file): SpecPath,
    headers: HeaderMap,
    q: RawQuery,
) -> Response {
    let pairs = query_pairs(&q);
    respond(
        async {
            let (id, fmt) = Format::split(&file)?;
            st.check_jurisdiction(param(&pairs, "jurisdiction_id"), fmt)?;
            let locale = Locale::parse(param(&pairs, "locale"));
            let not_found = || Failure::not_found(fmt, "service_request_id: not found");
            let id = store::parse_id(id).ok_or_else(not_found)?;
            let base = st.base_url(&headers);
            let one = st
                .db
                .call(move |c| {
                    let Some(row) = store::get(c, id)? else { return Ok(None) };
                    let ctx = context(c)?;
                    let view = store::View {
                        categories: &ctx.categories,
                        departments: &ctx.departments,
                        locale,
                        base_url: &base,
                    };
                    Ok(Some(view.public(c, &row)?))
                })
                .await
                .map_err(|e| Failure { format: fmt, ..Failure::from(e) })?
                .ok_or_else(not_found)?;
            let list = [one];
            Ok(Rendered::ok(fmt, &list, || format::requests_xml(&list)).into_response())
        }
        .await,
    )
}

async fn get_token(State(st): State<Arc<Open311State>>, SpecPath(file): SpecPath, q: RawQuery) -> Response {
    let pairs = query_pairs(&q);
    respond(
        async {
            let (token, fmt) = Format::split(&file)?;
            st.check_jurisdiction(param(&pairs, "jurisdiction_id"), fmt)?;
            let token = token.to_owned();
            let id = st
                .db
                .call(move |c| store::id_by_token(c, &token).map(|id| id.map(|id| (id, token))))
                .await
                .map_err(|e| Failure { format: fmt, ..Failure::from(e) })?
                .ok_or_else(|| Failure::not_found(fmt, "token: not found"))?;
            let list = [RequestCreated {
                service_request_id: Some(id.0.to_string()),
                token: Some(id.1),
                service_notice: None,
                account_id: None,
            }];
            Ok(Rendered::ok(fmt, &list, || format::created_xml(&list)).into_response())
        }
        .await,
    )
}

/// The policy photos are served under.
pub const MEDIA_CSP: &str = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox";

async fn get_media(State(st): State<Arc<Open311State>>, SpecPath(id): SpecPath) -> Response {
    let not_found = || Failure::not_found(Format::Json, "media: not found").into_response();
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return not_found();
    }
    let media_id = id.clone();
    match st.db.call(move |c| store::media(c, &media_id)).await {
        Ok(Some((content_type, bytes))) => {
            // Only the two types photos are checked as; anything else stored by an older server
            // goes out as opaque bytes to download, never as something a browser would render.
            let (content_type, ext) = match content_type.as_str() {
                "image/jpeg" => ("image/jpeg", "jpg"),
                "image/png" => ("image/png", "png"),
                _ => ("application/octet-stream", "bin"),
            };
            let disposition = if ext == "bin" { "attachment" } else { "inline" };
            let disposition = HeaderValue::from_str(&format!("{disposition}; filename=\"{id}.{ext}\""))
                .unwrap_or(HeaderValue::from_static("attachment"));
            (
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                    (header::CONTENT_DISPOSITION, disposition),
                    (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
                    (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
                    // Opened as a page, it may run nothing, load nothing and reach no origin.
                    (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(MEDIA_CSP)),
                ],
                bytes,
            )
                .into_response()
        }
        Ok(None) => not_found(),
        Err(e) => Failure::from(e).into_response(),
    }
}

/// What a POST led to.
enum Posted {
    Created(Rendered),
    Replayed(store::StoredResponse),
}

async fn post_request(State(st): State<Arc<Open311State>>, req: Request, fmt: Format) -> Response {
    respond(post_inner(st, req, fmt).await)
}

async fn post_inner(st: Arc<Open311State>, req: Request, fmt: Format) -> Result<Response, Failure> {
    let key = idempotency::key(req.headers()).map_err(|m| Failure::bad(fmt, m))?;
    // Judged on the head alone, before any of the body is read: the body's type and declared
    // length, and whatever the query string says of the key, jurisdiction and service.
    let kind = submit::BodyKind::of(req.headers(), fmt)?;
    if submit::content_length(req.headers(), fmt)?.is_some_and(|n| n > kind.max_bytes() as u64) {
        return Err(kind.too_large(fmt));
    }
    let query = submit::parse_form(req.uri().query().unwrap_or("").as_bytes(), fmt)?;
    if let Some(k) = submit::first(&query, "api_key") {
        st.check_api_key(Some(k), fmt)?;
    }
    st.check_jurisdiction(submit::first(&query, "jurisdiction_id"), fmt)?;
    if let Some(code) = submit::first(&query, "service_code") {
        st.check_service(code, fmt).await?;
    }
    // Claimed before the body is read: a retry while this one is still arriving gets 409.
    let claim = match &key {
        Some(k) => Some(st.in_flight.claim(k).ok_or_else(|| {
            Failure::new(
                fmt,
                StatusCode::CONFLICT,
                "Idempotency-Key: a request with this key is still being processed",
            )
        })?),
        None => None,
    };
    let deadline = req.extensions().get::<BodyDeadline>().map(|d| d.0);
    // The channel is the server's to say: a browser's form POST carries Origin, an app does not.
    let channel =
        submit::Channel::Public(if req.headers().contains_key(header::ORIGIN) { "web" } else { "app" });
    let gate = Arc::clone(&st);
    let sub = submit::read(req, fmt, st.max_photo_pixels, move |sub: &submit::Submission| {
        // Before the first photo byte: the fields so far must carry a valid key and service.
        let api_key = sub.get("api_key").map(str::to_owned);
        let jurisdiction = sub.get("jurisdiction_id").map(str::to_owned);
        let code = sub.get("service_code").map(str::to_owned);
        async move {
            gate.check_api_key(api_key.as_deref(), fmt)?;
            gate.check_jurisdiction(jurisdiction.as_deref(), fmt)?;
            let code = code.ok_or_else(|| Failure::bad(fmt, "service_code: required, before the photos"))?;
            gate.check_service(&code, fmt).await?;
            let slot = Arc::clone(&gate.uploads).acquire_owned();
            let slot = match deadline {
                Some(d) => tokio::time::timeout_at(d.into(), slot).await.map_err(|_| {
                    Failure::new(
                        fmt,
                        StatusCode::SERVICE_UNAVAILABLE,
                        "media: the server is busy with other uploads; try again later",
                    )
                })?,
                None => slot.await,
            };
            Ok(slot.ok())
        }
    })
    .await?;
    st.check_api_key(sub.get("api_key"), fmt)?;
    st.check_jurisdiction(sub.get("jurisdiction_id"), fmt)?;
    let locale = Locale::parse(sub.get("locale"));
    let hash = sub.hash(fmt);
    let purge = st.purge_due();
    let posted = st
        .db
        .call(move |conn| {
            // Held until the transaction below has committed (or failed).
            let claim = claim;
            let key = claim.as_ref().map(|c| c.key());
            let posted = store_submission(conn, sub, channel, fmt, locale, &hash, key)?;
            if purge {
                purge_old(conn)?;
            }
            drop(claim);
            Ok(posted)
        })
        .await
        .map_err(|e| Failure { format: fmt, ..Failure::from(e) })??;
    Ok(match posted {
        Posted::Created(r) => r.into_response(),
        Posted::Replayed(s) => {
            let status = StatusCode::from_u16(s.status).unwrap_or(StatusCode::OK);
            let content_type =
                HeaderValue::from_str(&s.content_type).unwrap_or(HeaderValue::from_static(format::JSON_TYPE));
            (status, [(header::CONTENT_TYPE, content_type)], [("idempotent-replayed", "true")], s.body)
                .into_response()
        }
    })
}

fn store_submission(
    conn: &mut rusqlite::Connection,
    sub: submit::Submission,
    channel: submit::Channel,
    fmt: Format,
    locale: Locale,
    hash: &str,
    key: Option<&str>,
) -> Result<Result<Posted, Failure>, ApiError> {
    if let Some(k) = key {
        if let Some(prev) = store::idempotency_lookup(conn, k)? {
            if prev.body_hash == hash {
                return Ok(Ok(Posted::Replayed(prev)));
            }
            return Ok(Err(Failure::new(
                fmt,
                StatusCode::UNPROCESSABLE_ENTITY,
                "Idempotency-Key: already used with a different request",
            )));
        }
    }
    let category = match sub.get("service_code") {
        None => Err("service_code: required".to_owned()),
        Some(code) => {
            catalogue::get(conn, code)?.ok_or_else(|| "service_code: not a service of this server".to_owned())
        }
    };
    let new = match submit::validate(sub, category.as_ref().map_err(Clone::clone), &GAZA_CITY, channel) {
        Ok(n) => n,
        Err(descriptions) => {
            return Ok(Err(Failure { format: fmt, status: StatusCode::BAD_REQUEST, descriptions }))
        }
    };
    let Ok(category) = category else { return Ok(Err(Failure::internal(fmt))) };
    let tx = conn.transaction()?;
    let (id, token) = store::insert(&tx, &new, &category, "citizen")?;
    let created = [RequestCreated {
        service_request_id: Some(id.to_string()),
        token: Some(token),
        service_notice: Some(category.service_notice(locale)),
        account_id: new.contact.account_id.clone(),
    }];
    let rendered = Rendered::ok(fmt, &created, || format::created_xml(&created));
    if let Some(k) = key {
        let stored = store::StoredResponse {
            body_hash: hash.to_owned(),
            status: rendered.status.as_u16(),
            content_type: rendered.content_type.to_owned(),
            body: rendered.body.clone(),
        };
        store::idempotency_save(&tx, k, id, &stored)?;
    }
    tx.commit()?;
    Ok(Ok(Posted::Created(rendered)))
}
