//! The staff console under `/staff/`: server-rendered HTML for the people who handle complaints
//! all day (public relations, the verification team, the departments) and the admin. No
//! JavaScript; Arabic and right to left by default, English by a switch (a cookie).
//!
//! | path | who | what |
//! | --- | --- | --- |
//! | `GET`, `POST /staff/login`, `POST /staff/logout` | anyone | sign in (`username`, `password`), sign out |
//! | `GET /staff/inbox` | dispatcher, verifier, admin (a department sees its own) | every request, filtered, counted, newest first, paged |
//! | `GET /staff/requests/{id}`, `POST …/action`, `POST …/note` | by role | one request, its actions, internal notes |
//! | `GET`, `POST /staff/intake` | dispatcher, department, admin | a request that came by WhatsApp, Facebook, phone, the counter |
//! | `GET /staff/messages`, `GET …/{id}`, `POST …/{id}/attach`, `POST …/{id}/dismiss` | dispatcher, admin | messages that came by WhatsApp or Messenger (intake items): make a request of one (the intake form, prefilled), attach it to a request as an internal note, dismiss it |
//! | `GET /staff/queue` | department (others choose one) | what is routed to a department, oldest first, overdue marked |
//! | `GET /staff/dashboard`, `GET /staff/dashboard.csv` | all but the editor (a department its own) | a period's counts per channel, category, department, status; median times to first response and resolution; overdue; the list as CSV |
//! | `GET`, `POST /staff/news`, `POST /staff/news/{id}/important`, `…/withdraw` | editor, admin | write in both languages, preview, publish, mark important, withdraw |
//! | `GET /staff/guide`, `GET`, `POST /staff/guide/{services,violations}/{id}` | editor, admin | edit a service or a violation in both languages; each save a new catalogue version |
//! | `GET /staff/accounts`, `POST …` | admin | accounts: create, disable, enable, reset; the audit log |
//!
//! Every action goes through the same workflow functions as the staff API
//! ([`crate::open311::staff::act`] and [`crate::open311::staff::enter`]), with the account's role.
//! Every page carries a Content-Security-Policy without inline script, refuses framing, sends no
//! referrer and is never cached; every form carries the session's CSRF token (the sign-in form a
//! token of its own, in a cookie) and a form without it is refused.

// A page's refusal is itself a page: handlers and their helpers return `Response` as the error.
#![allow(clippy::result_large_err)]

pub mod accounts;
mod dashboard;
mod faq;
mod guide;
mod messages;
mod news;
mod pages;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Multipart, Path, RawQuery, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use subtle::ConstantTimeEq;

use crate::bills::throttle::{self, client_key, Limit, Outcome, Scope};
use crate::bills::ClientAddr;
use crate::channels::media::MediaFetcher;
use crate::db::Db;
use crate::error::ApiError;
use crate::open311::categories::Locale;
use crate::open311::staff::{self as workflow, ActionBody, Role, StaffError};
use crate::open311::store::{self, CountBy, Filter, View};
use crate::open311::submit::{Photo, Submission, MAX_PHOTOS, MAX_PHOTO_BYTES, SOURCES};
use crate::open311::{context, photo, Open311State};
use accounts::{Account, AccountRole, Session};
use pages::Lang;

pub const SESSION_COOKIE: &str = "baladiya_staff";
const LOGIN_COOKIE: &str = "baladiya_login";
const LANG_COOKIE: &str = "baladiya_lang";
const PAGE_SIZE: u32 = 25;

/// Failed sign-ins allowed per user name, and per client address, in 15 minutes.
pub const FAILURES_PER_USER: u32 = 5;
pub const FAILURES_PER_CLIENT: u32 = 20;
const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// The sign-in throttle's scope names in the database.
const SIGN_IN_USER: &str = "sign_in_user";
const SIGN_IN_CLIENT: &str = "sign_in_client";

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

pub(crate) struct ConsoleState {
    db: Db,
    open311: Arc<Open311State>,
    /// Failed sign-ins, counted in the database (every process, and across restarts).
    per_user: Scope,
    per_client: Scope,
    purged: throttle::PurgeClock,
}

/// The console's routes; with `demo`, the demo accounts are created when missing.
pub(crate) fn router(open311: Arc<Open311State>, demo: bool) -> Result<Router, String> {
    let db = open311.db.clone();
    if demo {
        let made = db.with(|c| accounts::seed_demo(c)).map_err(|e| e.to_string())?;
        if made > 0 {
            tracing::info!(accounts = made, "created the demo staff accounts");
        }
    }
    let state = Arc::new(ConsoleState {
        db,
        open311,
        per_user: Scope {
            name: SIGN_IN_USER,
            limit: Limit { max: FAILURES_PER_USER, window: FAILURE_WINDOW },
        },
        per_client: Scope {
            name: SIGN_IN_CLIENT,
            limit: Limit { max: FAILURES_PER_CLIENT, window: FAILURE_WINDOW },
        },
        purged: throttle::PurgeClock::default(),
    });
    Ok(Router::new()
        .route("/staff", get(|| async { Redirect::to("/staff/") }))
        .route("/staff/", get(home))
        .route("/staff/login", get(login_page).post(login))
        .route("/staff/logout", post(logout))
        .route("/staff/lang/{lang}", get(switch_lang))
        .route("/staff/static/console.css", get(stylesheet))
        .route("/staff/inbox", get(inbox))
        .route("/staff/queue", get(queue))
        .route("/staff/requests/{id}", get(detail))
        .route("/staff/requests/{id}/action", post(action))
        .route("/staff/requests/{id}/note", post(note))
        .route(
            "/staff/intake",
            get(intake_page).post(intake).layer(DefaultBodyLimit::max(MAX_PHOTO_BYTES + 256 * 1024)),
        )
        .route("/staff/messages", get(messages::list))
        .route("/staff/messages/{id}", get(messages::detail))
        .route("/staff/messages/{id}/attach", post(messages::attach))
        .route("/staff/messages/{id}/dismiss", post(messages::dismiss))
        .route("/staff/messages/outbound/{id}/retry", post(messages::retry_outbound))
        .route("/staff/guide", get(guide::list))
        .route("/staff/guide/faq", get(faq::page))
        .route("/staff/guide/faq/{id}", post(faq::publish))
        .route("/staff/guide/{kind}/{id}", get(guide::edit).post(guide::save))
        .route("/staff/news", get(news::page).post(news::submit))
        .route("/staff/news/{id}/withdraw", post(news::withdraw))
        .route("/staff/news/{id}/important", post(news::important))
        .route("/staff/dashboard", get(dashboard::page))
        .route("/staff/dashboard.csv", get(dashboard::csv))
        .route("/staff/accounts", get(accounts_page).post(accounts_action))
        .layer(middleware::from_fn(security_headers))
        .with_state(state))
}

