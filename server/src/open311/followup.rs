//! The citizen's word after a request is closed (issue 15.2), an extension of GeoReport v2:
//!
//! | method and path | what |
//! | --- | --- |
//! | `POST /open311/v2/requests/{id}/feedback.{fmt}` | was it really resolved: `resolved` (`true`/`false`), `rating` (1–5), `comment` (optional) → `201` and the feedback |
//! | `POST /open311/v2/requests/{id}/reopen.{fmt}` | reopen it, within 14 days of its closing: `reason` (required) → `200` and the request, open again |
//!
//! Bodies are `application/x-www-form-urlencoded`, as the spec's POST. Both are authenticated the
//! way photo uploads are, by the request's own token (`Authorization: Bearer <token>`, from the
//! POST's answer): the api_key is in every copy of the app and proves nothing about a request.
//! Both take an `Idempotency-Key`: the same key with the same body replays the first answer byte
//! for byte (header `Idempotency-Replayed: true`), with another body it is 422; the key's lookup and
//! the change run in one write transaction, so a retry after a lost answer never acts twice.
//!
//! Both belong to one *closing* of the request: the time it became closed (the first history
//! entry with status `closed` after its last `open` one). Feedback is given once per closing, and
//! a request is reopened at most once per closing, within [`REOPEN_DAYS`] of it. A reopened request
//! returns to its department's queue (`routed`; `received`, the dispatcher's inbox, if it was never
//! routed) with its history kept and a history entry saying it was reopened and why.
//!
//! Refusals, in the spec's error shape: 401 without a bearer token; 404 for an unknown request;
//! 403 for a token that is not this request's; 400 for a rating outside 1–5, a `resolved` that is
//! not `true`/`false`, a missing reason or text too long; 422 for a request not closed, feedback
//! already given for this closing (under another key), a reopen after the 14 days or a second one.
//! (422 and not 409: 409 is what a client retries, for a key still in flight.)
//!
//! Test hook: the window is judged against the closing's stored time (`open311_updates.created_at`),
//! so a test moves a closing into the past by changing that row, as `tests/tests/feedback_reopen.rs`
//! does; the server has no clock of its own to inject.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::categories::Locale;
use super::format::{self, Failure, Format, Rendered, XmlOut};
use super::idempotency;
use super::state::{context, Open311State};
use super::store::{self, Change, RequestRow, StoredResponse};
use super::submit::{self, hex};
use crate::error::ApiError;
use crate::sql::{params, Conn, OptionalExt};

/// A closed request can be reopened this many days after its closing.
pub const REOPEN_DAYS: i64 = 14;
/// The longest comment or reason, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;
/// The largest body these endpoints read.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The feedback as answered (and replayed).
#[derive(Debug, Clone, Serialize)]
pub struct FeedbackAnswer {
    pub service_request_id: String,
    pub resolved: bool,
    pub rating: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The closing it is about.
    pub closed_datetime: String,
    pub submitted_datetime: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    Feedback,
    Reopen,
}

/// `POST /open311/v2/requests/{id}/{action}.{fmt}`, its path read by the router
/// ([`super::request_action`]).
pub(super) async fn post(
    st: Arc<Open311State>,
    id: i64,
    action: Action,
    fmt: Format,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let token = bearer(&headers, fmt)?;
    let key = idempotency::key(&headers).map_err(|m| Failure::bad(fmt, m))?;
    if body.len() > MAX_BODY_BYTES {
        return Err(Failure::new(fmt, StatusCode::PAYLOAD_TOO_LARGE, "body: too large"));
    }
    let fields = submit::parse_form(&body, fmt)?;
    st.check_jurisdiction(submit::first(&fields, "jurisdiction_id"), fmt)?;
    let hash = body_hash(action, id, fmt, &fields);
    let base = st.base_url(&headers);
    let locale = Locale::parse(submit::first(&fields, "locale"));
    let outcome = st
        .query(fmt, move |c| {
            act(
                c,
                Request {
                    action,
                    id,
                    token: &token,
                    key: key.as_deref(),
                    hash: &hash,
                    fmt,
                    fields,
                    base,
                    locale,
                },
            )
        })
        .await??;
    Ok(match outcome {
        Done::Now(r) => r.into_response(),
        Done::Replayed(s) => {
            let status = StatusCode::from_u16(s.status).unwrap_or(StatusCode::OK);
            let content_type =
                HeaderValue::from_str(&s.content_type).unwrap_or(HeaderValue::from_static(format::JSON_TYPE));
            (status, [(header::CONTENT_TYPE, content_type)], [("idempotent-replayed", "true")], s.body)
                .into_response()
        }
    })
}

