//! The Open311 API's settings and the state its handlers (and the staff console) share: the
//! database, the accepted API keys and staff tokens, Idempotency-Key claims and upload slots.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderMap};
use tokio::sync::Semaphore;

use super::categories::{self, Category};
use super::format::{Failure, Format};
use super::staff::Role;
use super::{idempotency, photo, store, uploads};
use crate::db::Db;
use crate::error::ApiError;
use crate::sql::Conn;

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
    pub(super) jurisdiction_id: String,
    pub(super) api_keys: Vec<String>,
    pub(super) staff: Vec<(String, Role)>,
    public_url: Option<String>,
    pub(super) in_flight: idempotency::InFlight,
    pub(crate) max_photo_pixels: u64,
    /// Upload slots (see [`Open311Config::max_uploads`]).
    pub(super) uploads: Arc<Semaphore>,
    /// Unix seconds of the last purge of old Idempotency-Key records.
    last_purge: AtomicI64,
    /// The categories and department names, and the answers made of them, per version.
    pub(super) catalogue: Arc<CatalogueCache>,
}

impl Open311State {
    /// Seed the sample categories (with `demo`) and gather the accepted API keys and staff tokens.
    /// `body_timeout` is the server's ([`crate::Limits`]): an Idempotency-Key claim lives at most
    /// that long and a margin.
    pub(super) fn new(
        db: Db,
        demo: bool,
        dispatcher_token: Option<&str>,
        config: &Open311Config,
        body_timeout: Duration,
    ) -> Result<Self, String> {
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
            let seed = categories::sample()?;
            let seeded = db.with(|c| categories::seed_if_empty(c, &seed)).map_err(|e| e.to_string())?;
            if seeded {
                tracing::info!(categories = seed.categories.len(), "loaded sample complaint categories");
            }
            api_keys.push(DEMO_API_KEY.into());
            let mut departments: Vec<String> = db
                .with(|c| categories::departments(c))
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
        Ok(Open311State {
            in_flight: idempotency::InFlight::new(db.clone(), body_timeout + CLAIM_MARGIN),
            db,
            jurisdiction_id: config.jurisdiction_id.clone(),
            api_keys,
            staff,
            public_url: config.public_url.as_ref().map(|u| u.trim_end_matches('/').to_owned()),
            max_photo_pixels: config.max_photo_pixels,
            uploads: Arc::new(Semaphore::new(config.max_uploads.max(1))),
            last_purge: AtomicI64::new(0),
            catalogue: Arc::default(),
        })
    }

    /// Run `f` with the database on the blocking pool; a database failure answers 500 in `fmt`.
    pub(super) async fn query<T, F>(&self, fmt: Format, f: F) -> Result<T, Failure>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<T, ApiError> + Send + 'static,
    {
        self.db.call(f).await.map_err(|e| Failure { format: fmt, ..Failure::from(e) })
    }

    /// The base of absolute URLs: the configured public URL, or `http://` and the Host header
    /// (when it looks like a host name and port, else `localhost`).
    pub(super) fn base_url(&self, headers: &HeaderMap) -> String {
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
    pub(super) fn purge_due(&self) -> bool {
        let now = chrono::Utc::now().timestamp();
        let last = self.last_purge.load(Ordering::Relaxed);
        now - last >= 3600
            && self.last_purge.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    }
}

/// Forget Idempotency-Key records past their days, claims left by dead processes, and uploads
/// abandoned unfinished for a day.
pub(super) fn purge_old(conn: &Conn) -> Result<(), ApiError> {
    let gone = store::idempotency_purge(conn, chrono::Duration::days(idempotency::KEEP_DAYS))?;
    // Any claim older than a day is far past any time to live this server could have.
    idempotency::purge(conn, Duration::from_secs(12 * 3600))?;
    let uploads = uploads::purge_abandoned(conn, chrono::Utc::now().timestamp())?;
    tracing::debug!(gone, uploads, "purged old idempotency keys and abandoned uploads");
    Ok(())
}

/// Categories by code and department names, for showing requests.
pub(crate) struct Context {
    pub(crate) categories: HashMap<String, Category>,
    pub(crate) departments: HashMap<String, baladiya_wire::Localized>,
}

pub(crate) fn context(conn: &Conn) -> Result<Context, ApiError> {
    Ok(Context {
        categories: categories::all(conn)?.into_iter().map(|c| (c.service_code.clone(), c)).collect(),
        departments: categories::departments(conn)?,
    })
}

/// What the public reads need of the categories and the guide's departments, kept per version
/// (the guide catalogue's, which departments change with, and the categories', migration 012):
/// each call reads the two versions (one indexed query), and only a new version reads and parses
/// the documents again. The services list and definitions are serialised once per version, per
/// language and format ([`Catalogue::body`]), as the guide is.
#[derive(Default)]
pub(crate) struct CatalogueCache(std::sync::Mutex<Option<Arc<Catalogue>>>);

pub(crate) struct Catalogue {
    versions: (i64, i64),
    pub(crate) context: Context,
    /// Categories in the services list's order.
    pub(crate) categories: Vec<Category>,
    bodies: std::sync::Mutex<HashMap<Body, bytes::Bytes>>,
}

/// A serialised answer that changes only with the catalogue's version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Body {
    /// The services list; `definitions`: with `include=definitions` (JSON).
    Services { locale: categories::Locale, fmt: Format, definitions: bool },
    /// One service's definition.
    Definition { code: String, locale: categories::Locale, fmt: Format },
}

impl CatalogueCache {
    /// The catalogue at the database's current versions (read first, so documents read after a
    /// change are never kept under the version before it).
    pub(crate) fn get(&self, conn: &Conn) -> Result<Arc<Catalogue>, ApiError> {
        let versions = versions(conn)?;
        if let Some(c) = self.0.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            if c.versions == versions {
                return Ok(Arc::clone(c));
            }
        }
        let categories = categories::all(conn)?;
        let fresh = Arc::new(Catalogue {
            versions,
            context: Context {
                categories: categories.iter().map(|c| (c.service_code.clone(), c.clone())).collect(),
                departments: categories::departments(conn)?,
            },
            categories,
            bodies: Default::default(),
        });
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&fresh));
        Ok(fresh)
    }
}

/// The guide catalogue's version and the categories' (migration 012), in one query.
fn versions(conn: &Conn) -> Result<(i64, i64), ApiError> {
    let rows: Vec<(String, i64)> = conn.query_map(
        "SELECT key, value FROM catalogue_meta WHERE key IN ('version', 'open311_version')",
        (),
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let of = |k: &str| rows.iter().find(|(key, _)| key == k).map_or(0, |(_, v)| *v);
    Ok((of("version"), of("open311_version")))
}

impl Catalogue {
    /// The serialised answer `key` names, made by `make` the first time at this version.
    pub(super) fn body(&self, key: Body, make: impl FnOnce() -> String) -> bytes::Bytes {
        if let Some(b) = self.bodies.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return b.clone();
        }
        let body = bytes::Bytes::from(make());
        // A definition per code asked for: bounded by the categories (unknown codes are 404
        // before this), times two languages and two formats.
        self.bodies.lock().unwrap_or_else(|p| p.into_inner()).insert(key, body.clone());
        body
    }
}
