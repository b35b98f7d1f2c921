//! A strict GeoReport v2 server, as widely deployed implementations are: it answers the spec's
//! six methods in JSON and refuses, with 400 and an Open311 error list, every query parameter or
//! form field the spec does not define (`found unexpected entries: locale`), and malformed values
//! (a date that is not W3C, a status other than open/closed, an id that is not a number, a
//! latitude out of range, an attribute its service does not have, a value not in its list).
//! Photos are taken as multipart `media` parts of the POST (the media extension documented beside
//! the spec, the one way a plain server takes photos); there are no resumable uploads, no
//! `detailed_status`, no history, no `updated_after`, no paging and no `locale`.
//!
//! Every exchange is logged (method, path, the names of the fields sent, the status answered),
//! and a test changes a request's status as the city's staff would.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Form, FromRequest, Multipart, Query, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{json, Value};

pub const API_KEY: &str = "city-key";
pub const JURISDICTION: &str = "springfield.gov";

/// Query parameters the spec defines, per method.
const SERVICES_QUERY: &[&str] = &["jurisdiction_id"];
const REQUESTS_QUERY: &[&str] =
    &["jurisdiction_id", "service_request_id", "service_code", "start_date", "end_date", "status"];
/// Form fields of `POST requests` (besides `attribute[code]`).
const POST_FIELDS: &[&str] = &[
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
];

/// One exchange as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    pub method: String,
    pub path: String,
    /// Names of the query parameters, or of the form fields of a POST (`media` for a photo).
    pub fields: Vec<String>,
    pub status: u16,
}

/// A request the city holds.
#[derive(Debug, Clone)]
pub struct CityRequest {
    pub id: u64,
    pub fields: Vec<(String, String)>,
    /// The photos of its POST, in order.
    pub media: Vec<Vec<u8>>,
    pub status: String,
    pub status_notes: Option<String>,
    pub requested_datetime: String,
    pub updated_datetime: String,
}

impl CityRequest {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
pub struct City {
    pub log: Vec<Exchange>,
    pub requests: Vec<CityRequest>,
    /// Minutes since 2026-11-30T08:00:00Z, the city's clock (moves one per change).
    minutes: u32,
}

impl City {
    fn now(&mut self) -> String {
        self.minutes += 1;
        stamp(self.minutes)
    }