/// On every console answer: no script but our own stylesheet and images, no framing, no
/// referrer, no caching, no sniffing.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    resp
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A request to the server by a loopback name: cookies go without `Secure`, since there is no
/// TLS there (everywhere else the console is served over HTTPS, by a proxy in front of it).
fn is_loopback(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else { return false };
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn set_cookie(headers: &HeaderMap, name: &str, value: &str, path: &str, max_age: i64) -> HeaderValue {
    let secure = if is_loopback(headers) { "" } else { "; Secure" };
    let v = format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}");
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("x=; Max-Age=0"))
}

fn lang_of(headers: &HeaderMap) -> Lang {
    match cookie(headers, LANG_COOKIE) {
        Some("en") => Lang::En,
        _ => Lang::Ar,
    }
}

/// The signed-in staff member of a page, or a redirect to the sign-in page.
pub(crate) struct Staff {
    session: Session,
    lang: Lang,
    client: IpAddr,
}

/// A form's fields, in the order posted.
type FormFields = Vec<(String, String)>;

impl Staff {
    fn account(&self) -> &Account {
        &self.session.account
    }

    fn actor(&self) -> String {
        format!("{}:{}", self.account().role.name(), self.account().username)
    }

    /// The form's CSRF token matches the session's (constant time).
    /// A form this session posted: its fields, once it parsed and its CSRF token matched.
    fn posted_form(&self, body: &[u8]) -> Result<FormFields, Response> {
        let pairs = form_pairs(body).ok_or_else(|| bad_form(self.lang))?;
        self.check_csrf(field(&pairs, "csrf"))?;
        Ok(pairs)
    }

    fn check_csrf(&self, given: Option<&str>) -> Result<(), Response> {
        let given = given.unwrap_or("");
        if !given.is_empty() && bool::from(given.as_bytes().ct_eq(self.session.csrf.as_bytes())) {
            Ok(())
        } else {
            Err(pages::message(
                self.lang,
                StatusCode::FORBIDDEN,
                self.lang.t(
                    "انتهت صلاحية النموذج. أعد تحميل الصفحة وحاول مرة أخرى.",
                    "This form has expired. Reload the page and try again.",
                ),
            ))
        }
    }

    /// A form posted about request `id` (the path's text): its fields, once parsed and its CSRF
    /// token matched, this account's role on requests, and the id (404 when it is not one).
    fn posted_to_request(&self, body: &[u8], id: &str) -> Result<(FormFields, Role, i64), Response> {
        let pairs = self.posted_form(body)?;
        let role = self.request_role()?;
        let id = store::parse_id(id)
            .ok_or_else(|| staff_error(self.lang, StaffError(StatusCode::NOT_FOUND, String::new())))?;
        Ok((pairs, role, id))
    }

    fn request_role(&self) -> Result<Role, Response> {
        self.account().role.request_role().ok_or_else(|| self.forbidden())
    }

    fn forbidden(&self) -> Response {
        pages::message(
            self.lang,
            StatusCode::FORBIDDEN,
            self.lang.t("ليست لديك صلاحية لهذه الصفحة.", "You do not have access to this page."),
        )
    }

    async fn audit(&self, st: &ConsoleState, action: &str, request_id: Option<i64>, detail: Option<String>) {
        let (user, action, client) =
            (self.account().username.clone(), action.to_owned(), self.client.to_string());
        let r = st
            .db
            .call(move |c| accounts::audit(c, &user, &action, request_id, detail.as_deref(), Some(&client)))
            .await;
        if let Err(e) = r {
            tracing::error!(error = %e, "audit log write failed");
        }
    }
}

impl FromRequestParts<Arc<ConsoleState>> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &Arc<ConsoleState>) -> Result<Self, Response> {
        let lang = lang_of(&parts.headers);
        let token = cookie(&parts.headers, SESSION_COOKIE).unwrap_or("").to_owned();
        let client = match ClientAddr::from_request_parts(parts, st).await {
            Ok(ClientAddr(ip)) => ip,
            Err(never) => match never {},
        };
        let session = if token.is_empty() {
            None
        } else {
            st.db.call(move |c| accounts::session(c, &token, now())).await.map_err(|e| internal(lang, e))?
        };
        match session {
            Some(session) => Ok(Staff { session, lang, client }),
            None => Err(Redirect::to("/staff/login").into_response()),
        }
    }
}

fn internal(lang: Lang, e: ApiError) -> Response {
    tracing::error!(error = %e, "staff console");
    pages::message(lang, StatusCode::INTERNAL_SERVER_ERROR, lang.t("خطأ في الخادم.", "Server error."))
}

/// `application/x-www-form-urlencoded` pairs (not UTF-8: refused).
fn form_pairs(body: &[u8]) -> Option<Vec<(String, String)>> {
    std::str::from_utf8(body).ok()?;
    Some(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn query(q: &RawQuery) -> Vec<(String, String)> {
    q.0.as_deref().and_then(|q| form_pairs(q.as_bytes())).unwrap_or_default()
}

fn bad_form(lang: Lang) -> Response {
    pages::message(lang, StatusCode::BAD_REQUEST, lang.t("نموذج غير صالح.", "Malformed form."))
}

async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], pages::CSS).into_response()
}

async fn switch_lang(Path(lang): Path<String>, headers: HeaderMap, q: RawQuery) -> Response {
    let lang = if lang == "en" { "en" } else { "ar" };
    let pairs = query(&q);
    // Back to a console page only (no open redirect).
    let next = field(&pairs, "next")
        .filter(|n| n.starts_with("/staff/") && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or("/staff/");
    let mut resp = Redirect::to(next).into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&headers, LANG_COOKIE, lang, "/staff", 365 * 86400));
    resp
}

