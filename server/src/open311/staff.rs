//! The municipality's side of complaints: `Authorization: Bearer <token>`, two roles.
//!
//! - **dispatcher** (the server's staff token): sees every request; verifies, rejects, routes to a
//!   department, sets status, replies; enters complaints that came by another channel.
//! - **department** (`--department-token DEPT=TOKEN`; with `--demo`, `demo-dept-<id>` for every
//!   department): sees only the requests routed to it; sets status and replies on them; enters
//!   complaints too.
//! - a token made for a staff account (`baladiya-server staff token`) acts with that account's
//!   role, as in the staff console: public relations (no verification), verifier (only that),
//!   department, admin (everything); the history names the account.
//!
//! | method and path | what |
//! | --- | --- |
//! | `GET /api/v1/staff/requests` | list; filters `status`, `detailed_status`, `service_code`, `department` (`unrouted` for none), `source`, `page`, `page_size` |
//! | `GET /api/v1/staff/requests/{id}` | one, with contact fields, attributes, photos and the whole history |
//! | `POST /api/v1/staff/requests/{id}/actions` | `{"action": "verify"\|"reject"\|"route"\|"status"\|"reply", "department_id"?, "detailed_status"?, "note"?}` |
//! | `POST /api/v1/staff/requests` | a complaint received by WhatsApp, Facebook, phone, at the counter… (`source` required) |
//!
//! Every action appends to the request's history (its note is the public text) and moves
//! `updated_datetime`. Errors are `{"error": "..."}` with 400, 401, 403, 404 or 409.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::categories::{self, Locale};
use super::extract::{comma_list, param, query_pairs};
use super::state::{context, Open311State, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use super::store::{self, Change, RequestRow, View};
use super::submit::{self, Contact, Submission, GAZA_CITY};
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::sql::Conn;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// The `--staff-token` (integrations): sees everything and may do every action.
    Dispatcher,
    /// Public relations in the staff console: intake, routing, status, replies; the credibility
    /// check is the verifiers' (kept apart so one person does not both take and vouch for a report).
    PublicRelations,
    /// The verification team: sees everything; verifies or rejects, with a reason.
    Verifier,
    Department(String),
}

impl Role {
    pub(crate) fn actor(&self) -> String {
        match self {
            Role::Dispatcher | Role::PublicRelations => "dispatcher".into(),
            Role::Verifier => "verifier".into(),
            Role::Department(d) => format!("department:{d}"),
        }
    }

    /// Department staff see and act only on what is routed to their department.
    pub(crate) fn may_see(&self, row: &RequestRow) -> bool {
        match self {
            Role::Dispatcher | Role::PublicRelations | Role::Verifier => true,
            Role::Department(d) => row.department_id.as_deref() == Some(d.as_str()),
        }
    }

    /// Whether this role may take `action` (`verify`, `reject`, `route`, `status`, `reply`, or
    /// `intake` for entering a request), on a request it may see.
    pub(crate) fn may(&self, action: &str) -> bool {
        match self {
            Role::Dispatcher => true,
            Role::PublicRelations => matches!(action, "route" | "status" | "reply" | "intake"),
            Role::Verifier => matches!(action, "verify" | "reject"),
            Role::Department(_) => matches!(action, "status" | "reply" | "intake"),
        }
    }
}

/// An error of the staff API: `{"error": "..."}`.
#[derive(Debug)]
pub struct StaffError(pub StatusCode, pub String);

impl StaffError {
    fn bad(msg: impl Into<String>) -> Self {
        StaffError(StatusCode::BAD_REQUEST, msg.into())
    }
    fn forbidden(msg: impl Into<String>) -> Self {
        StaffError(StatusCode::FORBIDDEN, msg.into())
    }
    fn not_found() -> Self {
        StaffError(StatusCode::NOT_FOUND, "request not found".into())
    }
}

impl From<ApiError> for StaffError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::BadRequest(m) => StaffError::bad(m),
            ApiError::NotFound => StaffError::not_found(),
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                StaffError(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into())
            }
            other => StaffError(StatusCode::FORBIDDEN, other.to_string()),
        }
    }
}