fn bearer(headers: &HeaderMap, fmt: Format) -> Result<String, Failure> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            Failure::new(
                fmt,
                StatusCode::UNAUTHORIZED,
                "Authorization: Bearer and the request's token, required",
            )
        })
}

/// SHA-256 of what the request says: the action, the request, the format and the fields sorted
/// (without the api_key), so a client that rebuilds the form in another order is not refused.
fn body_hash(action: Action, id: i64, fmt: Format, fields: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = fields.iter().filter(|(n, _)| n != "api_key").collect();
    sorted.sort();
    let mut h = Sha256::new();
    let mut put = |tag: &[u8], bytes: &[u8]| {
        h.update(tag);
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    put(b"action", if action == Action::Feedback { b"feedback" } else { b"reopen" });
    put(b"request", id.to_string().as_bytes());
    put(b"format", fmt.ext().as_bytes());
    for (n, v) in sorted {
        put(b"name", n.as_bytes());
        put(b"value", v.as_bytes());
    }
    hex(&h.finalize())
}

struct Request<'a> {
    action: Action,
    id: i64,
    token: &'a str,
    key: Option<&'a str>,
    hash: &'a str,
    fmt: Format,
    fields: Vec<(String, String)>,
    base: String,
    locale: Locale,
}

enum Done {
    Now(Rendered),
    Replayed(StoredResponse),
}