async fn home(staff: Staff) -> Response {
    match &staff.account().role {
        AccountRole::Department(_) => Redirect::to("/staff/queue").into_response(),
        AccountRole::Editor => Redirect::to("/staff/news").into_response(),
        _ => Redirect::to("/staff/inbox").into_response(),
    }
}

async fn login_page(State(st): State<Arc<ConsoleState>>, headers: HeaderMap) -> Response {
    let lang = lang_of(&headers);
    if let Some(token) = cookie(&headers, SESSION_COOKIE).map(str::to_owned) {
        if let Ok(Some(_)) = st.db.call(move |c| accounts::session(c, &token, now())).await {
            return Redirect::to("/staff/").into_response();
        }
    }
    login_form(lang, &headers, StatusCode::OK, None, "")
}

/// The sign-in form with a fresh CSRF token in a short-lived cookie of its own (there is no
/// session to keep it in yet).
fn login_form(
    lang: Lang,
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<&str>,
    username: &str,
) -> Response {
    let token = match store::random_id() {
        Ok(t) => t,
        Err(e) => return internal(lang, e),
    };
    let mut resp = pages::login(lang, status, &token, error, username);
    resp.headers_mut()
        .append(header::SET_COOKIE, set_cookie(headers, LOGIN_COOKIE, &token, "/staff/login", 3600));
    resp
}

async fn login(
    State(st): State<Arc<ConsoleState>>,
    ClientAddr(ip): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = lang_of(&headers);
    let Some(pairs) = form_pairs(&body) else { return bad_form(lang) };
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    let given = field(&pairs, "csrf").unwrap_or("");
    if expected.is_empty() || !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        return pages::message(
            lang,
            StatusCode::FORBIDDEN,
            lang.t(
                "انتهت صلاحية نموذج الدخول. أعد تحميل الصفحة.",
                "The sign-in form has expired. Reload the page.",
            ),
        );
    }
    let username = field(&pairs, "username").unwrap_or("").trim().to_lowercase();
    let password = field(&pairs, "password").unwrap_or("").to_owned();
    let too_many = |wait: Duration| {
        let mut resp = pages::message(
            lang,
            StatusCode::TOO_MANY_REQUESTS,
            lang.t("محاولات دخول خاطئة كثيرة. حاول لاحقاً.", "Too many failed sign-ins. Try again later."),
        );
        if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    };
    let user_key: String = username.chars().take(64).collect();
    let counts = vec![(st.per_user, user_key), (st.per_client, client_key(ip).to_string())];
    let db = st.db.clone();
    let at = throttle::now_ms();
    let purge = st.purged.due(at).then_some([st.per_user, st.per_client]);
    let begun = st
        .db
        .call(move |c| {
            if let Some(scopes) = purge {
                throttle::purge(c, &scopes, at)?;
            }
            throttle::begin(&db, c, &counts, at)
        })
        .await;
    let attempt = match begun {
        Ok(Ok(a)) => a,
        Ok(Err(wait)) => return too_many(wait),
        Err(e) => return internal(lang, e),
    };
    let name = username.clone();
    let found = match st.db.call(move |c| accounts::get(c, &name)).await {
        Ok(f) => f,
        Err(e) => return internal(lang, e),
    };
    let (account, hash) = match found {
        Some((a, h)) => (Some(a), Some(h)),
        None => (None, None),
    };
    let ok = tokio::task::spawn_blocking(move || accounts::verify_password(hash.as_deref(), &password))
        .await
        .unwrap_or(false);
    let account = account.filter(|a| ok && !a.disabled);
    let Some(account) = account else {
        let failed = st.db.call(move |c| attempt.finish(c, Outcome::Failed, throttle::now_ms())).await;
        if let Err(e) = failed {
            return internal(lang, e);
        }
        tracing::info!("staff sign-in refused");
        let msg = lang.t("اسم المستخدم أو كلمة المرور غير صحيحة.", "Wrong username or password.");
        return login_form(lang, &headers, StatusCode::UNAUTHORIZED, Some(msg), &username);
    };
    let (user, client) = (account.username.clone(), ip.to_string());
    let token = match st
        .db
        .call(move |c| {
            // A success forgives the user name's failures, and only its own attempt from the
            // client.
            attempt.finish(c, Outcome::Passed { clear: &[SIGN_IN_USER] }, throttle::now_ms())?;
            let t = accounts::create_session(c, &user, now())?;
            accounts::audit(c, &user, "sign_in", None, None, Some(&client))?;
            Ok(t)
        })
        .await
    {
        Ok(t) => t,
        Err(e) => return internal(lang, e),
    };
    let mut resp = Redirect::to("/staff/").into_response();
    let h = resp.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(&headers, SESSION_COOKIE, &token, "/staff", accounts::SESSION_MAX),
    );
    h.append(header::SET_COOKIE, set_cookie(&headers, LOGIN_COOKIE, "", "/staff/login", 0));
    resp
}

async fn logout(
    staff: Staff,
    State(st): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = staff.posted_form(&body) {
        return refused;
    }
    let hash = staff.session.token_hash.clone();
    staff.audit(&st, "sign_out", None, None).await;
    if let Err(e) = st.db.call(move |c| accounts::end_session(c, &hash)).await {
        return internal(staff.lang, e);
    }
    let mut resp = Redirect::to("/staff/login").into_response();
    resp.headers_mut().insert(header::SET_COOKIE, set_cookie(&headers, SESSION_COOKIE, "", "/staff", 0));
    resp
}

/// What the inbox and the queue show: the filters as given, and the page.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListQuery {
    pub status: Option<String>,
    pub source: Option<String>,
    pub category: Option<String>,
    pub department: Option<String>,
    pub overdue: bool,
    /// How long ago it came: `day`, `week`, `month` (within), or `older` (than a month).
    pub age: Option<String>,
    pub page: u32,
}