impl IntoResponse for StaffError {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

pub use super::extract::StaffUser;

#[derive(Debug, Serialize)]
pub struct StaffUpdate {
    pub update_id: String,
    pub action: String,
    pub status: String,
    pub detailed_status: String,
    /// What the citizen sees (the note, or the standard text of the state).
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_id: Option<String>,
    pub actor: String,
    pub updated_datetime: String,
}

#[derive(Debug, Serialize)]
pub struct StaffRequest {
    pub service_request_id: String,
    pub token: String,
    pub service_code: String,
    pub service_name: String,
    pub group: String,
    pub status: String,
    pub detailed_status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_notes: Option<String>,
    /// The department it is routed to (none until a dispatcher routes it).
    pub department_id: Option<String>,
    /// The category's department, where a dispatcher routes it by default.
    pub suggested_department_id: Option<String>,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub long: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    pub attributes: Value,
    pub media_urls: Vec<String>,
    /// Personal data: only in the answer for one request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    pub requested_datetime: String,
    pub updated_datetime: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_datetime: Option<String>,
    /// Citizens following it ("this is my problem too").
    pub followers: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub updates: Vec<StaffUpdate>,
}

#[derive(Debug, Serialize)]
pub struct StaffList {
    pub page: u32,
    pub page_size: u32,
    pub total: i64,
    pub requests: Vec<StaffRequest>,
}

/// `full`: with contact fields and history (one request); without (a list).
pub(crate) fn staff_view(
    conn: &Conn,
    view: &View<'_>,
    row: &RequestRow,
    full: bool,
) -> Result<StaffRequest, ApiError> {
    let category = view.categories.get(&row.service_code);
    let updates = if full { store::updates(conn, row.id)? } else { Vec::new() };
    let mut media_urls: Vec<String> =
        store::media_ids(conn, row.id)?.iter().map(|m| view.media_url(m)).collect();
    media_urls.extend(row.media_url.clone());
    Ok(StaffRequest {
        service_request_id: row.id.to_string(),
        token: row.token.clone(),
        service_code: row.service_code.clone(),
        service_name: category.map(|c| view.locale.pick(&c.name).to_owned()).unwrap_or_default(),
        group: category.map(|c| c.group.clone()).unwrap_or_default(),
        status: row.status.clone(),
        detailed_status: row.detailed_status.clone(),
        status_notes: row.status_notes.clone(),
        department_id: row.department_id.clone(),
        suggested_department_id: category.map(|c| c.department_id.clone()),
        source: row.source.clone(),
        description: row.description.clone(),
        lat: row.lat,
        long: row.long,
        address: row.address.clone(),
        attributes: serde_json::from_str(&row.attributes).unwrap_or(Value::Null),
        media_urls,
        contact: full.then(|| row.contact.clone()),
        requested_datetime: row.requested_at.clone(),
        updated_datetime: row.updated_at.clone(),
        expected_datetime: row.expected_at.clone(),
        followers: row.followers,
        updates: updates
            .into_iter()
            .map(|u| StaffUpdate {
                update_id: format!("{}-{}", row.id, u.seq),
                description: u.note.clone().unwrap_or_else(|| {
                    let dept = u.department_id.as_deref().map(|d| view.department_name(d));
                    store::default_note(&u.detailed_status, dept.as_deref(), view.locale)
                }),
                action: u.action,
                status: u.status,
                detailed_status: u.detailed_status,
                department_id: u.department_id,
                actor: u.actor,
                updated_datetime: u.created_at,
            })
            .collect(),
    })
}

/// Run `f` with the view context of this request (locale from `?locale=`, media base from Host).
async fn with_view<T, F>(st: &Open311State, parts_base: String, locale: Locale, f: F) -> Result<T, StaffError>
where
    T: Send + 'static,
    F: FnOnce(&mut Conn, &View<'_>) -> Result<Result<T, StaffError>, ApiError> + Send + 'static,
{
    st.db
        .call(move |c| {
            let ctx = context(c)?;
            let view = View {
                categories: &ctx.categories,
                departments: &ctx.departments,
                locale,
                base_url: &parts_base,
            };
            f(c, &view)
        })
        .await?
}

pub async fn list(
    StaffUser(role, _): StaffUser,
    State(st): State<Arc<Open311State>>,
    headers: axum::http::HeaderMap,
    q: RawQuery,
) -> Result<Json<StaffList>, StaffError> {
    let pairs = query_pairs(&q);
    let mut f = store::Filter { page: 1, page_size: DEFAULT_PAGE_SIZE, ..Default::default() };
    if let Some(p) = param(&pairs, "page") {
        f.page = p
            .parse()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| StaffError::bad("page: a whole number from 1"))?;
    }
    if let Some(p) = param(&pairs, "page_size") {
        let n: u32 = p
            .parse()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| StaffError::bad("page_size: a whole number from 1"))?;
        f.page_size = n.min(MAX_PAGE_SIZE);
    }
    f.statuses = comma_list(param(&pairs, "status"));
    f.detailed_statuses = comma_list(param(&pairs, "detailed_status"));
    if f.statuses.iter().any(|s| s != "open" && s != "closed") {
        return Err(StaffError::bad("status: open or closed"));
    }
    if f.detailed_statuses.iter().any(|s| !store::DETAILED_STATUSES.contains(&s.as_str())) {
        return Err(StaffError::bad(format!(
            "detailed_status: one of {}",
            store::DETAILED_STATUSES.join(", ")
        )));
    }
    f.service_codes = comma_list(param(&pairs, "service_code"));
    f.sources = comma_list(param(&pairs, "source"));
    f.departments = comma_list(param(&pairs, "department"));
    if let Role::Department(d) = &role {
        // A department sees its own requests whatever it asks for.
        f.departments = vec![d.clone()];
    }
    if f.departments.iter().any(|d| d == "unrouted") && !matches!(role, Role::Department(_)) {
        f.departments.clear();
        f.unrouted = true;
    }
    let locale = Locale::parse(param(&pairs, "locale"));
    let base = st.base_url(&headers);
    let (page, page_size) = (f.page, f.page_size);
    let (requests, total) = with_view(&st, base, locale, move |c, view| {
        let (rows, total) = store::list(c, &f)?;
        let list = rows.iter().map(|r| staff_view(c, view, r, false)).collect::<Result<Vec<_>, _>>()?;
        Ok(Ok((list, total)))
    })
    .await?;
    Ok(Json(StaffList { page, page_size, total, requests }))
}