/// The time request `id`'s current closing began: the first `closed` history entry after its last
/// `open` one. `None` while it is open.
pub fn closed_at(conn: &Conn, id: i64) -> Result<Option<String>, ApiError> {
    Ok(conn
        .query_row(
            "SELECT MIN(created_at) FROM open311_updates
             WHERE request_id = ?1 AND status = 'closed'
               AND seq > COALESCE((SELECT MAX(seq) FROM open311_updates WHERE request_id = ?1 AND status = 'open'), 0)",
            params![id],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten())
}

/// A text field cleaned by the server's text policy, within its length.
fn text(fields: &[(String, String)], name: &str, errors: &mut Vec<String>) -> Option<String> {
    let value = submit::first(fields, name).map(crate::text::clean)?;
    let value = value.trim().to_owned();
    if value.chars().count() > MAX_TEXT_CHARS {
        errors.push(format!("{name}: longer than {MAX_TEXT_CHARS} characters"));
    }
    (!value.is_empty()).then_some(value)
}

fn refuse(
    fmt: Format,
    status: StatusCode,
    description: impl Into<String>,
) -> Result<Result<Done, Failure>, ApiError> {
    Ok(Err(Failure::new(fmt, status, description)))
}

fn act(c: &Conn, req: Request<'_>) -> Result<Result<Done, Failure>, ApiError> {
    let fmt = req.fmt;
    // The fields first: a malformed request is refused whoever sends it.
    let mut errors = Vec::new();
    let (resolved, rating, comment, reason) = match req.action {
        Action::Feedback => {
            let resolved = match submit::first(&req.fields, "resolved") {
                Some("true") => Some(true),
                Some("false") => Some(false),
                Some(_) => {
                    errors.push("resolved: true or false".to_owned());
                    None
                }
                None => {
                    errors.push("resolved: required (true or false)".to_owned());
                    None
                }
            };
            let rating = match submit::first(&req.fields, "rating").map(str::parse::<i64>) {
                Some(Ok(n)) if (1..=5).contains(&n) => Some(n),
                Some(_) => {
                    errors.push("rating: a whole number from 1 to 5".to_owned());
                    None
                }
                None => {
                    errors.push("rating: required (1 to 5 stars)".to_owned());
                    None
                }
            };
            let comment = text(&req.fields, "comment", &mut errors);
            (resolved, rating, comment, None)
        }
        Action::Reopen => {
            let reason = text(&req.fields, "reason", &mut errors);
            if reason.is_none() && errors.is_empty() {
                errors.push("reason: required (why the problem is not solved)".to_owned());
            }
            (None, None, None, reason)
        }
    };
    let tx = c.transaction()?;
    let Some(row) = store::get(&tx, req.id)? else {
        return refuse(fmt, StatusCode::NOT_FOUND, "service_request_id: not found");
    };
    if !bool::from(row.token.as_bytes().ct_eq(req.token.as_bytes())) {
        return refuse(fmt, StatusCode::FORBIDDEN, "Authorization: not the token of this request");
    }
    if !errors.is_empty() {
        return Ok(Err(Failure { format: fmt, status: StatusCode::BAD_REQUEST, descriptions: errors }));
    }
    // One write transaction from the key's lookup to the change: a retry never acts twice.
    if let Some(k) = req.key {
        if let Some(prev) = store::idempotency_lookup(&tx, k)? {
            if prev.body_hash == req.hash {
                return Ok(Ok(Done::Replayed(prev)));
            }
            return refuse(
                fmt,
                StatusCode::UNPROCESSABLE_ENTITY,
                "Idempotency-Key: already used with a different request",
            );
        }
    }
    let what = if req.action == Action::Feedback { "feedback" } else { "reopen" };
    let Some(closed) = closed_at(&tx, row.id)?.filter(|_| row.status == "closed") else {
        return refuse(
            fmt,
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{what}: the request is not closed; feedback and reopening come after it is"),
        );
    };
    let now = Utc::now();
    let rendered = match req.action {
        Action::Feedback => {
            let (Some(resolved), Some(rating)) = (resolved, rating) else {
                return Ok(Err(Failure::internal(fmt)));
            };
            let given: bool = tx
                .prepare_cached("SELECT 1 FROM open311_feedback WHERE request_id = ?1 AND closed_at = ?2")?
                .exists(params![row.id, closed])?;
            if given {
                return refuse(
                    fmt,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "feedback: already given for this request",
                );
            }
            let at = store::stamp(now);
            tx.execute(
                "INSERT INTO open311_feedback (request_id, closed_at, resolved, rating, comment, service_code,
                     department_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    row.id,
                    closed,
                    i64::from(resolved),
                    rating,
                    comment,
                    row.service_code,
                    row.department_id,
                    at
                ],
            )?;
            let answer = [FeedbackAnswer {
                service_request_id: row.id.to_string(),
                resolved,
                rating,
                comment,
                closed_datetime: closed,
                submitted_datetime: at,
            }];
            Rendered::new(StatusCode::CREATED, fmt, &answer, || feedback_xml(&answer))
        }
        Action::Reopen => {
            let Some(reason) = reason else { return Ok(Err(Failure::internal(fmt))) };
            let closed_time = DateTime::parse_from_rfc3339(&closed)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| ApiError::Internal("a stored closing time that does not parse".into()))?;
            if now - closed_time > Duration::days(REOPEN_DAYS) {
                return refuse(
                    fmt,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!(
                        "reopen: only within {REOPEN_DAYS} days of the request's closing (closed {})",
                        closed_time.format("%Y-%m-%d")
                    ),
                );
            }
            let again: bool = tx
                .prepare_cached("SELECT 1 FROM open311_reopenings WHERE request_id = ?1 AND closed_at = ?2")?
                .exists(params![row.id, closed])?;
            if again {
                return refuse(
                    fmt,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "reopen: already reopened once after this closing",
                );
            }
            reopen(&tx, &row, &closed, &reason)?;
            let row = store::get(&tx, row.id)?.ok_or(ApiError::NotFound)?;
            let ctx = context(&tx)?;
            let view = store::View {
                categories: &ctx.categories,
                departments: &ctx.departments,
                locale: req.locale,
                base_url: &req.base,
            };
            let list = [view.public(&tx, &row)?];
            Rendered::ok(fmt, &list, || format::requests_xml(&list))
        }
    };
    if let Some(k) = req.key {
        let stored = StoredResponse {
            body_hash: req.hash.to_owned(),
            status: rendered.status.as_u16(),
            content_type: rendered.content_type.to_owned(),
            body: rendered.body.clone(),
        };
        store::idempotency_save(&tx, k, row.id, &stored)?;
    }
    tx.commit()?;
    Ok(Ok(Done::Now(rendered)))
}

/// The history entry's public text: that the citizen reopened it, and why.
pub fn reopen_note(reason: &str) -> String {
    format!("أعاد المواطن فتح البلاغ: {reason}")
}