impl ListQuery {
    fn parse(q: &RawQuery) -> ListQuery {
        let pairs = query(q);
        let get = |n: &str| field(&pairs, n).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        ListQuery {
            status: get("status")
                .filter(|s| s == "open" || s == "closed" || store::DETAILED_STATUSES.contains(&s.as_str())),
            source: get("source").filter(|s| SOURCES.contains(&s.as_str())),
            category: get("category"),
            department: get("department"),
            overdue: get("overdue").is_some_and(|v| v == "1"),
            age: get("age").filter(|a| ["day", "week", "month", "older"].contains(&a.as_str())),
            page: get("page").and_then(|p| p.parse().ok()).filter(|p| *p >= 1).unwrap_or(1),
        }
    }

    /// The store's filter for `role` (a department sees only its own).
    fn filter(&self, role: &Role) -> Filter {
        let mut f = Filter { page: self.page, page_size: PAGE_SIZE, ..Filter::default() };
        match self.status.as_deref() {
            Some(s @ ("open" | "closed")) => f.statuses = vec![s.to_owned()],
            Some(s) => f.detailed_statuses = vec![s.to_owned()],
            None => {}
        }
        f.sources = self.source.iter().cloned().collect();
        f.service_codes = self.category.iter().cloned().collect();
        match self.department.as_deref() {
            Some("unrouted") => f.unrouted = true,
            Some(d) => f.departments = vec![d.to_owned()],
            None => {}
        }
        if let Role::Department(d) = role {
            f.departments = vec![d.clone()];
            f.unrouted = false;
        }
        let now = chrono::Utc::now();
        if self.overdue {
            f.overdue_at = Some(store::stamp(now));
        }
        let days = |n| store::stamp(now - chrono::Duration::days(n));
        match self.age.as_deref() {
            Some("day") => f.start = Some(days(1)),
            Some("week") => f.start = Some(days(7)),
            Some("month") => f.start = Some(days(30)),
            Some("older") => f.end = Some(days(30)),
            _ => {}
        }
        f
    }

    /// This query as a query string, with `change` applied (`None` removes the parameter).
    pub fn href(&self, base: &str, change: &[(&str, Option<&str>)]) -> String {
        let page = self.page.to_string();
        let mut params: Vec<(&str, Option<&str>)> = vec![
            ("status", self.status.as_deref()),
            ("source", self.source.as_deref()),
            ("category", self.category.as_deref()),
            ("department", self.department.as_deref()),
            ("overdue", self.overdue.then_some("1")),
            ("age", self.age.as_deref()),
            ("page", (self.page > 1).then_some(page.as_str())),
        ];
        for (k, v) in change {
            if let Some(p) = params.iter_mut().find(|(n, _)| n == k) {
                p.1 = *v;
            }
            if *k != "page" {
                if let Some(p) = params.iter_mut().find(|(n, _)| *n == "page") {
                    p.1 = None;
                }
            }
        }
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            if let Some(v) = v {
                s.append_pair(k, v);
            }
        }
        let q = s.finish();
        if q.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{q}")
        }
    }
}

/// A page of requests with what the list shows of each, and the counts of every filter.
pub(crate) struct Listing {
    pub rows: Vec<ListRow>,
    pub total: i64,
    pub counts: HashMap<&'static str, Vec<(Option<String>, i64)>>,
    pub overdue: i64,
    pub categories: Vec<(String, String)>,
    pub departments: Vec<(String, String)>,
}

pub(crate) struct ListRow {
    pub id: i64,
    pub category: String,
    pub source: String,
    pub detailed_status: String,
    pub department: Option<String>,
    pub description: String,
    pub requested_at: String,
    pub expected_at: Option<String>,
    pub overdue: bool,
    /// Citizens following it besides its reporter.
    pub followers: i64,
}

/// Categories and departments by id with their names in `lang`, sorted by name.
/// `(id, name)` pairs.
type Named = Vec<(String, String)>;

fn names(ctx: &crate::open311::Context, lang: Lang) -> (Named, Named) {
    let locale = lang.locale();
    let mut cats: Vec<(String, String)> =
        ctx.categories.values().map(|c| (c.service_code.clone(), locale.pick(&c.name).to_owned())).collect();
    cats.sort_by(|a, b| a.1.cmp(&b.1));
    let mut ids: Vec<String> = ctx.departments.keys().cloned().collect();
    ids.extend(ctx.categories.values().map(|c| c.department_id.clone()));
    ids.sort();
    ids.dedup();
    let mut depts: Vec<(String, String)> = ids
        .into_iter()
        .map(|id| {
            let name =
                ctx.departments.get(&id).map(|n| locale.pick(n).to_owned()).unwrap_or_else(|| id.clone());
            (id, name)
        })
        .collect();
    depts.sort_by(|a, b| a.1.cmp(&b.1));
    (cats, depts)
}

async fn listing(
    st: &ConsoleState,
    role: &Role,
    q: &ListQuery,
    lang: Lang,
    oldest_first: bool,
) -> Result<Listing, ApiError> {
    let mut f = q.filter(role);
    f.oldest_first = oldest_first;
    let q = q.clone();
    let role = role.clone();
    st.db
        .call(move |c| {
            let ctx = context(c)?;
            let (rows, total) = store::list(c, &f)?;
            let now = store::stamp(chrono::Utc::now());
            let mut counts = HashMap::new();
            // Each filter's counts under the other filters (what choosing that value would show).
            for (key, by) in [
                ("status", CountBy::DetailedStatus),
                ("source", CountBy::Source),
                ("category", CountBy::ServiceCode),
                ("department", CountBy::Department),
            ] {
                let mut without = q.clone();
                match key {
                    "status" => without.status = None,
                    "source" => without.source = None,
                    "category" => without.category = None,
                    _ => without.department = None,
                }
                counts.insert(key, store::count_by(c, &without.filter(&role), by)?);
            }
            let mut over = q.filter(&role);
            over.overdue_at = Some(now.clone());
            let overdue: i64 = store::count_by(c, &over, CountBy::Source)?.iter().map(|(_, n)| n).sum();
            let (categories, departments) = names(&ctx, lang);
            let cat_name = |code: &str| {
                ctx.categories
                    .get(code)
                    .map(|c| lang.locale().pick(&c.name).to_owned())
                    .unwrap_or_else(|| code.to_owned())
            };
            let rows = rows
                .iter()
                .map(|r| ListRow {
                    id: r.id,
                    category: cat_name(&r.service_code),
                    source: r.source.clone(),
                    detailed_status: r.detailed_status.clone(),
                    department: r.department_id.as_deref().map(|d| {
                        ctx.departments
                            .get(d)
                            .map(|n| lang.locale().pick(n).to_owned())
                            .unwrap_or_else(|| d.to_owned())
                    }),
                    description: r.description.as_deref().unwrap_or("").chars().take(120).collect(),
                    requested_at: r.requested_at.clone(),
                    expected_at: r.expected_at.clone(),
                    overdue: r.status == "open" && r.expected_at.as_deref().is_some_and(|e| e < now.as_str()),
                    followers: r.followers,
                })
                .collect();
            Ok(Listing { rows, total, counts, overdue, categories, departments })
        })
        .await
}