fn parse_path_id(id: &str) -> Result<i64, StaffError> {
    store::parse_id(id).ok_or_else(StaffError::not_found)
}

pub async fn one(
    StaffUser(role, _): StaffUser,
    State(st): State<Arc<Open311State>>,
    ApiPath(id): ApiPath<String>,
    headers: axum::http::HeaderMap,
    q: RawQuery,
) -> Result<Json<StaffRequest>, StaffError> {
    let id = parse_path_id(&id)?;
    let pairs = query_pairs(&q);
    let locale = Locale::parse(param(&pairs, "locale"));
    let base = st.base_url(&headers);
    let one = with_view(&st, base, locale, move |c, view| {
        let Some(row) = store::get(c, id)? else { return Ok(Err(StaffError::not_found())) };
        if !role.may_see(&row) {
            return Ok(Err(StaffError::forbidden("this request is not routed to your department")));
        }
        Ok(Ok(staff_view(c, view, &row, true)?))
    })
    .await?;
    Ok(Json(one))
}

#[derive(Debug, Deserialize)]
pub struct ActionBody {
    pub action: String,
    #[serde(default)]
    pub department_id: Option<String>,
    #[serde(default)]
    pub detailed_status: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// The detailed states the `status` action may set (verify, reject and route have their own).
pub(crate) const SETTABLE: [&str; 4] = ["in_progress", "fixed", "duplicate", "closed"];

pub async fn action(
    StaffUser(role, actor): StaffUser,
    State(st): State<Arc<Open311State>>,
    ApiPath(id): ApiPath<String>,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<ActionBody>,
) -> Result<Json<StaffRequest>, StaffError> {
    let id = parse_path_id(&id)?;
    check_action(&role, &body)?;
    let base = st.base_url(&headers);
    let updated =
        with_view(&st, base, Locale::Ar, move |c, view| act(c, view, &role, &actor, id, &body)).await?;
    Ok(Json(updated))
}

/// What can be refused before the request is read: the note's length, the action's name, and
/// whether the role may take it at all.
pub(crate) fn check_action(role: &Role, body: &ActionBody) -> Result<(), StaffError> {
    let note = body.note.as_deref().map(str::trim).unwrap_or("");
    if note.chars().count() > submit::MAX_DESCRIPTION_CHARS {
        return Err(StaffError::bad(format!(
            "note: longer than {} characters",
            submit::MAX_DESCRIPTION_CHARS
        )));
    }
    match body.action.as_str() {
        "verify" | "reject" | "route" | "status" | "reply" => {}
        _ => return Err(StaffError::bad("action: one of verify, reject, route, status, reply")),
    }
    if !role.may(&body.action) {
        return Err(StaffError::forbidden(match role {
            Role::Department(_) => format!("action: only a dispatcher may {}", body.action),
            _ => format!("action: your role may not {}", body.action),
        }));
    }
    Ok(())
}

/// Take one staff action on request `id` (the staff API's and the console's one path): checked
/// by [`check_action`], then against the request (visible to the role, not closed), appended to
/// its history as `actor`.
pub(crate) fn act(
    c: &Conn,
    view: &View<'_>,
    role: &Role,
    actor: &str,
    id: i64,
    body: &ActionBody,
) -> Result<Result<StaffRequest, StaffError>, ApiError> {
    if let Err(e) = check_action(role, body) {
        return Ok(Err(e));
    }
    let note = body.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
    let tx = c.transaction()?;
    let Some(row) = store::get(&tx, id)? else { return Ok(Err(StaffError::not_found())) };
    if !role.may_see(&row) {
        return Ok(Err(StaffError::forbidden("this request is not routed to your department")));
    }
    let closed = row.status == "closed";
    let conflict = |what: &str| {
        Err(StaffError(
            StatusCode::CONFLICT,
            format!("action: cannot {what} a closed request; set its status to in_progress to reopen it"),
        ))
    };
    let department;
    let change = match body.action.as_str() {
        "verify" if closed => return Ok(conflict("verify")),
        "verify" => Change {
            action: "verify",
            detailed_status: "verified",
            note: note.as_deref(),
            department_id: None,
            sets_status_notes: true,
            actor,
        },
        "reject" if closed => return Ok(conflict("reject")),
        "reject" => Change {
            action: "reject",
            detailed_status: "rejected",
            note: note.as_deref(),
            department_id: None,
            sets_status_notes: true,
            actor,
        },
        "route" if closed => return Ok(conflict("route")),
        "route" => {
            let suggested = view.categories.get(&row.service_code).map(|c| c.department_id.clone());
            department = match body.department_id.clone().or(suggested) {
                Some(d) => d,
                None => return Ok(Err(StaffError::bad("department_id: required"))),
            };
            if !known_department(&tx, view, &department)? {
                return Ok(Err(StaffError::bad("department_id: not a department of this municipality")));
            }
            Change {
                action: "route",
                detailed_status: "routed",
                note: note.as_deref(),
                department_id: Some(&department),
                sets_status_notes: true,
                actor,
            }
        }
        "status" => {
            let Some(ds) = body.detailed_status.as_deref() else {
                return Ok(Err(StaffError::bad("detailed_status: required")));
            };
            if !SETTABLE.contains(&ds) {
                return Ok(Err(StaffError::bad(format!(
                    "detailed_status: one of {} (verify, reject and route are actions of their own)",
                    SETTABLE.join(", ")
                ))));
            }
            Change {
                action: "status",
                detailed_status: ds,
                note: note.as_deref(),
                department_id: None,
                sets_status_notes: true,
                actor,
            }
        }
        _ => {
            if note.is_none() {
                return Ok(Err(StaffError::bad("note: a reply needs its text")));
            }
            Change {
                action: "reply",
                detailed_status: &row.detailed_status,
                note: note.as_deref(),
                department_id: None,
                sets_status_notes: false,
                actor,
            }
        }
    };
    store::apply(&tx, &row, &change)?;
    tx.commit()?;
    let row = store::get(c, id)?.ok_or(ApiError::NotFound)?;
    Ok(Ok(staff_view(c, view, &row, true)?))
}

/// A department of the guide's catalogue or of a category; any well-formed id when neither is
/// loaded.
fn known_department(conn: &Conn, view: &View<'_>, id: &str) -> Result<bool, ApiError> {
    let mut known: HashSet<String> = categories::departments(conn)?.into_keys().collect();
    known.extend(view.categories.values().map(|c| c.department_id.clone()));
    if known.is_empty() {
        return Ok(!id.is_empty()
            && id.len() <= 64
            && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
    }
    Ok(known.contains(id))
}

/// A complaint that came by another channel, typed in by staff.
#[derive(Debug, Deserialize)]
pub struct StaffNew {
    pub service_code: String,
    pub source: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub long: Option<f64>,
    #[serde(default)]
    pub address_string: Option<String>,
    /// `{"code": "value" | ["value", ...] | number}`
    #[serde(default)]
    pub attributes: Map<String, Value>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub media_url: Option<String>,
}

impl StaffNew {
    /// The same fields a citizen's form would carry, so one validation serves both.
    pub(crate) fn into_submission(self) -> Result<Submission, StaffError> {
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut put = |name: &str, v: Option<String>| {
            if let Some(v) = v {
                fields.push((name.to_owned(), v));
            }
        };
        put("service_code", Some(self.service_code));
        put("source", Some(self.source));
        put("description", self.description);
        put("lat", self.lat.map(|v| v.to_string()));
        put("long", self.long.map(|v| v.to_string()));
        put("address_string", self.address_string);
        put("email", self.email);
        put("first_name", self.first_name);
        put("last_name", self.last_name);
        put("phone", self.phone);
        put("account_id", self.account_id);
        put("media_url", self.media_url);
        for (code, value) in self.attributes {
            let one = |v: &Value| match v {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(StaffError::bad(format!(
                    "attribute[{code}]: a string, a number or a list of strings"
                ))),
            };
            match &value {
                Value::Array(items) => {
                    for item in items {
                        fields.push((format!("attribute[{code}][]"), one(item)?));
                    }
                }
                v => fields.push((format!("attribute[{code}]"), one(v)?)),
            }
        }
        // The same text policy as a citizen's own form (crate::text).
        for (_, value) in &mut fields {
            *value = crate::text::clean(value);
        }
        Ok(Submission { fields, ..Submission::default() })
    }
}

pub async fn create(
    StaffUser(role, actor): StaffUser,
    State(st): State<Arc<Open311State>>,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<StaffNew>,
) -> Result<(StatusCode, Json<StaffRequest>), StaffError> {
    let sub = body.into_submission()?;
    let base = st.base_url(&headers);
    let created = with_view(&st, base, Locale::Ar, move |c, view| enter(c, view, &role, &actor, sub)).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Enter a request that came by another channel (the staff API's and the console's one path):
/// validated as a citizen's own form would be, with the channel named by staff.
pub(crate) fn enter(
    c: &Conn,
    view: &View<'_>,
    role: &Role,
    actor: &str,
    sub: Submission,
) -> Result<Result<StaffRequest, StaffError>, ApiError> {
    enter_then(c, view, role, actor, sub, |_, _| Ok(true))
}

/// [`enter`], with `then` run in the same transaction once the request has its id (a channel's
/// intake item marked made into it): when `then` says no, nothing is entered and the answer is
/// 409 `item`.
pub(crate) fn enter_then(
    c: &Conn,
    view: &View<'_>,
    role: &Role,
    actor: &str,
    sub: Submission,
    then: impl FnOnce(&Conn, i64) -> Result<bool, ApiError>,
) -> Result<Result<StaffRequest, StaffError>, ApiError> {
    if !role.may("intake") {
        return Ok(Err(StaffError::forbidden("your role may not enter requests")));
    }
    let code = sub.get("service_code").unwrap_or_default().to_owned();
    let category =
        view.categories.get(&code).ok_or_else(|| "service_code: not a service of this server".to_owned());
    let new = match submit::validate(sub, category.clone(), &GAZA_CITY, submit::Channel::Staff) {
        Ok(n) => n,
        Err(errors) => return Ok(Err(StaffError::bad(errors.join("; ")))),
    };
    let Ok(category) = category else { return Err(ApiError::Internal("category vanished".into())) };
    let tx = c.transaction()?;
    let (id, _) = store::insert(&tx, &new, category, actor)?;
    if !then(&tx, id)? {
        return Ok(Err(StaffError(StatusCode::CONFLICT, "item".into())));
    }
    tx.commit()?;
    let row = store::get(c, id)?.ok_or(ApiError::NotFound)?;
    Ok(Ok(staff_view(c, view, &row, true)?))
}
