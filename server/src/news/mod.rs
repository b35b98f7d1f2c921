//! News from the municipality.
//!
//! | method and path | what |
//! | --- | --- |
//! | `GET /api/v1/news?limit=N&cursor=C` | a [`NewsPage`]: listed items newest first; `limit` 1 to 100 (default 20); `next_cursor` continues to older items |
//! | `POST /api/v1/staff/news` | publish (`Authorization: Bearer <staff token>`, the dispatcher's): a [`NewsItem`] whose `id` and `published_at` are optional; `201` with the item as stored |
//! | `DELETE /api/v1/staff/news/{id}` | withdraw: the item leaves every list (its id is never reused) |
//!
//! **Cursor.** Opaque to clients: base64url of the last item's `published_at` and `id`. Order is
//! `(published_at, id)` descending, so a cursor stays valid when items are published (they come
//! before it) or withdrawn.
//!
//! **Caching.** Every publication or withdrawal moves the list's version; the strong ETag names the
//! version, the limit and the cursor (`"n31-100"`, `"n31-100-gz"` for the gzip body), and a
//! client that holds it gets `304` before any item is read. Rendered pages are kept in memory for
//! the current version.
//!
//! **Publication.** Titles and bodies in Arabic and English are both required and sanitised
//! ([`sanitize`]: no HTML, only https links; titles up to 200 characters, bodies up to 8,000);
//! `image_url` must be https. An `id` (lower-case letters, digits, dashes; up to 64) is assigned
//! when absent (`YYYYMMDD-` and 8 random hex digits); `published_at` (RFC 3339, stored in UTC)
//! is now when absent and may not be more than five minutes ahead (no scheduled publication).

pub mod sanitize;
pub(crate) mod store;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use baladiya_wire::{Localized, NewsCategory, NewsItem, NewsPage};
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::conditional::{not_modified, Representation};
use crate::db::Db;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::staff::{Staff, StaffToken};

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;
const MAX_ID_LEN: usize = 64;
/// Pages rendered for the current version, kept at most.
const CACHED_PAGES: usize = 32;

struct NewsState {
    db: Db,
    staff_token: Option<String>,
    /// (version, ETag tag → page) of the current version.
    pages: Mutex<(i64, HashMap<String, Arc<Representation>>)>,
}

/// A news item as staff publish it; `id` and `published_at` are optional.
#[derive(Debug, Deserialize)]
pub struct Publish {
    #[serde(default)]
    pub id: Option<String>,
    pub title: Localized,
    pub body: Localized,
    #[serde(default)]
    pub published_at: Option<String>,
    pub category: NewsCategory,
    #[serde(default)]
    pub image_url: Option<String>,
    #[serde(default)]
    pub important: bool,
}

#[derive(Deserialize)]
struct SampleNews {
    items: Vec<Publish>,
}

/// The sample news (`server/data/sample-news.json`), sanitised like any publication.
pub fn sample() -> Result<Vec<NewsItem>, String> {
    let s: SampleNews = serde_json::from_str(include_str!("../../data/sample-news.json"))
        .map_err(|e| format!("sample-news.json: {e}"))?;
    let now = Utc::now();
    s.items.into_iter().map(|p| prepare(p, now)).collect()
}

/// Seed the sample news (with `demo`) and build the routes.
pub(crate) fn router(db: Db, demo: bool, staff_token: Option<&str>) -> Result<Router, String> {
    if demo {
        let items = sample()?;
        let seeded = db.with(|c| store::seed_if_empty(c, &items)).map_err(|e| e.to_string())?;
        if seeded {
            tracing::info!(items = items.len(), "loaded sample news");
        }
    }
    let state = Arc::new(NewsState {
        db,
        staff_token: staff_token.filter(|t| !t.is_empty()).map(str::to_owned),
        pages: Mutex::new((-1, HashMap::new())),
    });
    Ok(Router::new()
        .route("/api/v1/news", get(list))
        .route("/api/v1/staff/news", post(publish))
        .route("/api/v1/staff/news/{id}", delete(withdraw))
        .with_state(state))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

fn encode_cursor(item: &NewsItem) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}\n{}", item.published_at, item.id))
}

fn decode_cursor(c: &str) -> Option<store::After> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(c).ok()?;
    let s = String::from_utf8(bytes).ok()?;
    let (p, id) = s.split_once('\n')?;
    (canonical_time(p).as_deref() == Some(p) && valid_id(id)).then(|| (p.to_owned(), id.to_owned()))
}