/// Back to the department's queue (or the dispatcher's inbox if never routed), with a history
/// entry of its own.
fn reopen(tx: &Conn, row: &RequestRow, closed: &str, reason: &str) -> Result<(), ApiError> {
    let note = reopen_note(reason);
    let detailed_status = if row.department_id.is_some() { "routed" } else { "received" };
    let at = store::apply(
        tx,
        row,
        &Change {
            action: "reopen",
            detailed_status,
            note: Some(&note),
            department_id: None,
            sets_status_notes: true,
            actor: "citizen",
        },
    )?;
    tx.execute(
        "INSERT INTO open311_reopenings (request_id, closed_at, reason, service_code, department_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![row.id, closed, reason, row.service_code, row.department_id, at],
    )?;
    Ok(())
}

fn feedback_xml(answer: &[FeedbackAnswer]) -> String {
    let mut x = XmlOut::new("feedbacks");
    for a in answer {
        x.open("feedback")
            .leaf("service_request_id", &a.service_request_id)
            .leaf("resolved", if a.resolved { "true" } else { "false" })
            .leaf("rating", &a.rating.to_string())
            .leaf_opt("comment", a.comment.as_deref())
            .leaf("closed_datetime", &a.closed_datetime)
            .leaf("submitted_datetime", &a.submitted_datetime)
            .close("feedback");
    }
    x.finish("feedbacks")
}

/// Satisfaction of one department and category over a period (the staff dashboard's table).
#[derive(Debug, Clone, PartialEq)]
pub struct Satisfaction {
    pub department_id: Option<String>,
    pub service_code: String,
    /// Feedback given.
    pub answers: i64,
    /// Of them, "yes, it was resolved".
    pub resolved: i64,
    pub mean_rating: Option<f64>,
    /// Reopened by the citizen.
    pub reopened: i64,
}

/// Feedback and reopenings filed in `[start, end)` (stored stamps), per department and category,
/// most answers first; only `department`'s when given.
pub fn satisfaction(
    conn: &Conn,
    start: &str,
    end: &str,
    department: Option<&str>,
) -> Result<Vec<Satisfaction>, ApiError> {
    let mut stmt = conn.prepare(
        "SELECT department_id, service_code, CAST(SUM(answers) AS BIGINT), CAST(SUM(resolved) AS BIGINT),
                CAST(SUM(stars) AS BIGINT), CAST(SUM(reopened) AS BIGINT) FROM (
             SELECT department_id, service_code, CAST(1 AS BIGINT) AS answers, resolved, rating AS stars,
                    CAST(0 AS BIGINT) AS reopened
             FROM open311_feedback WHERE created_at >= ?1 AND created_at < ?2
             UNION ALL
             SELECT department_id, service_code, CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(1 AS BIGINT)
             FROM open311_reopenings WHERE created_at >= ?1 AND created_at < ?2
         ) AS x
         WHERE CAST(?3 AS TEXT) IS NULL OR department_id = ?3
         GROUP BY department_id, service_code
         ORDER BY SUM(answers) DESC, SUM(reopened) DESC, service_code",
    )?;
    let rows = stmt.query_map(params![start, end, department], |r| {
        let answers: i64 = r.get(2)?;
        let stars: i64 = r.get(4)?;
        Ok(Satisfaction {
            department_id: r.get(0)?,
            service_code: r.get(1)?,
            answers,
            resolved: r.get(3)?,
            mean_rating: (answers > 0).then(|| stars as f64 / answers as f64),
            reopened: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_names_the_action_and_ignores_field_order() {
        let a = vec![("rating".to_owned(), "4".to_owned()), ("resolved".to_owned(), "true".to_owned())];
        let b = vec![("resolved".to_owned(), "true".to_owned()), ("rating".to_owned(), "4".to_owned())];
        assert_eq!(
            body_hash(Action::Feedback, 1, Format::Json, &a),
            body_hash(Action::Feedback, 1, Format::Json, &b)
        );
        assert_ne!(
            body_hash(Action::Feedback, 1, Format::Json, &a),
            body_hash(Action::Reopen, 1, Format::Json, &a)
        );
        assert_ne!(
            body_hash(Action::Feedback, 1, Format::Json, &a),
            body_hash(Action::Feedback, 2, Format::Json, &a)
        );
    }
}
