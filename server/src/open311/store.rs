//! Requests, their history, photos, tokens and Idempotency-Key records in the database.
//!
//! Times are RFC 3339 UTC with microseconds and a `Z` (fixed width, so text order is time order).
//! Every change takes a stamp later than any `updated_at` already stored, so a client that asks
//! for `updated_after` its last seen `updated_datetime` never misses a change made in the same
//! instant.

use std::collections::HashMap;

use crate::sql::Value as SqlValue;
use crate::sql::{params, Conn, OptionalExt, Row};
use baladiya_wire::{Localized, RequestUpdate, ServiceRequest};
use chrono::{DateTime, Duration, SecondsFormat, Utc};

use super::categories::{Category, Locale};
use super::submit::{hex, Contact, NewRequest};
use crate::error::ApiError;

pub const DETAILED_STATUSES: [&str; 8] =
    ["received", "verified", "routed", "in_progress", "fixed", "rejected", "duplicate", "closed"];

/// The detailed states after which a request is `closed`.
pub fn is_closed(detailed_status: &str) -> bool {
    matches!(detailed_status, "fixed" | "rejected" | "duplicate" | "closed")
}

pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parse a W3C/RFC 3339 date-time given by a client into our stored form.
pub fn parse_time(s: &str) -> Option<String> {
    DateTime::parse_from_rfc3339(s.trim()).ok().map(|t| stamp(t.with_timezone(&Utc)))
}

/// Now, or just after the last stamp taken, whichever is later: from the request clock's one row
/// (migration 012), which stays locked until the caller's transaction ends, so request changes
/// commit in the order of their stamps (see the module's note on `updated_after`). Take it as
/// late as possible in a transaction: other request writes wait for its commit.
fn next_stamp(conn: &Conn) -> Result<DateTime<Utc>, ApiError> {
    let now = Utc::now().timestamp_micros();
    let micros: i64 = conn
        .prepare_cached(
            "UPDATE open311_clock SET micros = CASE WHEN micros >= ?1 THEN micros + 1 ELSE ?1 END
             WHERE id = 1 RETURNING micros",
        )?
        .query_row([now], |r| r.get(0))?;
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| ApiError::Internal(format!("request clock out of range: {micros}")))
}

/// 128 random bits as hex: tokens and media ids.
pub fn random_id() -> Result<String, ApiError> {
    let mut buf = [0u8; 16];
    getrandom::getrandom(&mut buf).map_err(|e| ApiError::Internal(format!("random: {e}")))?;
    Ok(hex(&buf))
}

#[derive(Debug, Clone)]
pub struct RequestRow {
    pub id: i64,
    pub token: String,
    pub service_code: String,
    pub status: String,
    pub detailed_status: String,
    pub status_notes: Option<String>,
    pub department_id: Option<String>,
    pub source: String,
    pub description: Option<String>,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub address: Option<String>,
    pub attributes: String,
    pub media_url: Option<String>,
    pub contact: Contact,
    pub requested_at: String,
    pub updated_at: String,
    pub expected_at: Option<String>,
    /// Citizens following it ([`super::follow`]).
    pub followers: i64,
}

const REQUEST_COLUMNS: &str = "id, token, service_code, status, detailed_status, status_notes, department_id,
    source, description, lat, lon, address, attributes, media_url, email, first_name, last_name, phone,
    account_id, device_id, requested_at, updated_at, expected_at, followers";

fn request_row(r: &Row<'_>) -> crate::sql::Result<RequestRow> {
    Ok(RequestRow {
        id: r.get(0)?,
        token: r.get(1)?,
        service_code: r.get(2)?,
        status: r.get(3)?,
        detailed_status: r.get(4)?,
        status_notes: r.get(5)?,
        department_id: r.get(6)?,
        source: r.get(7)?,
        description: r.get(8)?,
        lat: r.get(9)?,
        long: r.get(10)?,
        address: r.get(11)?,
        attributes: r.get(12)?,
        media_url: r.get(13)?,
        contact: Contact {
            email: r.get(14)?,
            first_name: r.get(15)?,
            last_name: r.get(16)?,
            phone: r.get(17)?,
            account_id: r.get(18)?,
            device_id: r.get(19)?,
        },
        requested_at: r.get(20)?,
        updated_at: r.get(21)?,
        expected_at: r.get(22)?,
        followers: r.get(23)?,
    })
}