async fn list(
    State(st): State<Arc<NewsState>>,
    ApiQuery(q): ApiQuery<ListQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let limit =
        match q.limit.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_LIMIT,
            Some(l) => l.parse::<u32>().ok().filter(|l| (1..=MAX_LIMIT).contains(l)).ok_or_else(|| {
                ApiError::BadRequest(format!("limit: a whole number from 1 to {MAX_LIMIT}"))
            })?,
        };
    let cursor = q.cursor.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let after = match cursor {
        None => None,
        Some(c) => Some(
            decode_cursor(c)
                .ok_or_else(|| ApiError::BadRequest("cursor: not a cursor of this server".into()))?,
        ),
    };
    let tag_of = |version: i64| match &after {
        None => format!("n{version}-{limit}"),
        Some((p, id)) => {
            let h = Sha256::digest(format!("{p}\n{id}"));
            format!("n{version}-{limit}-{:02x}{:02x}{:02x}{:02x}", h[0], h[1], h[2], h[3])
        }
    };
    let version = st.db.call(|c| store::version(c)).await?;
    let tag = tag_of(version);
    if let Some(not_modified) = not_modified(&headers, &tag) {
        return Ok(not_modified);
    }
    if let Some(rep) = cached(&st, version, &tag) {
        return Ok(rep.respond(&headers));
    }
    // Read the version again with the page: a publication may have come in between.
    let position = after.clone();
    let (version, page) = st
        .db
        .call(move |c| {
            let tx = c.transaction()?;
            let version = store::version(&tx)?;
            let (items, more) = store::page(&tx, limit, position.as_ref())?;
            let next_cursor = if more { items.last().map(encode_cursor) } else { None };
            Ok((version, NewsPage { items, next_cursor }))
        })
        .await?;
    let rep = Arc::new(Representation::new(tag_of(version), serde_json::to_vec(&page)?));
    let mut pages = st.pages.lock().unwrap_or_else(|p| p.into_inner());
    if pages.0 != version || pages.1.len() >= CACHED_PAGES {
        *pages = (version, HashMap::new());
    }
    pages.1.insert(rep.tag.clone(), Arc::clone(&rep));
    drop(pages);
    Ok(rep.respond(&headers))
}

fn cached(st: &NewsState, version: i64, tag: &str) -> Option<Arc<Representation>> {
    let pages = st.pages.lock().unwrap_or_else(|p| p.into_inner());
    (pages.0 == version).then(|| pages.1.get(tag).cloned()).flatten()
}

impl StaffToken for NewsState {
    fn staff_token(&self) -> Option<&str> {
        self.staff_token.as_deref()
    }
    fn db(&self) -> &Db {
        &self.db
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
}

/// RFC 3339 in the stored form: UTC, whole seconds, `Z`.
fn canonical_time(s: &str) -> Option<String> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Secs, true))
}

pub(crate) fn new_id(now: DateTime<Utc>) -> Result<String, ApiError> {
    let mut bytes = [0u8; 4];
    getrandom::getrandom(&mut bytes).map_err(|e| ApiError::Internal(format!("random id: {e}")))?;
    Ok(format!("{}-{:02x}{:02x}{:02x}{:02x}", now.format("%Y%m%d"), bytes[0], bytes[1], bytes[2], bytes[3]))
}

/// Validate and sanitise a publication (with its id, when given) into the item to store.
pub(crate) fn prepare(p: Publish, now: DateTime<Utc>) -> Result<NewsItem, String> {
    let id = match p.id.as_deref().map(str::trim) {
        None | Some("") => String::new(),
        Some(id) if valid_id(id) => id.to_owned(),
        Some(_) => return Err(format!("id: lower-case letters, digits and dashes, up to {MAX_ID_LEN}")),
    };
    let published_at = match p.published_at.as_deref() {
        None => now.to_rfc3339_opts(SecondsFormat::Secs, true),
        Some(t) => {
            let t = canonical_time(t).ok_or("published_at: an RFC 3339 date and time")?;
            let ahead = (now + chrono::Duration::minutes(5)).to_rfc3339_opts(SecondsFormat::Secs, true);
            if t > ahead {
                return Err("published_at: not in the future".into());
            }
            t
        }
    };
    let text = |field: &str, value: &str, clean: fn(&str) -> String, max: usize| {
        let v = clean(value);
        if v.is_empty() {
            Err(format!("{field}: required"))
        } else if v.chars().count() > max {
            Err(format!("{field}: at most {max} characters"))
        } else {
            Ok(v)
        }
    };
    let title = Localized {
        ar: text("title.ar", &p.title.ar, sanitize::title, sanitize::MAX_TITLE_CHARS)?,
        en: text("title.en", &p.title.en, sanitize::title, sanitize::MAX_TITLE_CHARS)?,
    };
    let body = Localized {
        ar: text("body.ar", &p.body.ar, sanitize::body, sanitize::MAX_BODY_CHARS)?,
        en: text("body.en", &p.body.en, sanitize::body, sanitize::MAX_BODY_CHARS)?,
    };
    let image_url = match p.image_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        None => None,
        Some(u) if sanitize::safe_url(u) => Some(u.to_owned()),
        Some(_) => return Err("image_url: an https URL".into()),
    };
    Ok(NewsItem { id, title, body, published_at, category: p.category, image_url, important: p.important })
}

