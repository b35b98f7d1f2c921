//! The public GeoReport v2 reads: discovery, services and their definitions, requests, tokens and
//! photos. Each answers in the format its path names, errors included ([`Failure`]).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use baladiya_wire::{Open311Service, RequestCreated};
use serde::Serialize;
use serde_json::Value;

use super::categories::{Category, Locale};
use super::extract::{comma_list, param, query_pairs, SpecFile, SpecPath};
use super::format::{self, Failure, Format, Rendered};
use super::state::{Body, Open311State, CHANGESET, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, SPECIFICATION};
use super::{store, submit};

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

pub(super) async fn discovery(
    State(st): State<Arc<Open311State>>,
    headers: HeaderMap,
    q: RawQuery,
    fmt: Format,
) -> Result<Response, Failure> {
    let pairs = query_pairs(&q);
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
}

pub(super) async fn services(
    State(st): State<Arc<Open311State>>,
    q: RawQuery,
    fmt: Format,
) -> Result<Response, Failure> {
    let pairs = query_pairs(&q);
    st.check_jurisdiction(param(&pairs, "jurisdiction_id"), fmt)?;
    let locale = Locale::parse(param(&pairs, "locale"));
    // Extension `include=definitions` (JSON): each service with metadata carries its
    // definition's `attributes`, so a phone on 2G fetches every category's form in one
    // round trip instead of one per category. GeoReport v2 clients never ask for it.
    let definitions = fmt == Format::Json && param(&pairs, "include") == Some("definitions");
    let cache = Arc::clone(&st.catalogue);
    let cat = st.query(fmt, move |c| cache.get(c)).await?;
    // Serialised once per catalogue version, language and format.
    let body = cat.body(Body::Services { locale, fmt, definitions }, || {
        let list: Vec<_> = cat.categories.iter().map(|c| c.to_service(locale)).collect();
        if definitions {
            let with: Vec<Value> = cat
                .categories
                .iter()
                .zip(&list)
                .map(|(c, service)| service_with_attributes(service, c, locale))
                .collect();
            return Rendered::ok(fmt, &with, String::new).body;
        }
        Rendered::ok(fmt, &list, || format::services_xml(&list)).body
    });
    Ok(cached(fmt, body))
}

/// A 200 with a body serialised before.
fn cached(fmt: Format, body: bytes::Bytes) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static(fmt.content_type()))], body).into_response()
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

pub(super) async fn service_definition(
    State(st): State<Arc<Open311State>>,
    SpecFile { stem: code, fmt }: SpecFile,
    q: RawQuery,
) -> Result<Response, Failure> {
    let pairs = query_pairs(&q);
    st.check_jurisdiction(param(&pairs, "jurisdiction_id"), fmt)?;
    let locale = Locale::parse(param(&pairs, "locale"));
    let cache = Arc::clone(&st.catalogue);
    let cat = st.query(fmt, move |c| cache.get(c)).await?;
    let category = cat
        .context
        .categories
        .get(&code)
        .ok_or_else(|| Failure::not_found(fmt, "service_code: not found"))?;
    let body = cat.body(Body::Definition { code: code.clone(), locale, fmt }, || {
        let d = category.to_definition(locale);
        Rendered::ok(fmt, &d, || format::definition_xml(&d)).body
    });
    Ok(cached(fmt, body))
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
        f.near = near(pairs, &mut errors);
    }
    if errors.is_empty() {
        Ok(f)
    } else {
        Err(Failure { format: fmt, status: StatusCode::BAD_REQUEST, descriptions: errors })
    }
}

/// The largest radius of the nearby extension, in metres.
pub const MAX_NEAR_RADIUS_M: f64 = 500.0;
/// The radius when only a point is given: "the same problem" is this close (issue 15.3).
pub const DEFAULT_NEAR_RADIUS_M: f64 = 50.0;

/// Our extension: `lat` and `long` (and `radius` in metres, 1 to 500, 50 unless given) keep the
/// requests around that point — what the app shows before filing, so a citizen can follow a
/// request already there instead of filing it again. Other cities' servers ignore the parameters.
fn near(pairs: &[(String, String)], errors: &mut Vec<String>) -> Option<store::Near> {
    let number = |name: &str| {
        param(pairs, name).map(|v| submit::ascii_digits(v).parse::<f64>().ok().filter(|n| n.is_finite()))
    };
    match (number("lat"), number("long"), number("radius")) {
        (None, None, None) => None,
        (Some(Some(lat)), Some(Some(long)), radius)
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&long) =>
        {
            match radius {
                None => Some(store::Near { lat, long, radius_m: DEFAULT_NEAR_RADIUS_M }),
                Some(Some(r)) if (1.0..=MAX_NEAR_RADIUS_M).contains(&r) => {
                    Some(store::Near { lat, long, radius_m: r })
                }
                Some(_) => {
                    errors.push(format!("radius: metres, from 1 to {MAX_NEAR_RADIUS_M}"));
                    None
                }
            }
        }
        _ => {
            errors
                .push("lat, long: a point (degrees) together, with an optional radius in metres".to_owned());
            None
        }
    }
}