#[derive(Debug, Clone)]
pub struct UpdateRow {
    pub seq: i64,
    pub action: String,
    pub status: String,
    pub detailed_status: String,
    pub note: Option<String>,
    pub department_id: Option<String>,
    pub actor: String,
    pub created_at: String,
}

/// Store a validated request with its first history entry ("received") and its photos; returns
/// its id and token.
pub fn insert(
    tx: &Conn,
    new: &NewRequest,
    category: &Category,
    actor: &str,
) -> Result<(i64, String), ApiError> {
    let token = random_id()?;
    let attributes = serde_json::to_string(&new.attributes)?;
    // The stamp last: the clock's row is locked from here to the commit.
    let now = next_stamp(tx)?;
    let at = stamp(now);
    let expected = stamp(now + Duration::hours(category.expected_hours.max(0)));
    // The id from the database: PostgreSQL's identity column; on SQLite the largest plus one,
    // read by the INSERT itself under the file's one writer.
    let id_column = match tx.backend() {
        "postgres" => ("", ""),
        _ => ("id, ", "(SELECT COALESCE(MAX(id), 0) + 1 FROM open311_requests), "),
    };
    let id: i64 = tx.query_row(
        &format!(
            "INSERT INTO open311_requests ({}token, service_code, status, detailed_status, status_notes,
                 department_id, source, description, lat, lon, address, attributes, media_url, email,
                 first_name, last_name, phone, account_id, device_id, requested_at, updated_at, expected_at)
             VALUES ({}?1, ?2, 'open', 'received', NULL, NULL, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,
                 ?13, ?14, ?15, ?16, ?16, ?17)
             RETURNING id",
            id_column.0, id_column.1
        ),
        params![
            token,
            new.service_code,
            new.source,
            new.description,
            new.lat,
            new.long,
            new.address,
            attributes,
            new.media_url,
            new.contact.email,
            new.contact.first_name,
            new.contact.last_name,
            new.contact.phone,
            new.contact.account_id,
            new.contact.device_id,
            at,
            expected,
        ],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO open311_updates (request_id, seq, action, status, detailed_status, note, department_id,
             actor, created_at)
         VALUES (?1, 1, 'received', 'open', 'received', NULL, NULL, ?2, ?3)",
        params![id, actor, at],
    )?;
    for (position, photo) in new.photos.iter().enumerate() {
        tx.execute(
            "INSERT INTO open311_media (id, request_id, position, content_type, bytes, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![random_id()?, id, position as i64, photo.content_type, photo.bytes, at],
        )?;
    }
    Ok((id, token))
}

/// One change of a request: appended to its history; status, detailed status, department and
/// status notes updated; `updated_at` moved. Returns the new stamp.
pub struct Change<'a> {
    pub action: &'a str,
    pub detailed_status: &'a str,
    pub note: Option<&'a str>,
    pub department_id: Option<&'a str>,
    /// Whether the note becomes the request's `status_notes` (a reply does not).
    pub sets_status_notes: bool,
    pub actor: &'a str,
}

pub fn apply(tx: &Conn, row: &RequestRow, change: &Change<'_>) -> Result<String, ApiError> {
    let at = stamp(next_stamp(tx)?);
    let status = if is_closed(change.detailed_status) { "closed" } else { "open" };
    let department = change.department_id.or(row.department_id.as_deref());
    let notes = if change.sets_status_notes { change.note } else { row.status_notes.as_deref() };
    tx.execute(
        "UPDATE open311_requests SET status = ?2, detailed_status = ?3, department_id = ?4, status_notes = ?5,
             updated_at = ?6
         WHERE id = ?1",
        params![row.id, status, change.detailed_status, department, notes, at],
    )?;
    let seq: i64 = tx.query_row(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM open311_updates WHERE request_id = ?1",
        [row.id],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO open311_updates (request_id, seq, action, status, detailed_status, note, department_id,
             actor, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            row.id,
            seq,
            change.action,
            status,
            change.detailed_status,
            change.note,
            change.department_id,
            change.actor,
            at
        ],
    )?;
    Ok(at)
}