async fn publish(
    _: Staff,
    State(st): State<Arc<NewsState>>,
    body: Result<ApiJson<Publish>, ApiError>,
) -> Result<Response, ApiError> {
    // A body that does not fit the item (a wrong type, an unknown category) is 400 here, as
    // every other refusal of a publication; 415 for a missing Content-Type stays.
    let ApiJson(p) = body.map_err(|e| match e {
        ApiError::Rejected(StatusCode::UNPROCESSABLE_ENTITY, m) => ApiError::BadRequest(m),
        e => e,
    })?;
    let now = Utc::now();
    let mut item = prepare(p, now).map_err(ApiError::BadRequest)?;
    if item.id.is_empty() {
        item.id = new_id(now)?;
    }
    let stored = item.clone();
    let version = st.db.call(move |c| store::publish(c, &stored)).await?;
    match version {
        Some(_) => Ok((StatusCode::CREATED, Json(item)).into_response()),
        None => Ok((StatusCode::CONFLICT, Json(json!({ "error": "id: already used" }))).into_response()),
    }
}

async fn withdraw(
    _: Staff,
    State(st): State<Arc<NewsState>>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if !valid_id(&id) {
        return Err(ApiError::NotFound);
    }
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let reply_id = id.clone();
    let version = st.db.call(move |c| store::withdraw(c, &id, &now)).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(json!({ "id": reply_id, "withdrawn": true, "version": version })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_is_30_clean_items_in_every_category() {
        let items = sample().unwrap();
        assert_eq!(items.len(), 30);
        let ids: std::collections::HashSet<_> = items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids.len(), 30);
        assert!(items.iter().any(|i| i.important));
        assert!(items.iter().any(|i| i.image_url.is_some()));
        for c in [
            NewsCategory::Announcement,
            NewsCategory::WaterSchedule,
            NewsCategory::ServiceInterruption,
            NewsCategory::Project,
            NewsCategory::Event,
        ] {
            assert!(items.iter().any(|i| i.category == c), "no {c:?}");
        }
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let item = NewsItem {
            id: "20261127-abcd0123".into(),
            title: Localized::default(),
            body: Localized::default(),
            published_at: "2026-11-27T08:00:00Z".into(),
            category: NewsCategory::Event,
            image_url: None,
            important: false,
        };
        let c = encode_cursor(&item);
        assert_eq!(decode_cursor(&c), Some((item.published_at.clone(), item.id.clone())));
        assert_eq!(decode_cursor("not a cursor"), None);
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("x\n' OR 1=1");
        assert_eq!(decode_cursor(&forged), None);
    }

    #[test]
    fn publication_rules() {
        let now = Utc::now();
        let p = |id: Option<&str>, at: Option<&str>, img: Option<&str>| Publish {
            id: id.map(Into::into),
            title: Localized { ar: "عنوان".into(), en: "Title".into() },
            body: Localized { ar: "نص".into(), en: "Text".into() },
            published_at: at.map(Into::into),
            category: NewsCategory::Announcement,
            image_url: img.map(Into::into),
            important: false,
        };
        assert!(prepare(p(Some("ok-1"), Some("2026-01-01T10:00:00+02:00"), None), now).is_ok());
        assert_eq!(
            prepare(p(None, Some("2026-01-01T10:00:00+02:00"), None), now).unwrap().published_at,
            "2026-01-01T08:00:00Z"
        );
        assert!(prepare(p(Some("Bad Id"), None, None), now).is_err());
        assert!(prepare(p(None, Some("yesterday"), None), now).is_err());
        assert!(prepare(p(None, Some("2999-01-01T00:00:00Z"), None), now).is_err());
        assert!(prepare(p(None, None, Some("http://x.example/a.jpg")), now).is_err());
        let mut empty = p(None, None, None);
        empty.body.en = "<script></script>".into();
        assert!(prepare(empty, now).is_err());
    }
}