pub(super) async fn get_requests(
    State(st): State<Arc<Open311State>>,
    headers: HeaderMap,
    q: RawQuery,
    fmt: Format,
) -> Result<Response, Failure> {
    let pairs = query_pairs(&q);
    st.check_jurisdiction(param(&pairs, "jurisdiction_id"), fmt)?;
    let locale = Locale::parse(param(&pairs, "locale"));
    let filter = parse_filter(&pairs, fmt)?;
    let base = st.base_url(&headers);
    let cache = Arc::clone(&st.catalogue);
    let (list, total) = st
        .query(fmt, move |c| {
            let cat = cache.get(c)?;
            let view = store::View {
                categories: &cat.context.categories,
                departments: &cat.context.departments,
                locale,
                base_url: &base,
            };
            let (rows, total) = store::list_page(c, &filter, Some(TOTAL_COUNT_CAP))?;
            Ok((view.public_many(c, &rows)?, total))
        })
        .await?;
    let body = Rendered::ok(fmt, &list, || format::requests_xml(&list));
    Ok(match total {
        Some(total) => ([("x-total-count", total.to_string())], body).into_response(),
        None => body.into_response(),
    })
}

/// `X-Total-Count` is exact up to this many matching requests and left out beyond (a client
/// pages on until a short page): the count is then never a walk over a million index entries.
pub const TOTAL_COUNT_CAP: i64 = 10_000;

pub(super) async fn get_request(
    State(st): State<Arc<Open311State>>,
    SpecFile { stem: id, fmt }: SpecFile,
    headers: HeaderMap,
    q: RawQuery,
) -> Result<Response, Failure> {
    let pairs = query_pairs(&q);
    st.check_jurisdiction(param(&pairs, "jurisdiction_id"), fmt)?;
    let locale = Locale::parse(param(&pairs, "locale"));
    let not_found = || Failure::not_found(fmt, "service_request_id: not found");
    let id = store::parse_id(&id).ok_or_else(not_found)?;
    let base = st.base_url(&headers);
    let cache = Arc::clone(&st.catalogue);
    let one = st
        .query(fmt, move |c| {
            let Some(row) = store::get(c, id)? else { return Ok(None) };
            let cat = cache.get(c)?;
            let view = store::View {
                categories: &cat.context.categories,
                departments: &cat.context.departments,
                locale,
                base_url: &base,
            };
            Ok(Some(view.public(c, &row)?))
        })
        .await?
        .ok_or_else(not_found)?;
    let list = [one];
    Ok(Rendered::ok(fmt, &list, || format::requests_xml(&list)).into_response())
}

pub(super) async fn get_token(
    State(st): State<Arc<Open311State>>,
    SpecFile { stem: token, fmt }: SpecFile,
    q: RawQuery,
) -> Result<Response, Failure> {
    let pairs = query_pairs(&q);
    st.check_jurisdiction(param(&pairs, "jurisdiction_id"), fmt)?;
    let id = st
        .query(fmt, move |c| store::id_by_token(c, &token).map(|id| id.map(|id| (id, token))))
        .await?
        .ok_or_else(|| Failure::not_found(fmt, "token: not found"))?;
    let list = [RequestCreated {
        service_request_id: Some(id.0.to_string()),
        token: Some(id.1),
        service_notice: None,
        account_id: None,
    }];
    Ok(Rendered::ok(fmt, &list, || format::created_xml(&list)).into_response())
}

/// The policy photos are served under.
pub const MEDIA_CSP: &str = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox";

pub(super) async fn get_media(
    State(st): State<Arc<Open311State>>,
    SpecPath(id): SpecPath,
) -> Result<Response, Failure> {
    let not_found = || Failure::not_found(Format::Json, "media: not found");
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let media_id = id.clone();
    let (content_type, bytes) =
        st.query(Format::Json, move |c| store::media(c, &media_id)).await?.ok_or_else(not_found)?;
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
    Ok((
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
        .into_response())
}