    /// The log without the answers: what the client sent, with its status.
    pub fn refused(&self) -> Vec<&Exchange> {
        self.log.iter().filter(|e| e.status >= 400).collect()
    }
}

fn stamp(minutes: u32) -> String {
    format!("2026-11-30T{:02}:{:02}:00Z", 8 + minutes / 60, minutes % 60)
}

type Shared = Arc<Mutex<City>>;

/// The running server.
pub struct StrictCity {
    pub addr: std::net::SocketAddr,
    /// The GeoReport v2 endpoint, e.g. `http://127.0.0.1:1234/georeport/v2/`.
    pub endpoint: String,
    /// The server's root (`http://127.0.0.1:1234/`).
    pub root: String,
    city: Shared,
    prefix: String,
}

impl StrictCity {
    /// Serve the spec under `prefix` (e.g. `/georeport/v2/`) on a free loopback port.
    pub async fn start(prefix: &str) -> StrictCity {
        let city: Shared = Arc::default();
        let prefix = format!("/{}/", prefix.trim_matches('/'));
        let app = Router::new()
            .fallback(handle)
            .layer(axum::extract::DefaultBodyLimit::max(16 * 1024 * 1024))
            .with_state((Arc::clone(&city), prefix.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        StrictCity {
            addr,
            endpoint: format!("http://{addr}{prefix}"),
            root: format!("http://{addr}/"),
            city,
            prefix,
        }
    }

    pub fn city(&self) -> MutexGuard<'_, City> {
        self.city.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The path of a resource under the endpoint, as logged (`services.json` → `/georeport/v2/services.json`).
    pub fn path(&self, resource: &str) -> String {
        format!("{}{resource}", self.prefix)
    }

    /// Change a request's status as the city's staff would (its `updated_datetime` moves on).
    pub fn set_status(&self, id: u64, status: &str, notes: Option<&str>) {
        let mut c = self.city();
        let now = c.now();
        let r = c.requests.iter_mut().find(|r| r.id == id).expect("a request of the city");
        r.status = status.to_owned();
        r.status_notes = notes.map(str::to_owned);
        r.updated_datetime = now;
    }
}

fn refuse(status: StatusCode, description: &str) -> Response {
    (status, Json(json!([{"code": status.as_u16(), "description": description}]))).into_response()
}

fn bad(description: &str) -> Response {
    refuse(StatusCode::BAD_REQUEST, description)
}

async fn handle(State((city, prefix)): State<(Shared, String)>, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let (fields, resp) = answer(&city, &prefix, req).await;
    city.lock().unwrap_or_else(|p| p.into_inner()).log.push(Exchange {
        method: method.to_string(),
        path,
        fields,
        status: resp.status().as_u16(),
    });
    resp
}

/// The field names seen and the answer.
async fn answer(city: &Shared, prefix: &str, req: Request) -> (Vec<String>, Response) {
    let Some(resource) = req.uri().path().strip_prefix(prefix).map(str::to_owned) else {
        return (Vec::new(), refuse(StatusCode::NOT_FOUND, "not found"));
    };
    let method = req.method().clone();
    if method == Method::POST && resource == "requests.json" {
        return post_request(city, req).await;
    }
    let query = match Query::<Vec<(String, String)>>::try_from_uri(req.uri()) {
        Ok(Query(q)) => q,
        Err(_) => return (Vec::new(), bad("the query string is not well-formed")),
    };
    let names: Vec<String> = query.iter().map(|(k, _)| k.clone()).collect();
    if method != Method::GET {
        return (names, refuse(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"));
    }
    let allowed = if resource == "requests.json" { REQUESTS_QUERY } else { SERVICES_QUERY };
    if let Some(refusal) = check_query(&query, allowed) {
        return (names, refusal);
    }
    let resp = if resource == "services.json" {
        Json(services()).into_response()
    } else if let Some(code) = resource.strip_prefix("services/") {
        match code.strip_suffix(".json").and_then(definition) {
            Some(d) => Json(d).into_response(),
            None => refuse(StatusCode::NOT_FOUND, "service_code: not found"),
        }
    } else if resource == "requests.json" {
        get_requests(city, &query)
    } else if let Some(id) = resource.strip_prefix("requests/").and_then(|f| f.strip_suffix(".json")) {
        match id.parse::<u64>() {
            Err(_) => bad("service_request_id: not a number"),
            Ok(id) => {
                let c = city.lock().unwrap_or_else(|p| p.into_inner());
                match c.requests.iter().find(|r| r.id == id) {
                    Some(r) => Json(json!([public(r)])).into_response(),
                    None => refuse(StatusCode::NOT_FOUND, "service_request_id: not found"),
                }
            }
        }
    } else {
        refuse(StatusCode::NOT_FOUND, "not found")
    };
    (names, resp)
}

/// Every parameter known to this method, none twice, the jurisdiction ours; else the refusal.
fn check_query(query: &[(String, String)], allowed: &[&str]) -> Option<Response> {
    let unexpected: Vec<&str> =
        query.iter().map(|(k, _)| k.as_str()).filter(|k| !allowed.contains(k)).collect();
    if !unexpected.is_empty() {
        return Some(bad(&format!("found unexpected entries: {}", unexpected.join(", "))));
    }
    for (i, (k, _)) in query.iter().enumerate() {
        if query[..i].iter().any(|(seen, _)| seen == k) {
            return Some(bad(&format!("{k}: given more than once")));
        }
    }
    match query.iter().find(|(k, _)| k == "jurisdiction_id") {
        Some((_, j)) if j != JURISDICTION => Some(bad("jurisdiction_id: not a jurisdiction of this server")),
        _ => None,
    }
}

fn services() -> Value {
    json!([
        {"service_code": "101", "service_name": "Pothole", "description": "A hole in the road",
         "metadata": true, "type": "realtime", "keywords": "road,hole", "group": "Streets"},
        {"service_code": "102", "service_name": "Graffiti", "description": "Paint on a wall",
         "metadata": false, "type": "realtime", "keywords": "wall,paint", "group": "Streets"}
    ])
}

fn definition(code: &str) -> Option<Value> {
    (code == "101").then(|| {
        json!({"service_code": "101", "attributes": [
            {"variable": true, "code": "depth", "datatype": "singlevaluelist", "required": true,
             "datatype_description": null, "order": 1, "description": "How deep is it?",
             "values": [{"key": "shallow", "name": "Shallow"}, {"key": "deep", "name": "Deep"}]},
            {"variable": true, "code": "lanes", "datatype": "multivaluelist", "required": false,
             "datatype_description": null, "order": 2, "description": "Which lanes?",
             "values": [{"key": "north", "name": "Northbound"}, {"key": "south", "name": "Southbound"}]},
            {"variable": false, "code": "note", "datatype": "text", "required": false,
             "datatype_description": null, "order": 3, "description": "Potholes are filled within a week.",
             "values": []}
        ]})
    })
}

/// `YYYY-MM-DDTHH:MM:SS`, optional fraction, then `Z` or `±HH:MM` (the W3C profile of ISO 8601
/// the spec asks for).
fn w3c_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || b[10] != b'T'
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    let z = rest.as_bytes();
    rest == "Z"
        || (z.len() == 6
            && matches!(z[0], b'+' | b'-')
            && z[1..3].iter().all(u8::is_ascii_digit)
            && z[3] == b':'
            && z[4..6].iter().all(u8::is_ascii_digit))
}

fn get_requests(city: &Shared, query: &[(String, String)]) -> Response {
    let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let mut ids = Vec::new();
    if let Some(list) = get("service_request_id") {
        for id in list.split(',') {
            match id.parse::<u64>() {
                Ok(n) => ids.push(n),
                Err(_) => return bad(&format!("service_request_id: '{id}' is not a request id")),
            }
        }
    }
    for d in ["start_date", "end_date"] {
        if get(d).is_some_and(|v| !w3c_datetime(v)) {
            return bad(&format!("{d}: not a W3C date-time (such as 2010-01-01T00:00:00Z)"));
        }
    }
    let statuses: Vec<&str> = get("status").map(|s| s.split(',').collect()).unwrap_or_default();
    if statuses.iter().any(|s| !matches!(*s, "open" | "closed")) {
        return bad("status: open or closed");
    }
    let codes: Vec<&str> = get("service_code").map(|s| s.split(',').collect()).unwrap_or_default();
    let c = city.lock().unwrap_or_else(|p| p.into_inner());
    let list: Vec<Value> = c
        .requests
        .iter()
        .filter(|r| {
            if !ids.is_empty() {
                // The spec: a list of ids overrides every other argument.
                return ids.contains(&r.id);
            }
            // The dates are all in one zone here, so text order is time order.
            get("start_date").is_none_or(|s| r.requested_datetime.as_str() >= s)
                && get("end_date").is_none_or(|e| r.requested_datetime.as_str() <= e)
                && (statuses.is_empty() || statuses.contains(&r.status.as_str()))
                && (codes.is_empty() || r.field("service_code").is_some_and(|s| codes.contains(&s)))
        })
        .map(public)
        .collect();
    Json(Value::Array(list)).into_response()
}

/// A request as the spec's GET shows it (no contact fields).
fn public(r: &CityRequest) -> Value {
    let num = |k: &str| r.field(k).and_then(|v| v.parse::<f64>().ok());
    json!({
        "service_request_id": r.id.to_string(),
        "status": r.status,
        "status_notes": r.status_notes,
        "service_name": if r.field("service_code") == Some("101") { "Pothole" } else { "Graffiti" },
        "service_code": r.field("service_code"),
        "description": r.field("description"),
        "agency_responsible": "Streets Department",
        "service_notice": null,
        "requested_datetime": r.requested_datetime,
        "updated_datetime": r.updated_datetime,
        "expected_datetime": null,
        "address": r.field("address_string"),
        "address_id": r.field("address_id"),
        "zipcode": null,
        "lat": num("lat"),
        "long": num("long"),
        "media_url": null,
    })
}

async fn post_request(city: &Shared, req: Request) -> (Vec<String>, Response) {
    let content_type =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut media: Vec<Vec<u8>> = Vec::new();
    if content_type.starts_with("multipart/form-data") {
        let mut form = match Multipart::from_request(req, &()).await {
            Ok(m) => m,
            Err(_) => return (Vec::new(), bad("not a multipart form")),
        };
        loop {
            match form.next_field().await {
                Ok(None) => break,
                Err(_) => return (names(&fields, media.len()), bad("a broken multipart form")),
                Ok(Some(part)) => {
                    let name = part.name().unwrap_or("").to_owned();
                    if part.file_name().is_some() {
                        let jpeg = part.content_type() == Some("image/jpeg");
                        let bytes = match part.bytes().await {
                            Ok(b) => b,
                            Err(_) => return (names(&fields, media.len()), bad("a broken multipart form")),
                        };
                        if name != "media" || !jpeg || !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
                            return (names(&fields, media.len()), bad("media: a JPEG file part named media"));
                        }
                        media.push(bytes.to_vec());
                    } else {
                        match part.text().await {
                            Ok(v) => fields.push((name, v)),
                            Err(_) => return (names(&fields, media.len()), bad("a field that is not UTF-8")),
                        }
                    }
                }
            }
        }
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        match Form::<Vec<(String, String)>>::from_request(req, &()).await {
            Ok(Form(f)) => fields = f,
            Err(_) => return (Vec::new(), bad("not a well-formed form")),
        }
    } else {
        return (Vec::new(), refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, "a form or a multipart form"));
    }
    let seen = names(&fields, media.len());
    let resp = match check_post(&fields) {
        Some(refusal) => refusal,
        None => {
            let mut c = city.lock().unwrap_or_else(|p| p.into_inner());
            let id = 7001 + c.requests.len() as u64;
            let now = c.now();
            c.requests.push(CityRequest {
                id,
                fields,
                media,
                status: "open".into(),
                status_notes: None,
                requested_datetime: now.clone(),
                updated_datetime: now,
            });
            Json(json!([{"service_request_id": id.to_string(), "service_notice": "", "account_id": null}]))
                .into_response()
        }
    };
    (seen, resp)
}

fn names(fields: &[(String, String)], photos: usize) -> Vec<String> {
    fields.iter().map(|(k, _)| k.clone()).chain(std::iter::repeat_n("media".to_owned(), photos)).collect()
}

/// `attribute[code]` → (code, false); `attribute[code][]` → (code, true).
fn attribute(name: &str) -> Option<(&str, bool)> {
    let rest = name.strip_prefix("attribute[")?;
    let (code, multi) = match rest.strip_suffix("][]") {
        Some(c) => (c, true),
        None => (rest.strip_suffix(']')?, false),
    };
    (!code.is_empty() && !code.contains(['[', ']'])).then_some((code, multi))
}

/// `None` when the POST is well-formed, else the refusal.
fn check_post(fields: &[(String, String)]) -> Option<Response> {
    let unexpected: Vec<&str> = fields
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| !POST_FIELDS.contains(k) && attribute(k).is_none())
        .collect();
    if !unexpected.is_empty() {
        return Some(bad(&format!("found unexpected entries: {}", unexpected.join(", "))));
    }
    for (i, (k, _)) in fields.iter().enumerate() {
        let multi = attribute(k).is_some_and(|(_, m)| m);
        if !multi && fields[..i].iter().any(|(seen, _)| seen == k) {
            return Some(bad(&format!("{k}: given more than once")));
        }
    }
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if get("api_key") != Some(API_KEY) {
        return Some(refuse(StatusCode::FORBIDDEN, "api_key: not a valid key"));
    }
    if get("jurisdiction_id").is_some_and(|j| j != JURISDICTION) {
        return Some(bad("jurisdiction_id: not a jurisdiction of this server"));
    }
    let mut problems: Vec<String> = Vec::new();
    let code = get("service_code").unwrap_or("");
    let def = match code {
        "101" | "102" => definition(code),
        "" => {
            problems.push("service_code: required".into());
            None
        }
        _ => {
            problems.push("service_code: not a service of this server".into());
            None
        }
    };
    let coordinate = |k: &str, limit: f64| {
        get(k).map(|v| v.parse::<f64>().ok().filter(|x| x.is_finite() && x.abs() <= limit))
    };
    match (coordinate("lat", 90.0), coordinate("long", 180.0)) {
        (Some(None), _) => problems.push("lat: a latitude in degrees".into()),
        (_, Some(None)) => problems.push("long: a longitude in degrees".into()),
        (Some(Some(_)), Some(Some(_))) => {}
        (None, None) if get("address_string").is_some() || get("address_id").is_some() => {}
        _ => problems.push("lat, long: a location (or address_string or address_id) is required".into()),
    }
    if get("description").is_some_and(|d| d.chars().count() > 4000) {
        problems.push("description: at most 4000 characters".into());
    }
    if get("email").is_some_and(|e| !e.contains('@')) {
        problems.push("email: not an email address".into());
    }
    if get("media_url").is_some_and(|u| !u.starts_with("https://") && !u.starts_with("http://")) {
        problems.push("media_url: not a URL".into());
    }
    let attrs: Vec<Value> =
        def.as_ref().and_then(|d| d["attributes"].as_array().cloned()).unwrap_or_default();
    for (k, v) in fields {
        let Some((code, multi)) = attribute(k) else { continue };
        let Some(a) = attrs.iter().find(|a| a["code"] == code && a["variable"] == true) else {
            problems.push(format!("{k}: not an attribute of this service"));
            continue;
        };
        let datatype = a["datatype"].as_str().unwrap_or("");
        if multi != (datatype == "multivaluelist") {
            problems.push(format!("{k}: not the form of a {datatype}"));
        } else if datatype.ends_with("valuelist")
            && !a["values"].as_array().is_some_and(|l| l.iter().any(|x| x["key"] == v.as_str()))
        {
            problems.push(format!("{k}: '{v}' is not one of its values"));
        }
    }
    for a in attrs.iter().filter(|a| a["required"] == true && a["variable"] == true) {
        let code = a["code"].as_str().unwrap_or("");
        if !fields.iter().any(|(k, _)| attribute(k).is_some_and(|(c, _)| c == code)) {
            problems.push(format!("attribute[{code}]: required"));
        }
    }
    if problems.is_empty() {
        return None;
    }
    let list: Vec<Value> = problems.iter().map(|p| json!({"code": 400, "description": p})).collect();
    Some((StatusCode::BAD_REQUEST, Json(Value::Array(list))).into_response())
}