pub fn get(conn: &Conn, id: i64) -> Result<Option<RequestRow>, ApiError> {
    let sql = format!("SELECT {REQUEST_COLUMNS} FROM open311_requests WHERE id = ?1");
    Ok(conn.prepare_cached(&sql)?.query_row([id], request_row).optional()?)
}

/// A public id (`"42"`) to the row id; anything else is unknown.
pub fn parse_id(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

pub fn id_by_token(conn: &Conn, token: &str) -> Result<Option<i64>, ApiError> {
    Ok(conn
        .prepare_cached("SELECT id FROM open311_requests WHERE token = ?1")?
        .query_row([token], |r| r.get(0))
        .optional()?)
}

pub fn updates(conn: &Conn, id: i64) -> Result<Vec<UpdateRow>, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, action, status, detailed_status, note, department_id, actor, created_at
         FROM open311_updates WHERE request_id = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok(UpdateRow {
            seq: r.get(0)?,
            action: r.get(1)?,
            status: r.get(2)?,
            detailed_status: r.get(3)?,
            note: r.get(4)?,
            department_id: r.get(5)?,
            actor: r.get(6)?,
            created_at: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn media_ids(conn: &Conn, id: i64) -> Result<Vec<String>, ApiError> {
    let mut stmt =
        conn.prepare_cached("SELECT id FROM open311_media WHERE request_id = ?1 ORDER BY position")?;
    let rows = stmt.query_map([id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// `?1, ?2, …` for `n` values.
fn marks(n: usize) -> String {
    (1..=n).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ")
}

/// Histories by request id (each oldest first), and the first photo of each request that has one.
pub type HistoriesAndPhotos = (HashMap<i64, Vec<UpdateRow>>, HashMap<i64, String>);

/// The histories of several requests (each oldest first) and the first photo of each that has
/// one, in one statement (one plan and one round trip on PostgreSQL, where each statement is
/// planned for its values): the history rows and the photo rows one after the other, told apart by
/// the first column.
pub fn updates_and_first_media_of(conn: &Conn, ids: &[i64]) -> Result<HistoriesAndPhotos, ApiError> {
    let (mut updates, mut photos): HistoriesAndPhotos = Default::default();
    if ids.is_empty() {
        return Ok((updates, photos));
    }
    let marks = marks(ids.len());
    // The photo rows: seq is the position, action the media id.
    let sql = format!(
        "SELECT CAST(0 AS BIGINT) AS part, request_id, seq, action, status, detailed_status, note,
                department_id, actor, created_at
         FROM open311_updates WHERE request_id IN ({marks})
         UNION ALL
         SELECT CAST(1 AS BIGINT), request_id, position, id, NULL, NULL, NULL, NULL, NULL, NULL
         FROM open311_media WHERE request_id IN ({marks})
         ORDER BY 1, 2, 3"
    );
    enum Part {
        Update(UpdateRow),
        Photo(String),
    }
    let rows = conn.query_map(&sql, ids.iter().map(|i| SqlValue::Int(*i)).collect::<Vec<_>>(), |r| {
        let id = r.get::<_, i64>(1)?;
        Ok(if r.get::<_, i64>(0)? == 0 {
            (
                id,
                Part::Update(UpdateRow {
                    seq: r.get(2)?,
                    action: r.get(3)?,
                    status: r.get(4)?,
                    detailed_status: r.get(5)?,
                    note: r.get(6)?,
                    department_id: r.get(7)?,
                    actor: r.get(8)?,
                    created_at: r.get(9)?,
                }),
            )
        } else {
            (id, Part::Photo(r.get(3)?))
        })
    })?;
    for (id, part) in rows {
        match part {
            Part::Update(u) => updates.entry(id).or_default().push(u),
            Part::Photo(media) => {
                photos.entry(id).or_insert(media);
            }
        }
    }
    Ok((updates, photos))
}

pub fn media(conn: &Conn, media_id: &str) -> Result<Option<(String, Vec<u8>)>, ApiError> {
    Ok(conn
        .prepare_cached("SELECT content_type, bytes FROM open311_media WHERE id = ?1")?
        .query_row([media_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Filters of `GET requests` (public) and of the staff list.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub ids: Vec<i64>,
    pub service_codes: Vec<String>,
    pub statuses: Vec<String>,
    pub detailed_statuses: Vec<String>,
    pub departments: Vec<String>,
    pub sources: Vec<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub updated_after: Option<String>,
    /// Only requests not routed to any department yet.
    pub unrouted: bool,
    /// Only open requests whose expected time is before this stamp (overdue at that time).
    pub overdue_at: Option<String>,
    /// Oldest request first (a department's queue) instead of newest first.
    pub oldest_first: bool,
    /// Only requests within `radius` metres of the point (`lat`, `long`, `radius`).
    pub near: Option<Near>,
    pub page: u32,
    pub page_size: u32,
}

/// A point and a radius in metres (issue 15.3: what is already reported nearby).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Near {
    pub lat: f64,
    pub long: f64,
    pub radius_m: f64,
}

/// Metres per degree of latitude (and of longitude at the equator).
const METRES_PER_DEGREE: f64 = 111_320.0;

impl Near {
    /// The clause: a bounding box (cheap comparisons first), then the distance on the local flat
    /// approximation (equirectangular; at 50–500 m its error is far below a GPS fix's). Used with
    /// a category and `status=open`, whose index narrows the rows; no spatial index yet.
    fn clause(&self, args: &mut Vec<SqlValue>) -> String {
        let dlat = self.radius_m / METRES_PER_DEGREE;
        let kx = METRES_PER_DEGREE * self.lat.to_radians().cos().max(0.01);
        let dlon = self.radius_m / kx;
        let mut mark = |v: f64| {
            args.push(SqlValue::Real(v));
            format!("?{}", args.len())
        };
        let (lat, long, kx, r2) =
            (mark(self.lat), mark(self.long), mark(kx), mark(self.radius_m * self.radius_m));
        let (lat_lo, lat_hi) = (mark(self.lat - dlat), mark(self.lat + dlat));
        let (lon_lo, lon_hi) = (mark(self.long - dlon), mark(self.long + dlon));
        format!(
            "lat BETWEEN {lat_lo} AND {lat_hi} AND lon BETWEEN {lon_lo} AND {lon_hi} AND \
             ((lat - {lat}) * {METRES_PER_DEGREE:.1}) * ((lat - {lat}) * {METRES_PER_DEGREE:.1}) + \
             ((lon - {long}) * {kx}) * ((lon - {long}) * {kx}) <= {r2}"
        )
    }
}

fn in_list(clauses: &mut Vec<String>, args: &mut Vec<SqlValue>, column: &str, values: Vec<SqlValue>) {
    if values.is_empty() {
        return;
    }
    let marks: Vec<String> = values
        .into_iter()
        .map(|v| {
            args.push(v);
            format!("?{}", args.len())
        })
        .collect();
    clauses.push(format!("{column} IN ({})", marks.join(", ")));
}

/// The matching rows of one page, and how many match in all. With `updated_after` the oldest
/// change comes first (a client can page through what changed); otherwise the newest request.
pub fn list(conn: &Conn, f: &Filter) -> Result<(Vec<RequestRow>, i64), ApiError> {
    let (rows, total) = list_page(conn, f, None)?;
    Ok((rows, total.unwrap_or(0)))
}

/// [`list`], counting at most `cap` matches (`None` for the total when more match). The count is
/// not made at all when the page itself says it (a short page that is not past the end).
pub fn list_page(
    conn: &Conn,
    f: &Filter,
    cap: Option<i64>,
) -> Result<(Vec<RequestRow>, Option<i64>), ApiError> {
    let (filter, mut args) = where_clause(f);
    let order = if f.updated_after.is_some() {
        "updated_at ASC, id ASC"
    } else if f.oldest_first {
        "requested_at ASC, id ASC"
    } else {
        "requested_at DESC, id DESC"
    };
    let size = f.page_size.max(1) as i64;
    let offset = (f.page.max(1) as i64 - 1) * size;
    let count_args = args.clone();
    args.push(SqlValue::Int(size));
    args.push(SqlValue::Int(offset));
    let sql = format!(
        "SELECT {REQUEST_COLUMNS} FROM open311_requests{filter} ORDER BY {order} LIMIT ?{} OFFSET ?{}",
        args.len() - 1,
        args.len()
    );
    let rows: Vec<RequestRow> = conn.query_map(&sql, args, request_row)?;
    let shown = rows.len() as i64;
    if shown < size && (shown > 0 || offset == 0) {
        return Ok((rows, Some(offset + shown)));
    }
    let total: i64 = match cap {
        None => {
            conn.query_row(&format!("SELECT COUNT(*) FROM open311_requests{filter}"), count_args, |r| {
                r.get(0)
            })?
        }
        Some(cap) => {
            let mut args = count_args;
            args.push(SqlValue::Int(cap + 1));
            conn.query_row(
                &format!(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM open311_requests{filter} LIMIT ?{}) AS matching",
                    args.len()
                ),
                args,
                |r| r.get(0),
            )?
        }
    };
    Ok((rows, cap.is_none_or(|cap| total <= cap).then_some(total)))
}

/// The column a count is grouped by (see [`count_by`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountBy {
    DetailedStatus,
    Source,
    ServiceCode,
    Department,
}

/// How many requests match `f`, per value of one column (`None`: no department yet), most first.
pub fn count_by(conn: &Conn, f: &Filter, by: CountBy) -> Result<Vec<(Option<String>, i64)>, ApiError> {
    let column = match by {
        CountBy::DetailedStatus => "detailed_status",
        CountBy::Source => "source",
        CountBy::ServiceCode => "service_code",
        CountBy::Department => "department_id",
    };
    let (filter, args) = where_clause(f);
    let sql = format!(
        "SELECT {column}, COUNT(*) FROM open311_requests{filter} GROUP BY {column} ORDER BY COUNT(*) DESC, {column}"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(args.clone(), |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The `WHERE` of a filter (empty, or starting with a space) and its arguments.
fn where_clause(f: &Filter) -> (String, Vec<SqlValue>) {
    let mut clauses = Vec::new();
    let mut args: Vec<SqlValue> = Vec::new();
    in_list(&mut clauses, &mut args, "id", f.ids.iter().map(|i| SqlValue::Int(*i)).collect());
    let text = |v: &Vec<String>| v.iter().map(|s| SqlValue::Text(s.clone())).collect::<Vec<_>>();
    in_list(&mut clauses, &mut args, "service_code", text(&f.service_codes));
    in_list(&mut clauses, &mut args, "status", text(&f.statuses));
    in_list(&mut clauses, &mut args, "detailed_status", text(&f.detailed_statuses));
    in_list(&mut clauses, &mut args, "department_id", text(&f.departments));
    in_list(&mut clauses, &mut args, "source", text(&f.sources));
    if f.unrouted {
        clauses.push("department_id IS NULL".into());
    }
    if let Some(near) = &f.near {
        clauses.push(near.clause(&mut args));
    }
    if let Some(at) = &f.overdue_at {
        args.push(SqlValue::Text(at.clone()));
        clauses
            .push(format!("status = 'open' AND expected_at IS NOT NULL AND expected_at < ?{}", args.len()));
    }
    for (column, op, value) in [
        ("requested_at", ">=", &f.start),
        ("requested_at", "<=", &f.end),
        ("updated_at", ">", &f.updated_after),
    ] {
        if let Some(v) = value {
            args.push(SqlValue::Text(v.clone()));
            clauses.push(format!("{column} {op} ?{}", args.len()));
        }
    }
    let filter = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
    (filter, args)
}

/// The standard public text of a state, when a change came without a note.
pub fn default_note(detailed_status: &str, department: Option<&str>, locale: Locale) -> String {
    let (ar, en) = match detailed_status {
        "received" => ("تم استلام البلاغ", "Report received"),
        "verified" => ("تم التحقق من البلاغ", "Report verified"),
        "routed" => ("أُحيل البلاغ إلى الدائرة المختصة", "Passed to the department in charge"),
        "in_progress" => ("العمل جارٍ على البلاغ", "Work in progress"),
        "fixed" => ("تمت معالجة البلاغ", "Fixed"),
        "rejected" => ("لم يُقبل البلاغ", "Report not accepted"),
        "duplicate" => ("بلاغ مكرر عن مشكلة مسجلة", "Duplicate of a report already filed"),
        _ => ("أُغلق البلاغ", "Closed"),
    };
    match (detailed_status, department, locale) {
        ("routed", Some(d), Locale::Ar) => format!("أُحيل البلاغ إلى {d}"),
        ("routed", Some(d), Locale::En) => format!("Passed to the {d}"),
        (_, _, Locale::Ar) => ar.to_owned(),
        (_, _, Locale::En) => en.to_owned(),
    }
}

/// What the public side needs to show requests: categories, department names, locale, and the
/// absolute base of media URLs.
pub struct View<'a> {
    pub categories: &'a HashMap<String, Category>,
    pub departments: &'a HashMap<String, Localized>,
    pub locale: Locale,
    pub base_url: &'a str,
}

impl View<'_> {
    pub fn department_name(&self, id: &str) -> String {
        self.departments.get(id).map(|n| self.locale.pick(n).to_owned()).unwrap_or_else(|| id.to_owned())
    }

    pub fn media_url(&self, media_id: &str) -> String {
        format!("{}/open311/v2/media/{media_id}", self.base_url)
    }

    /// The public view of a request: no contact field, no attributes, no staff names.
    pub fn public(&self, conn: &Conn, row: &RequestRow) -> Result<ServiceRequest, ApiError> {
        let updates = updates(conn, row.id)?;
        let first_photo = media_ids(conn, row.id)?.into_iter().next();
        Ok(self.shown(row, &updates, first_photo))
    }

    /// [`View::public`] of a page of requests: their histories and photos in one query, not two
    /// per request.
    pub fn public_many(&self, conn: &Conn, rows: &[RequestRow]) -> Result<Vec<ServiceRequest>, ApiError> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let (mut updates, mut photos) = updates_and_first_media_of(conn, &ids)?;
        Ok(rows
            .iter()
            .map(|r| self.shown(r, &updates.remove(&r.id).unwrap_or_default(), photos.remove(&r.id)))
            .collect())
    }

    fn shown(&self, row: &RequestRow, updates: &[UpdateRow], first_photo: Option<String>) -> ServiceRequest {
        let category = self.categories.get(&row.service_code);
        let agency = row.department_id.clone().or_else(|| category.map(|c| c.department_id.clone()));
        ServiceRequest {
            service_request_id: row.id.to_string(),
            status: row.status.clone(),
            status_notes: row.status_notes.clone(),
            service_name: category
                .map(|c| self.locale.pick(&c.name).to_owned())
                .unwrap_or_else(|| row.service_code.clone()),
            service_code: row.service_code.clone(),
            description: row.description.clone(),
            agency_responsible: agency.as_deref().map(|d| self.department_name(d)),
            service_notice: category.map(|c| c.service_notice(self.locale)),
            requested_datetime: row.requested_at.clone(),
            updated_datetime: row.updated_at.clone(),
            expected_datetime: row.expected_at.clone(),
            followers: u32::try_from(row.followers).ok(),
            address: row.address.clone(),
            lat: row.lat,
            long: row.long,
            media_url: first_photo.map(|m| self.media_url(&m)).or_else(|| row.media_url.clone()),
            detailed_status: Some(row.detailed_status.clone()),
            source: Some(row.source.clone()),
            servicerequestupdates: updates
                .iter()
                .map(|u| RequestUpdate {
                    update_id: format!("{}-{}", row.id, u.seq),
                    status: u.status.clone(),
                    detailed_status: u.detailed_status.clone(),
                    description: u.note.clone().unwrap_or_else(|| {
                        let dept = u.department_id.as_deref().map(|d| self.department_name(d));
                        default_note(&u.detailed_status, dept.as_deref(), self.locale)
                    }),
                    media_url: None,
                    updated_datetime: u.created_at.clone(),
                })
                .collect(),
        }
    }
}

/// A response kept for an Idempotency-Key.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub body_hash: String,
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

pub fn idempotency_lookup(conn: &Conn, key: &str) -> Result<Option<StoredResponse>, ApiError> {
    Ok(conn
        .prepare_cached(
            "SELECT body_hash, status, content_type, body FROM open311_idempotency WHERE idem_key = ?1",
        )?
        .query_row([key], |r| {
            Ok(StoredResponse {
                body_hash: r.get(0)?,
                status: r.get(1)?,
                content_type: r.get(2)?,
                body: r.get(3)?,
            })
        })
        .optional()?)
}

/// Store the response of a key (an error if the key has one already).
pub fn idempotency_save(
    tx: &Conn,
    key: &str,
    request_id: i64,
    response: &StoredResponse,
) -> Result<(), ApiError> {
    if !idempotency_try_save(tx, key, request_id, response)? {
        return Err(ApiError::Internal("Idempotency-Key: stored twice".into()));
    }
    Ok(())
}

/// Store the response of a key; false (and nothing written) when the key already has one, which
/// another process stored first (on PostgreSQL the insert waits for that one's commit).
pub fn idempotency_try_save(
    tx: &Conn,
    key: &str,
    request_id: i64,
    response: &StoredResponse,
) -> Result<bool, ApiError> {
    let n = tx.execute(
        "INSERT INTO open311_idempotency (idem_key, body_hash, request_id, status, content_type, body, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (idem_key) DO NOTHING",
        params![
            key,
            response.body_hash,
            request_id,
            response.status,
            response.content_type,
            response.body,
            stamp(Utc::now())
        ],
    )?;
    Ok(n == 1)
}

/// Forget keys older than `keep`; returns how many.
pub fn idempotency_purge(conn: &Conn, keep: Duration) -> Result<usize, ApiError> {
    let cutoff = stamp(Utc::now() - keep);
    Ok(conn.execute("DELETE FROM open311_idempotency WHERE created_at < ?1", [cutoff])?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Conn {
        let conn = Conn::open_in_memory().unwrap();
        conn.execute_batch(include_str!("../../migrations/001_catalogue.sql")).unwrap();
        conn.execute_batch(include_str!("../../migrations/002_open311.sql")).unwrap();
        conn
    }

    /// The public list's filters are found in an index, in the list's order.
    #[test]
    fn every_list_filter_has_its_index() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(dir.path()).unwrap();
        let plan = |f: &Filter| -> String {
            let (filter, args) = where_clause(f);
            db.with(|c| {
                c.query_map(
                    &format!(
                        "EXPLAIN QUERY PLAN SELECT {REQUEST_COLUMNS} FROM open311_requests{filter}
                         ORDER BY requested_at DESC, id DESC LIMIT 50"
                    ),
                    args,
                    |r| r.get::<_, String>(3),
                )
            })
            .unwrap()
            .join("; ")
        };
        let month = |f: Filter| Filter {
            start: Some("2026-10-01T00:00:00Z".into()),
            end: Some("2026-10-31T23:59:59Z".into()),
            ..f
        };
        let by_service =
            plan(&month(Filter { service_codes: vec!["water-leak".into()], ..Filter::default() }));
        assert!(by_service.contains("open311_requests_by_service"), "{by_service}");
        let by_status = plan(&month(Filter { statuses: vec!["closed".into()], ..Filter::default() }));
        assert!(by_status.contains("open311_requests_by_status"), "{by_status}");
        let both = plan(&month(Filter {
            service_codes: vec!["water-leak".into()],
            statuses: vec!["open".into()],
            ..Filter::default()
        }));
        assert!(both.contains("USING INDEX open311_requests_by_s"), "{both}");
        let updated =
            plan(&Filter { updated_after: Some("2026-11-30T00:00:00Z".into()), ..Filter::default() });
        assert!(updated.contains("open311_requests_by_updated"), "{updated}");
        // A list of ids: each found by the primary key, one query for the page.
        let ids = plan(&Filter { ids: (1..=50).collect(), ..Filter::default() });
        assert!(ids.contains("(id=?)"), "{ids}");
    }

    #[test]
    fn idempotency_keys_are_kept_seven_days_then_purged() {
        let conn = db();
        let insert = |key: &str, age: Duration| {
            conn.execute(
                "INSERT INTO open311_idempotency (idem_key, body_hash, request_id, status, content_type, body, created_at)
                 VALUES (?1, 'h', NULL, 200, 'application/json', '[]', ?2)",
                params![key, stamp(Utc::now() - age)],
            )
            .unwrap();
        };
        insert("old", Duration::days(8));
        insert("six-days", Duration::days(6));
        insert("new", Duration::minutes(1));
        assert_eq!(idempotency_purge(&conn, Duration::days(7)).unwrap(), 1);
        assert!(idempotency_lookup(&conn, "old").unwrap().is_none());
        assert!(idempotency_lookup(&conn, "six-days").unwrap().is_some());
        assert!(idempotency_lookup(&conn, "new").unwrap().is_some());
    }

    #[test]
    fn a_key_is_stored_once_and_the_second_store_is_told() {
        let conn = db();
        let response = |body: &str| StoredResponse {
            body_hash: "h".into(),
            status: 200,
            content_type: "application/json".into(),
            body: body.into(),
        };
        conn.execute_batch(
            "INSERT INTO open311_services (service_code, position, group_id, department_id, expected_hours, doc)
             VALUES ('x', 0, 'g', 'd', 1, '{}');
             INSERT INTO open311_requests (id, token, service_code, status, detailed_status, source, attributes,
                 requested_at, updated_at)
             VALUES (1, 't', 'x', 'open', 'received', 'app', '{}', 'a', 'a')",
        )
        .unwrap();
        assert!(idempotency_try_save(&conn, "k", 1, &response("first")).unwrap());
        assert!(!idempotency_try_save(&conn, "k", 1, &response("second")).unwrap());
        assert!(idempotency_save(&conn, "k", 1, &response("second")).is_err());
        assert_eq!(idempotency_lookup(&conn, "k").unwrap().unwrap().body, "first");
    }

    #[test]
    fn stamps_order_as_text_and_only_move_forward() {
        let conn = db();
        // Migration 012 starts the request clock at the latest stamp stored.
        conn.execute(
            "INSERT INTO open311_services (service_code, position, group_id, department_id, expected_hours, doc)
             VALUES ('x', 0, 'g', 'd', 1, '{}')", (),
        )
        .unwrap();
        let future = stamp(Utc::now() + Duration::seconds(5));
        for (id, at) in [(1, "2026-01-01T00:00:00Z".to_owned()), (2, future.clone())] {
            conn.execute(
                "INSERT INTO open311_requests (id, token, service_code, status, detailed_status, source,
                     attributes, requested_at, updated_at)
                 VALUES (?1, ?2, 'x', 'open', 'received', 'app', '{}', ?3, ?3)",
                params![id, format!("t{id}"), at],
            )
            .unwrap();
        }
        for m in [
            include_str!("../../migrations/003_bills_news.sql"),
            include_str!("../../migrations/004_uploads.sql"),
            include_str!("../../migrations/005_staff_console.sql"),
            include_str!("../../migrations/006_staff_tokens.sql"),
            include_str!("../../migrations/007_channel_intake.sql"),
            include_str!("../../migrations/008_channel_outbound.sql"),
            include_str!("../../migrations/009_shared_state.sql"),
            include_str!("../../migrations/010_request_filter_indexes.sql"),
            include_str!("../../migrations/012_request_ids.sql"),
        ] {
            conn.execute_batch(m).unwrap();
        }
        let clock: i64 = conn.query_row("SELECT micros FROM open311_clock", (), |r| r.get(0)).unwrap();
        assert_eq!(stamp(DateTime::from_timestamp_micros(clock).unwrap()), future);
        // A clock behind the newest change still gives a later stamp, and each one is later.
        let next = stamp(next_stamp(&conn).unwrap());
        assert!(next > future, "{next} after {future}");
        assert_eq!(next.len(), future.len());
        let after = stamp(next_stamp(&conn).unwrap());
        assert!(after > next, "{after} after {next}");
        assert_eq!(parse_time("2026-01-01T02:00:00+02:00").unwrap(), "2026-01-01T00:00:00.000000Z");
    }
}