async fn inbox(staff: Staff, State(st): State<Arc<ConsoleState>>, q: RawQuery) -> Response {
    let role = match staff.request_role() {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let q = ListQuery::parse(&q);
    match listing(&st, &role, &q, staff.lang, false).await {
        Ok(l) => pages::inbox(&staff, &q, &l),
        Err(e) => internal(staff.lang, e),
    }
}

async fn queue(staff: Staff, State(st): State<Arc<ConsoleState>>, q: RawQuery) -> Response {
    let role = match staff.request_role() {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let mut q = ListQuery::parse(&q);
    if q.status.is_none() {
        q.status = Some("open".into());
    }
    if let Role::Department(d) = &role {
        q.department = Some(d.clone());
    }
    let chosen = q.department.is_some();
    match listing(&st, &role, &q, staff.lang, true).await {
        Ok(l) => pages::queue(&staff, &q, &l, chosen),
        Err(e) => internal(staff.lang, e),
    }
}

/// Everything the request page shows.
pub(crate) struct Detail {
    pub request: workflow::StaffRequest,
    /// `(question, answer)` in the page's language.
    pub answers: Vec<(String, String)>,
    pub notes: Vec<accounts::Note>,
    pub departments: Vec<(String, String)>,
    pub department_name: Option<String>,
}

async fn load_detail(
    st: &ConsoleState,
    role: &Role,
    id: i64,
    lang: Lang,
) -> Result<Result<Detail, StaffError>, ApiError> {
    let role = role.clone();
    st.db
        .call(move |c| {
            let ctx = context(c)?;
            let view = View {
                categories: &ctx.categories,
                departments: &ctx.departments,
                locale: lang.locale(),
                base_url: "",
            };
            let Some(row) = store::get(c, id)? else {
                return Ok(Err(StaffError(StatusCode::NOT_FOUND, "request not found".into())));
            };
            if !role.may_see(&row) {
                return Ok(Err(StaffError(
                    StatusCode::FORBIDDEN,
                    "this request is not routed to your department".into(),
                )));
            }
            let request = workflow::staff_view(c, &view, &row, true)?;
            let answers = answers(ctx.categories.get(&row.service_code), &request.attributes, lang.locale());
            let notes = accounts::notes(c, id)?;
            let (_, departments) = names(&ctx, lang);
            let department_name = row.department_id.as_deref().map(|d| view.department_name(d));
            Ok(Ok(Detail { request, answers, notes, departments, department_name }))
        })
        .await
}

/// The category's questions with the request's answers, in the definition's order.
fn answers(
    category: Option<&crate::open311::categories::Category>,
    attributes: &serde_json::Value,
    locale: Locale,
) -> Vec<(String, String)> {
    let Some(map) = attributes.as_object() else { return Vec::new() };
    let Some(category) = category else {
        return map.iter().map(|(k, v)| (k.clone(), v.to_string())).collect();
    };
    let mut defs: Vec<_> = category.attributes.iter().filter(|a| a.variable).collect();
    defs.sort_by_key(|a| a.order);
    defs.iter()
        .filter_map(|def| {
            let v = map.get(&def.code)?;
            let name_of = |key: &str| {
                def.values
                    .iter()
                    .find(|x| x.key == key)
                    .map(|x| locale.pick(&x.name).to_owned())
                    .unwrap_or_else(|| key.to_owned())
            };
            let text = match v {
                serde_json::Value::String(s) if def.is_list() => name_of(s),
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(items) => {
                    items.iter().filter_map(|i| i.as_str()).map(name_of).collect::<Vec<_>>().join("، ")
                }
                other => other.to_string(),
            };
            Some((locale.pick(&def.description).to_owned(), text))
        })
        .collect()
}

fn staff_error(lang: Lang, e: StaffError) -> Response {
    let text = match e.0 {
        StatusCode::NOT_FOUND => lang.t("البلاغ غير موجود.", "No such request.").to_owned(),
        StatusCode::FORBIDDEN => lang
            .t("هذا البلاغ ليس محالاً إلى دائرتك.", "This request is not routed to your department.")
            .to_owned(),
        _ => e.1,
    };
    pages::message(lang, e.0, &text)
}

async fn detail(
    staff: Staff,
    State(st): State<Arc<ConsoleState>>,
    Path(id): Path<String>,
    q: RawQuery,
) -> Response {
    let role = match staff.request_role() {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let Some(id) = store::parse_id(&id) else {
        return staff_error(staff.lang, StaffError(StatusCode::NOT_FOUND, String::new()));
    };
    let done = field(&query(&q), "done").map(str::to_owned);
    match load_detail(&st, &role, id, staff.lang).await {
        Ok(Ok(d)) => pages::detail(&staff, &role, &d, StatusCode::OK, None, done.as_deref()),
        Ok(Err(e)) => staff_error(staff.lang, e),
        Err(e) => internal(staff.lang, e),
    }
}

/// The form of an action on the request page, into the staff workflow's action.
fn action_body(pairs: &[(String, String)], lang: Lang, id: i64) -> Result<(ActionBody, Option<i64>), String> {
    let get = |n: &str| field(pairs, n).map(|v| crate::text::clean(v.trim())).filter(|v| !v.is_empty());
    let action = get("action").unwrap_or_default();
    let note = get("note");
    let mut duplicate_of = None;
    let body = match action.as_str() {
        "reject" if note.is_none() => {
            return Err(lang.t("الرفض يحتاج إلى سبب.", "A rejection needs its reason.").into());
        }
        "duplicate" => {
            let Some(other) =
                get("duplicate_of").and_then(|v| store::parse_id(&crate::open311::submit::ascii_digits(&v)))
            else {
                return Err(lang
                    .t("اكتب رقم البلاغ الأصلي.", "Give the number of the original request.")
                    .into());
            };
            if other == id {
                return Err(lang.t("لا يكون البلاغ مكرراً لنفسه.", "A request cannot duplicate itself.").into());
            }
            duplicate_of = Some(other);
            let note = note
                .unwrap_or_else(|| format!("بلاغ مكرر عن البلاغ رقم {other} — Duplicate of request {other}"));
            ActionBody {
                action: "status".into(),
                department_id: None,
                detailed_status: Some("duplicate".into()),
                note: Some(note),
            }
        }
        _ => ActionBody {
            action,
            department_id: get("department_id"),
            detailed_status: get("detailed_status"),
            note,
        },
    };
    Ok((body, duplicate_of))
}

async fn action(
    staff: Staff,
    State(st): State<Arc<ConsoleState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let lang = staff.lang;
    let (pairs, role, id) = match staff.posted_to_request(&body, &id) {
        Ok(posted) => posted,
        Err(refused) => return refused,
    };
    let (body, duplicate_of) = match action_body(&pairs, lang, id) {
        Ok(b) => b,
        Err(msg) => return redisplay(&st, &staff, &role, id, StatusCode::BAD_REQUEST, &msg).await,
    };
    if let Err(e) = workflow::check_action(&role, &body) {
        let msg = if e.0 == StatusCode::FORBIDDEN {
            lang.t("دورك لا يسمح بهذا الإجراء.", "Your role may not take this action.").to_owned()
        } else {
            e.1
        };
        return redisplay(&st, &staff, &role, id, e.0, &msg).await;
    }
    let what = body.action.clone();
    let detail = match (&body.department_id, &body.detailed_status) {
        (Some(d), _) if what == "route" => Some(format!("department={d}")),
        (_, Some(s)) => Some(format!("detailed_status={s}")),
        _ => None,
    };
    let actor = staff.actor();
    let role2 = role.clone();
    let result = st
        .db
        .call(move |c| {
            if let Some(other) = duplicate_of {
                if store::get(c, other)?.is_none() {
                    return Ok(Err(StaffError(StatusCode::BAD_REQUEST, String::new())));
                }
            }
            let ctx = context(c)?;
            let view = View {
                categories: &ctx.categories,
                departments: &ctx.departments,
                locale: Locale::Ar,
                base_url: "",
            };
            workflow::act(c, &view, &role2, &actor, id, &body)
        })
        .await;
    match result {
        Ok(Ok(_)) => {
            staff.audit(&st, &what, Some(id), detail).await;
            Redirect::to(&format!("/staff/requests/{id}?done={what}")).into_response()
        }
        Ok(Err(e)) if e.0 == StatusCode::BAD_REQUEST && e.1.is_empty() => {
            let msg = lang.t("لا يوجد بلاغ بهذا الرقم.", "There is no request with that number.");
            redisplay(&st, &staff, &role, id, StatusCode::BAD_REQUEST, msg).await
        }
        Ok(Err(e)) if e.0 == StatusCode::CONFLICT => {
            let msg = lang.t(
                "البلاغ مغلق. أعد فتحه بجعل حالته «قيد العمل» أولاً.",
                "The request is closed. Reopen it by setting it in progress first.",
            );
            redisplay(&st, &staff, &role, id, StatusCode::CONFLICT, msg).await
        }
        Ok(Err(e)) if e.0 == StatusCode::BAD_REQUEST => redisplay(&st, &staff, &role, id, e.0, &e.1).await,
        Ok(Err(e)) => staff_error(lang, e),
        Err(e) => internal(lang, e),
    }
}

/// The request page again, with what went wrong.
async fn redisplay(
    st: &ConsoleState,
    staff: &Staff,
    role: &Role,
    id: i64,
    status: StatusCode,
    msg: &str,
) -> Response {
    match load_detail(st, role, id, staff.lang).await {
        Ok(Ok(d)) => pages::detail(staff, role, &d, status, Some(msg), None),
        Ok(Err(e)) => staff_error(staff.lang, e),
        Err(e) => internal(staff.lang, e),
    }
}

async fn note(
    staff: Staff,
    State(st): State<Arc<ConsoleState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let lang = staff.lang;
    let (pairs, role, id) = match staff.posted_to_request(&body, &id) {
        Ok(posted) => posted,
        Err(refused) => return refused,
    };
    let text = crate::text::clean(field(&pairs, "note").unwrap_or("").trim());
    if text.is_empty() || text.chars().count() > crate::open311::submit::MAX_DESCRIPTION_CHARS {
        let msg = lang.t("اكتب نص الملاحظة (حتى 4000 حرف).", "Write the note (up to 4000 characters).");
        return redisplay(&st, &staff, &role, id, StatusCode::BAD_REQUEST, msg).await;
    }
    let author = staff.actor();
    let result = st
        .db
        .call(move |c| {
            let Some(row) = store::get(c, id)? else {
                return Ok(Err(StaffError(StatusCode::NOT_FOUND, String::new())));
            };
            if !role.may_see(&row) {
                return Ok(Err(StaffError(StatusCode::FORBIDDEN, String::new())));
            }
            accounts::add_note(c, id, &author, &text)?;
            Ok(Ok(()))
        })
        .await;
    match result {
        Ok(Ok(())) => {
            staff.audit(&st, "internal_note", Some(id), None).await;
            Redirect::to(&format!("/staff/requests/{id}?done=note")).into_response()
        }
        Ok(Err(e)) => staff_error(lang, e),
        Err(e) => internal(lang, e),
    }
}

/// The intake form: a category first, then that category's questions.
pub(crate) struct IntakeForm {
    pub categories: Vec<(String, String, String)>,
    pub category: Option<crate::open311::categories::Category>,
    pub values: Vec<(String, String)>,
    pub errors: Vec<String>,
    /// The channel message (intake item) this request is made from.
    pub item: Option<i64>,
}

async fn intake_form(st: &ConsoleState, lang: Lang, code: Option<String>) -> Result<IntakeForm, ApiError> {
    st.db
        .call(move |c| {
            let ctx = context(c)?;
            let locale = lang.locale();
            let mut cats: Vec<&crate::open311::categories::Category> = ctx.categories.values().collect();
            cats.sort_by(|a, b| (&a.group, locale.pick(&a.name)).cmp(&(&b.group, locale.pick(&b.name))));
            let categories = cats
                .iter()
                .map(|c| {
                    let group = c
                        .group_name
                        .as_ref()
                        .map(|g| locale.pick(g).to_owned())
                        .unwrap_or_else(|| c.group.clone());
                    (c.service_code.clone(), locale.pick(&c.name).to_owned(), group)
                })
                .collect();
            let category = code.and_then(|code| ctx.categories.get(&code).cloned());
            Ok(IntakeForm { categories, category, values: Vec::new(), errors: Vec::new(), item: None })
        })
        .await
}

async fn intake_page(staff: Staff, State(st): State<Arc<ConsoleState>>, q: RawQuery) -> Response {
    match staff.request_role() {
        Ok(r) if r.may("intake") => {}
        Ok(_) => return staff.forbidden(),
        Err(resp) => return resp,
    }
    let pairs = query(&q);
    let code = field(&pairs, "category").map(str::to_owned);
    // From a channel message: its channel, text, location and contact, still to be checked.
    let item = field(&pairs, "item").and_then(store::parse_id).filter(|_| messages::may_handle(&staff));
    let prefill = match item {
        Some(id) => messages::prefill(&st, id).await,
        None => None,
    };
    match intake_form(&st, staff.lang, code).await {
        Ok(mut form) => {
            if let Some(values) = prefill {
                form.values = values;
                form.item = item;
            }
            pages::intake(&staff, &form, StatusCode::OK)
        }
        Err(e) => internal(staff.lang, e),
    }
}

async fn intake(
    staff: Staff,
    State(st): State<Arc<ConsoleState>>,
    Extension(media): Extension<Arc<MediaFetcher>>,
    mut multipart: Multipart,
) -> Response {
    let lang = staff.lang;
    let role = match staff.request_role() {
        Ok(r) if r.may("intake") => r,
        Ok(_) => return staff.forbidden(),
        Err(resp) => return resp,
    };
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut photo_bytes: Option<Vec<u8>> = None;
    loop {
        let part = match multipart.next_field().await {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(_) => return bad_form(lang),
        };
        let name = part.name().unwrap_or("").to_owned();
        if name == "photo" {
            match part.bytes().await {
                Ok(b) if b.is_empty() => {}
                Ok(b) => photo_bytes = Some(b.to_vec()),
                Err(_) => return bad_form(lang),
            }
        } else {
            match part.text().await {
                Ok(t) => fields.push((name, t)),
                Err(_) => return bad_form(lang),
            }
        }
    }
    if let Err(r) = staff.check_csrf(field(&fields, "csrf")) {
        return r;
    }
    let code = field(&fields, "service_code").map(str::to_owned);
    let mut errors = Vec::new();
    let mut photos = Vec::new();
    if let Some(bytes) = photo_bytes {
        if bytes.len() > MAX_PHOTO_BYTES {
            errors.push(lang.t("الصورة أكبر من 2 ميغابايت.", "The photo is larger than 2 MB.").to_owned());
        } else {
            match photo::check(&bytes, st.open311.max_photo_pixels) {
                Ok(checked) => photos.push(Photo { content_type: checked.content_type, bytes }),
                Err(reason) => errors.push(format!("{}: {reason}", lang.t("الصورة", "photo"))),
            }
        }
    }
    // Only the fields of a request, each through the same text policy as a citizen's form; empty
    // ones are left out (an unanswered optional question).
    let kept: Vec<(String, String)> = fields
        .iter()
        .filter(|(k, v)| k != "csrf" && k != "item" && !v.trim().is_empty())
        .map(|(k, v)| (k.clone(), crate::text::clean(v.trim())))
        .collect();
    if !errors.is_empty() {
        return intake_again(&st, &staff, code, fields, errors).await;
    }
    // Made from a channel message: only by who may handle those, and only while it is new.
    let item = match field(&fields, "item").filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => match store::parse_id(v) {
            Some(id) if messages::may_handle(&staff) => Some(id),
            Some(_) => return staff.forbidden(),
            None => return bad_form(lang),
        },
    };
    // A WhatsApp message's photos come with it (fetched from the Cloud API, checked as a
    // citizen's own), after the one the team may have added.
    if let Some(item_id) = item {
        if let Ok(Some(i)) = st.db.call(move |c| crate::channels::store::get(c, item_id)).await {
            let fetched = media.photos(&i, st.open311.max_photo_pixels).await;
            let room = MAX_PHOTOS.saturating_sub(photos.len());
            photos.extend(fetched.photos.into_iter().take(room));
        }
    }
    let actor = staff.actor();
    let sub = Submission { fields: kept, photos, ..Submission::default() };
    let result = st
        .db
        .call(move |c| {
            if let Some(item) = item {
                match crate::channels::store::get(c, item)? {
                    Some(i) if i.status == "new" => {}
                    Some(_) => return Ok(Err(StaffError(StatusCode::CONFLICT, "item".into()))),
                    None => return Ok(Err(StaffError(StatusCode::NOT_FOUND, String::new()))),
                }
            }
            let ctx = context(c)?;
            let view = View {
                categories: &ctx.categories,
                departments: &ctx.departments,
                locale: Locale::Ar,
                base_url: "",
            };
            // Made from a channel message: the item is marked and everything the citizen sent
            // (the photo's media id among it) kept as an internal note, in the request's own
            // transaction, so an item is never made into two requests.
            workflow::enter_then(c, &view, &role, &actor, sub, |tx, id| match item {
                Some(item) => crate::channels::handle::made_into(tx, item, id, &actor),
                None => Ok(true),
            })
        })
        .await;
    match result {
        Ok(Ok(created)) => {
            let id: i64 = created.service_request_id.parse().unwrap_or_default();
            let detail = match item {
                Some(i) => format!("source={} intake_item={i}", created.source),
                None => format!("source={}", created.source),
            };
            staff.audit(&st, "intake", Some(id), Some(detail)).await;
            Redirect::to(&format!("/staff/requests/{id}?done=intake")).into_response()
        }
        Ok(Err(e)) if e.0 == StatusCode::CONFLICT && e.1 == "item" => pages::message(
            lang,
            StatusCode::CONFLICT,
            lang.t("عالج أحد الزملاء هذه الرسالة للتو.", "A colleague has just handled this message."),
        ),
        Ok(Err(e)) if e.0 == StatusCode::BAD_REQUEST => {
            let errors = e.1.split("; ").map(str::to_owned).collect();
            intake_again(&st, &staff, code, fields, errors).await
        }
        Ok(Err(e)) => staff_error(lang, e),
        Err(e) => internal(lang, e),
    }
}

async fn intake_again(
    st: &ConsoleState,
    staff: &Staff,
    code: Option<String>,
    values: Vec<(String, String)>,
    errors: Vec<String>,
) -> Response {
    match intake_form(st, staff.lang, code).await {
        Ok(mut form) => {
            form.item = field(&values, "item").and_then(store::parse_id);
            form.values = values.into_iter().filter(|(k, _)| k != "csrf").collect();
            form.errors = errors;
            pages::intake(staff, &form, StatusCode::BAD_REQUEST)
        }
        Err(e) => internal(staff.lang, e),
    }
}

async fn accounts_page(staff: Staff, State(st): State<Arc<ConsoleState>>) -> Response {
    if staff.account().role != AccountRole::Admin {
        return staff.forbidden();
    }
    accounts_view(&st, &staff, StatusCode::OK, None).await
}

async fn accounts_view(st: &ConsoleState, staff: &Staff, status: StatusCode, msg: Option<&str>) -> Response {
    accounts_view_with(st, staff, status, msg, None).await
}

/// The accounts page; `token`: a bearer token just made, `(user, token)`, shown this once.
async fn accounts_view_with(
    st: &ConsoleState,
    staff: &Staff,
    status: StatusCode,
    msg: Option<&str>,
    token: Option<(&str, &str)>,
) -> Response {
    let result = st
        .db
        .call(|c| {
            let ctx = context(c)?;
            let list = accounts::list(c)?;
            let log = accounts::audit_log(c, 100)?;
            Ok((list, log, ctx))
        })
        .await;
    match result {
        Ok((list, log, ctx)) => {
            let (_, departments) = names(&ctx, staff.lang);
            pages::accounts(staff, &list, &log, &departments, (status, msg, token))
        }
        Err(e) => internal(staff.lang, e),
    }
}

async fn accounts_action(staff: Staff, State(st): State<Arc<ConsoleState>>, body: Bytes) -> Response {
    let lang = staff.lang;
    let pairs = match staff.posted_form(&body) {
        Ok(pairs) => pairs,
        Err(refused) => return refused,
    };
    if staff.account().role != AccountRole::Admin {
        return staff.forbidden();
    }
    let get = |n: &str| field(&pairs, n).map(str::trim).unwrap_or("").to_owned();
    let (op, username, password) =
        (get("op"), get("username").to_lowercase(), field(&pairs, "password").unwrap_or("").to_owned());
    if username == staff.account().username && op == "disable" {
        let msg = lang.t("لا يمكنك تعطيل حسابك.", "You cannot disable your own account.");
        return accounts_view(&st, &staff, StatusCode::BAD_REQUEST, Some(msg)).await;
    }
    let hash = if op == "add" || op == "reset" {
        match tokio::task::spawn_blocking(move || accounts::hash_password(&password)).await {
            Ok(Ok(h)) => Some(h),
            Ok(Err(e)) => return accounts_view(&st, &staff, StatusCode::BAD_REQUEST, Some(&e)).await,
            Err(_) => return internal(lang, ApiError::Internal("hashing failed".into())),
        }
    } else {
        None
    };
    if op == "token" || op == "revoke" {
        let (user, make) = (username.clone(), op == "token");
        let result = st
            .db
            .call(move |c| {
                Ok(if make {
                    accounts::create_token(c, &user, Some("console")).map(Some)
                } else {
                    accounts::revoke_tokens(c, &user).map(|_| None)
                })
            })
            .await;
        return match result {
            Ok(Ok(token)) => {
                staff.audit(&st, &format!("account_{op}"), None, Some(format!("username={username}"))).await;
                match token {
                    Some(t) => {
                        accounts_view_with(&st, &staff, StatusCode::OK, None, Some((&username, &t))).await
                    }
                    None => Redirect::to("/staff/accounts").into_response(),
                }
            }
            Ok(Err(e)) => accounts_view(&st, &staff, StatusCode::BAD_REQUEST, Some(&e.to_string())).await,
            Err(e) => internal(lang, e),
        };
    }
    let role = get("role");
    let dept = get("department");
    let (user, op2) = (username.clone(), op.clone());
    let result = st
        .db
        .call(move |c| {
            Ok(match (op2.as_str(), hash) {
                ("add", Some(h)) => AccountRole::parse(
                    &role,
                    Some(&dept).filter(|_| role == "department").map(String::as_str),
                )
                .map_err(accounts::AccountError::Invalid)
                .and_then(|r| accounts::add(c, &user, &r, &h)),
                ("reset", Some(h)) => accounts::reset(c, &user, &h),
                ("disable", _) => accounts::set_disabled(c, &user, true),
                ("enable", _) => accounts::set_disabled(c, &user, false),
                _ => Err(accounts::AccountError::Invalid("op".into())),
            })
        })
        .await;
    match result {
        Ok(Ok(())) => {
            staff.audit(&st, &format!("account_{op}"), None, Some(format!("username={username}"))).await;
            Redirect::to("/staff/accounts").into_response()
        }
        Ok(Err(e)) => accounts_view(&st, &staff, StatusCode::BAD_REQUEST, Some(&e.to_string())).await,
        Err(e) => internal(lang, e),
    }
}
