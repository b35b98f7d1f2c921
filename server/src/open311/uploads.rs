//! Photos of a request uploaded after it, resumably: the tus 1.0 core protocol with its
//! `creation` and `expiration` extensions, under `/open311/v2/uploads`.
//!
//! | method and path | what |
//! | --- | --- |
//! | `OPTIONS /open311/v2/uploads` | `Tus-Version`, `Tus-Extension`, `Tus-Max-Size` (no authentication) |
//! | `POST /open311/v2/uploads` | a new upload: `Upload-Length`, `Upload-Metadata` with `service_request_id` and `position` → `201`, `Location` |
//! | `HEAD /open311/v2/uploads/{id}` | `Upload-Offset`: the bytes the server has |
//! | `PATCH /open311/v2/uploads/{id}` | bytes from `Upload-Offset` on (`application/offset+octet-stream`) → `204`, the new `Upload-Offset` |
//!
//! Invariants, and why:
//!
//! - **Authenticated by the request's own token** (`Authorization: Bearer <token>`, the token the
//!   POST answered with): only whoever filed the request can attach photos to it. The api_key is
//!   not enough, because every copy of the app carries it.
//! - **One upload per request and position**, so a creation retried after a lost answer finds the
//!   upload it already made (same `Location`, its `Upload-Offset`), and a finished photo is never
//!   stored twice: creating it again answers with the finished upload.
//! - **Bytes are stored as they arrive** (in pieces of at most [`PIECE`] bytes or [`PIECE_AGE`],
//!   each in one transaction, by a task that outlives a dropped connection), so a cut connection
//!   loses at most the last piece, and the next `HEAD` says where to continue.
//! - **A piece is stored only at the offset the upload is at** (checked in its transaction), so a
//!   retried chunk, or two PATCHes racing after a cut the server has not noticed yet, can never
//!   store the same bytes twice: the loser stops and answers `409`.
//! - **A complete upload is always checked**: by the task that received its last byte (which
//!   outlives a dropped connection), or, after a crash in between, by the next `HEAD`.
//! - **The same checks as photos sent in a POST** ([`super::photo::check`]: at most 2 MB, at most the
//!   pixel limit, decoded as the JPEG or PNG it starts as) when the last byte arrives, under one
//!   of the server's upload slots; a photo that fails is refused for good (`422` from then on).
//! - **Abandoned uploads are discarded**: an unfinished one untouched for [`ABANDONED_AFTER`] goes,
//!   with its bytes, at the hourly purge.
//! - A PATCH still arriving at the server's body timeout ends there with `204` and the offset
//!   reached: the bytes are kept, and the client continues with another PATCH.

use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::sql::{params, Conn, OptionalExt};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bytes::{Bytes, BytesMut};
use http_body::Body as _;
use subtle::ConstantTimeEq;

use super::extract::SpecPath;
use super::format::{Failure, Format};
use super::state::{purge_old, Open311State};
use super::submit::{MAX_PHOTOS, MAX_PHOTO_BYTES};
use super::{photo, store};
use crate::error::ApiError;

pub const TUS_VERSION: &str = "1.0.0";
/// An unfinished upload untouched this long is discarded.
pub const ABANDONED_AFTER: Duration = Duration::from_secs(24 * 3600);
/// Bytes stored at most per transaction while a PATCH arrives ...
const PIECE: usize = 64 * 1024;
/// ... and at least this often while bytes keep coming.
const PIECE_AGE: Duration = Duration::from_millis(200);

const TUS_RESUMABLE: HeaderName = HeaderName::from_static("tus-resumable");
const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
const UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");
const UPLOAD_EXPIRES: HeaderName = HeaderName::from_static("upload-expires");
pub const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

/// An upload as stored.
#[derive(Debug, Clone)]
struct Upload {
    id: String,
    request_id: i64,
    length: u64,
    received: u64,
    media_id: Option<String>,
    refused: Option<String>,
    updated_at: i64,
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

fn fail(status: StatusCode, description: impl Into<String>) -> Failure {
    Failure::new(Format::Json, status, description)
}

fn with_tus(mut resp: Response) -> Response {
    resp.headers_mut().insert(TUS_RESUMABLE, HeaderValue::from_static(TUS_VERSION));
    resp
}

fn answer(result: Result<Response, Failure>) -> Response {
    with_tus(result.unwrap_or_else(IntoResponse::into_response))
}

/// `Tus-Resumable: 1.0.0` on every request but OPTIONS (else 412 with the version we speak).
fn check_version(headers: &HeaderMap) -> Result<(), Failure> {
    match headers.get(TUS_RESUMABLE).and_then(|v| v.to_str().ok()) {
        Some(TUS_VERSION) => Ok(()),
        _ => Err(fail(StatusCode::PRECONDITION_FAILED, "Tus-Resumable: this server speaks tus 1.0.0")),
    }
}

fn number(headers: &HeaderMap, name: &HeaderName) -> Result<Option<u64>, Failure> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse().ok())
            .map(Some)
            .ok_or_else(|| fail(StatusCode::BAD_REQUEST, format!("{name}: not a number"))),
    }
}

fn bearer(headers: &HeaderMap) -> Result<&str, Failure> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            fail(StatusCode::UNAUTHORIZED, "Authorization: Bearer and the request's token, required")
        })
}

/// `Upload-Metadata`: `key base64,key base64` (a key may come without a value).
fn metadata(headers: &HeaderMap) -> Result<Vec<(String, String)>, Failure> {
    let bad = || fail(StatusCode::BAD_REQUEST, "Upload-Metadata: pairs of a key and a base64 value");
    let Some(raw) = headers.get("upload-metadata") else { return Ok(Vec::new()) };
    let raw = raw.to_str().map_err(|_| bad())?;
    let mut out = Vec::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut it = pair.split(' ');
        let key = it.next().unwrap_or_default().to_owned();
        let value = match it.next() {
            Some(v) => base64::engine::general_purpose::STANDARD.decode(v).map_err(|_| bad())?,
            None => Vec::new(),
        };
        if it.next().is_some() {
            return Err(bad());
        }
        out.push((key, String::from_utf8(value).map_err(|_| bad())?));
    }
    Ok(out)
}

fn get_upload(conn: &Conn, id: &str) -> Result<Option<Upload>, ApiError> {
    Ok(conn
        .prepare_cached(
            "SELECT id, request_id, length, received, media_id, refused, updated_at FROM open311_uploads
             WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(Upload {
                id: r.get(0)?,
                request_id: r.get(1)?,
                length: r.get::<_, i64>(2)? as u64,
                received: r.get::<_, i64>(3)? as u64,
                media_id: r.get(4)?,
                refused: r.get(5)?,
                updated_at: r.get(6)?,
            })
        })
        .optional()?)
}

/// The upload `id` if `token` is its request's.
fn authorized(conn: &Conn, id: &str, token: &str) -> Result<Result<Upload, Failure>, ApiError> {
    let not_found = || fail(StatusCode::NOT_FOUND, "upload: not found (or discarded after a day unfinished)");
    let Some(upload) = get_upload(conn, id)? else { return Ok(Err(not_found())) };
    let Some(row) = store::get(conn, upload.request_id)? else { return Ok(Err(not_found())) };
    if !bool::from(row.token.as_bytes().ct_eq(token.as_bytes())) {
        return Ok(Err(fail(StatusCode::FORBIDDEN, "Authorization: not the token of this upload's request")));
    }
    Ok(Ok(upload))
}

/// Store `bytes` at `start` if the upload is there now; the new offset, or `None` when another
/// PATCH moved it (or the upload is finished or gone).
fn append(conn: &Conn, id: &str, start: u64, bytes: &[u8]) -> Result<Option<u64>, ApiError> {
    let tx = conn.transaction()?;
    let at: Option<(i64, i64, Option<String>)> = tx
        .query_row("SELECT received, length, media_id FROM open311_uploads WHERE id = ?1", [id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((received, length, None)) = at else { return Ok(None) };
    let end = start + bytes.len() as u64;
    if received as u64 != start || end > length as u64 {
        return Ok(None);
    }
    tx.execute(
        "INSERT INTO open311_upload_chunks (upload_id, start, bytes) VALUES (?1, ?2, ?3)",
        params![id, start as i64, bytes],
    )?;
    tx.execute(
        "UPDATE open311_uploads SET received = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, end as i64, now_secs()],
    )?;
    tx.commit()?;
    Ok(Some(end))
}

/// Discard unfinished uploads untouched for [`ABANDONED_AFTER`] (and refused ones as old), with
/// their bytes. Returns how many went.
pub fn purge_abandoned(conn: &Conn, now: i64) -> Result<usize, ApiError> {
    let cutoff = now - ABANDONED_AFTER.as_secs() as i64;
    conn.execute(
        "DELETE FROM open311_upload_chunks WHERE upload_id IN
             (SELECT id FROM open311_uploads WHERE media_id IS NULL AND updated_at < ?1)",
        [cutoff],
    )?;
    Ok(conn.execute("DELETE FROM open311_uploads WHERE media_id IS NULL AND updated_at < ?1", [cutoff])?)
}

fn expires(updated_at: i64) -> HeaderValue {
    let at = chrono::DateTime::from_timestamp(updated_at + ABANDONED_AFTER.as_secs() as i64, 0)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    HeaderValue::from_str(&at).unwrap_or(HeaderValue::from_static("0"))
}

pub(super) async fn options() -> Response {
    with_tus(
        (
            StatusCode::NO_CONTENT,
            [
                ("tus-version", TUS_VERSION.to_owned()),
                ("tus-extension", "creation,expiration".to_owned()),
                ("tus-max-size", MAX_PHOTO_BYTES.to_string()),
            ],
        )
            .into_response(),
    )
}

pub(super) async fn create(State(st): State<Arc<Open311State>>, headers: HeaderMap) -> Response {
    answer(create_inner(st, headers).await)
}

async fn create_inner(st: Arc<Open311State>, headers: HeaderMap) -> Result<Response, Failure> {
    check_version(&headers)?;
    let length = number(&headers, &UPLOAD_LENGTH)?.ok_or_else(|| {
        fail(StatusCode::BAD_REQUEST, "Upload-Length: required (Upload-Defer-Length is not supported)")
    })?;
    if length > MAX_PHOTO_BYTES as u64 {
        return Err(fail(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Upload-Length: a photo is larger than {} MB", MAX_PHOTO_BYTES / (1024 * 1024)),
        ));
    }
    if length == 0 {
        return Err(fail(StatusCode::BAD_REQUEST, "Upload-Length: a photo has bytes"));
    }
    let meta = metadata(&headers)?;
    let field = |name: &str| meta.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned());
    let request_id = field("service_request_id")
        .and_then(|v| store::parse_id(&v))
        .ok_or_else(|| fail(StatusCode::BAD_REQUEST, "Upload-Metadata: service_request_id required"))?;
    let position = field("position")
        .and_then(|v| v.parse::<u32>().ok())
        .filter(|p| (*p as usize) < MAX_PHOTOS)
        .ok_or_else(|| {
            fail(StatusCode::BAD_REQUEST, format!("Upload-Metadata: position from 0 to {}", MAX_PHOTOS - 1))
        })?;
    let token = bearer(&headers)?.to_owned();
    let base = st.base_url(&headers);
    let purge = st.purge_due();
    let upload = st
        .db
        .call(move |c| {
            if purge {
                purge_old(c)?;
            }
            let Some(row) = store::get(c, request_id)? else {
                return Ok(Err(fail(StatusCode::NOT_FOUND, "service_request_id: not found")));
            };
            if !bool::from(row.token.as_bytes().ct_eq(token.as_bytes())) {
                return Ok(Err(fail(StatusCode::FORBIDDEN, "Authorization: not the token of this request")));
            }
            let taken: bool = c
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM open311_media WHERE request_id = ?1 AND position = ?2)")?
                .query_row(params![request_id, position], |r| r.get(0))?;
            let existing: Option<String> = c
                .prepare_cached("SELECT id FROM open311_uploads WHERE request_id = ?1 AND position = ?2")?
                .query_row(params![request_id, position], |r| r.get(0))
                .optional()?;
            if let Some(id) = existing {
                let Some(u) = get_upload(c, &id)? else { return Ok(Err(Failure::internal(Format::Json))) };
                if u.length != length {
                    return Ok(Err(fail(
                        StatusCode::CONFLICT,
                        "Upload-Length: differs from the upload already made for this position",
                    )));
                }
                return Ok(Ok(u));
            }
            if taken {
                return Ok(Err(fail(StatusCode::CONFLICT, "position: this request already has a photo there")));
            }
            let id = store::random_id()?;
            let now = now_secs();
            c.execute(
                "INSERT INTO open311_uploads (id, request_id, position, length, received, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 0, ?5, ?5)",
                params![id, request_id, position, length as i64, now],
            )?;
            Ok(get_upload(c, &id)?.ok_or_else(|| Failure::internal(Format::Json)))
        })
        .await??;
    if let Some(reason) = &upload.refused {
        return Err(fail(StatusCode::UNPROCESSABLE_ENTITY, format!("media: {reason}")));
    }
    let location = HeaderValue::from_str(&format!("{base}/open311/v2/uploads/{}", upload.id))
        .map_err(|_| Failure::internal(Format::Json))?;
    Ok((
        StatusCode::CREATED,
        [
            (header::LOCATION, location),
            (UPLOAD_OFFSET, HeaderValue::from(upload.received)),
            (UPLOAD_EXPIRES, expires(upload.updated_at)),
        ],
    )
        .into_response())
}

fn upload_id(raw: &str) -> Result<String, Failure> {
    if raw.len() == 32 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(raw.to_ascii_lowercase())
    } else {
        Err(fail(StatusCode::NOT_FOUND, "upload: not found"))
    }
}

pub(super) async fn head(
    State(st): State<Arc<Open311State>>,
    SpecPath(id): SpecPath,
    headers: HeaderMap,
) -> Response {
    answer(
        async {
            check_version(&headers)?;
            let id = upload_id(&id)?;
            let token = bearer(&headers)?.to_owned();
            let lookup = id.clone();
            let mut upload = st.db.call(move |c| authorized(c, &lookup, &token)).await??;
            if upload.received == upload.length && upload.media_id.is_none() && upload.refused.is_none() {
                // Every byte arrived but the server stopped before checking them (a crash).
                let _ = finish(&st, &id).await;
                upload.refused = st.db.call(move |c| Ok(get_upload(c, &id)?.and_then(|u| u.refused))).await?;
            }
            if upload.refused.is_some() {
                return Err(fail(StatusCode::UNPROCESSABLE_ENTITY, "media: refused"));
            }
            Ok((
                StatusCode::OK,
                [
                    (UPLOAD_OFFSET, HeaderValue::from(upload.received)),
                    (UPLOAD_LENGTH, HeaderValue::from(upload.length)),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                    (UPLOAD_EXPIRES, expires(upload.updated_at)),
                ],
            )
                .into_response())
        }
        .await,
    )
}

pub(super) async fn patch(
    State(st): State<Arc<Open311State>>,
    SpecPath(id): SpecPath,
    req: Request,
) -> Response {
    answer(patch_inner(st, id, req).await)
}

async fn patch_inner(st: Arc<Open311State>, id: String, req: Request) -> Result<Response, Failure> {
    let headers = req.headers().clone();
    check_version(&headers)?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.eq_ignore_ascii_case(OFFSET_OCTET_STREAM) {
        return Err(fail(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Content-Type: must be {OFFSET_OCTET_STREAM}"),
        ));
    }
    let offset = number(&headers, &UPLOAD_OFFSET)?
        .ok_or_else(|| fail(StatusCode::BAD_REQUEST, "Upload-Offset: required"))?;
    let id = upload_id(&id)?;
    let token = bearer(&headers)?.to_owned();
    let lookup = id.clone();
    let upload = st.db.call(move |c| authorized(c, &lookup, &token)).await??;
    if let Some(reason) = &upload.refused {
        return Err(fail(StatusCode::UNPROCESSABLE_ENTITY, format!("media: {reason}")));
    }
    let conflict = |at: u64| {
        let mut resp = fail(StatusCode::CONFLICT, "Upload-Offset: not where the upload is; ask with HEAD")
            .into_response();
        resp.headers_mut().insert(UPLOAD_OFFSET, HeaderValue::from(at));
        Ok(resp)
    };
    if upload.media_id.is_some() || offset != upload.received {
        return conflict(upload.received);
    }
    let declared = number(&headers, &header::CONTENT_LENGTH)?;
    if declared.is_some_and(|n| n > upload.length - offset) {
        return Err(fail(StatusCode::PAYLOAD_TOO_LARGE, "Content-Length: more than the upload has left"));
    }
    // A task of its own owns the body and finishes the upload: if the connection dies and this
    // handler is dropped, what arrived is still stored, and a complete photo still checked.
    let task = {
        let (st, id, length) = (Arc::clone(&st), id.clone(), upload.length);
        let body = req.into_body();
        tokio::spawn(async move {
            let received = receive(st.db.clone(), id.clone(), offset, length, body).await;
            let finished = match received {
                Received::At(at) if at == length => Some(finish(&st, &id).await),
                _ => None,
            };
            (received, finished)
        })
    };
    let (received, finished) = task.await.map_err(|_| Failure::internal(Format::Json))?;
    let reached = match received {
        Received::At(at) => at,
        Received::Moved => {
            return conflict(st.db.call(move |c| Ok(get_upload(c, &id)?.map_or(0, |u| u.received))).await?)
        }
        Received::TooLong => {
            return Err(fail(StatusCode::PAYLOAD_TOO_LARGE, "body: more than the upload has left"))
        }
        Received::Storage(e) => return Err(Failure::from(e)),
    };
    if let Some(done) = finished {
        done?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(UPLOAD_OFFSET, HeaderValue::from(reached)), (UPLOAD_EXPIRES, expires(now_secs()))],
    )
        .into_response())
}

/// How the body of a PATCH ended.
enum Received {
    /// Stored up to here (the body ended, broke off, or reached the body timeout).
    At(u64),
    /// Another PATCH moved the upload meanwhile.
    Moved,
    /// More bytes than the upload has left.
    TooLong,
    Storage(ApiError),
}

async fn receive(db: crate::db::Db, id: String, start: u64, length: u64, mut body: Body) -> Received {
    let mut at = start;
    let mut piece = BytesMut::new();
    let mut since = Instant::now();
    loop {
        let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
        let data: Option<Bytes> = match frame {
            Some(Ok(f)) => match f.into_data() {
                Ok(d) => Some(d),
                Err(_) => continue, // trailers
            },
            // The end, a broken connection or the body timeout: keep what came.
            Some(Err(_)) | None => None,
        };
        let ended = data.is_none();
        if let Some(d) = data {
            if at + (piece.len() + d.len()) as u64 > length {
                return Received::TooLong;
            }
            piece.extend_from_slice(&d);
        }
        if !piece.is_empty() && (ended || piece.len() >= PIECE || since.elapsed() >= PIECE_AGE) {
            let bytes = piece.split().freeze();
            let (upload, from) = (id.clone(), at);
            match db.call(move |c| append(c, &upload, from, &bytes)).await {
                Ok(Some(next)) => at = next,
                Ok(None) => return Received::Moved,
                Err(e) => return Received::Storage(e),
            }
            since = Instant::now();
        }
        if ended {
            return Received::At(at);
        }
    }
}

/// The last byte is in: check the photo and make it one of the request's media, or refuse it.
async fn finish(st: &Open311State, id: &str) -> Result<(), Failure> {
    let upload = id.to_owned();
    let bytes: Vec<u8> = st
        .db
        .call(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT bytes FROM open311_upload_chunks WHERE upload_id = ?1 ORDER BY start",
            )?;
            let pieces = stmt.query_map([&upload], |r| r.get::<_, Vec<u8>>(0))?;
            let mut all = Vec::new();
            for p in pieces {
                all.extend_from_slice(&p?);
            }
            Ok(all)
        })
        .await?;
    // One of the server's upload slots while the photo is decoded, as for a POST's photos.
    let _slot = Arc::clone(&st.uploads).acquire_owned().await.map_err(|_| Failure::internal(Format::Json))?;
    let max_pixels = st.max_photo_pixels;
    let (bytes, checked) = tokio::task::spawn_blocking(move || {
        let checked = photo::check(&bytes, max_pixels);
        (bytes, checked)
    })
    .await
    .map_err(|_| Failure::internal(Format::Json))?;
    let upload = id.to_owned();
    let outcome = checked.clone();
    st.db
        .call(move |c| {
            let tx = c.transaction()?;
            let Some(u) = get_upload(&tx, &upload)? else { return Ok(()) };
            if u.media_id.is_some() || u.refused.is_some() || u.received != u.length {
                return Ok(());
            }
            match outcome {
                Ok(ok) => {
                    let position: i64 =
                        tx.query_row("SELECT position FROM open311_uploads WHERE id = ?1", [&upload], |r| r.get(0))?;
                    let media_id = store::random_id()?;
                    tx.execute(
                        "INSERT INTO open311_media (id, request_id, position, content_type, bytes, created_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![media_id, u.request_id, position, ok.content_type, bytes, store::stamp(chrono::Utc::now())],
                    )?;
                    tx.execute(
                        "UPDATE open311_uploads SET media_id = ?2, updated_at = ?3 WHERE id = ?1",
                        params![upload, media_id, now_secs()],
                    )?;
                }
                Err(reason) => {
                    tx.execute(
                        "UPDATE open311_uploads SET refused = ?2, updated_at = ?3 WHERE id = ?1",
                        params![upload, reason, now_secs()],
                    )?;
                }
            }
            tx.execute("DELETE FROM open311_upload_chunks WHERE upload_id = ?1", [&upload])?;
            tx.commit()?;
            Ok(())
        })
        .await?;
    checked.map(|_| ()).map_err(|why| fail(StatusCode::UNPROCESSABLE_ENTITY, format!("media: {why}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Conn {
        let conn = Conn::open_in_memory().unwrap();
        for sql in [
            include_str!("../../migrations/001_catalogue.sql"),
            include_str!("../../migrations/002_open311.sql"),
            include_str!("../../migrations/004_uploads.sql"),
        ] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute(
            "INSERT INTO open311_services (service_code, position, group_id, department_id, expected_hours, doc)
             VALUES ('x', 0, 'g', 'd', 1, '{}')", (),
        )
        .unwrap();
        conn.execute(
            "INSERT INTO open311_requests (id, token, service_code, status, detailed_status, source, attributes,
                 requested_at, updated_at) VALUES (1, 't', 'x', 'open', 'received', 'app', '{}', 'a', 'a')", (),
        )
        .unwrap();
        conn.execute(
            "INSERT INTO open311_uploads (id, request_id, position, length, created_at, updated_at)
             VALUES ('u', 1, 0, 10, 0, ?1)",
            [now_secs()],
        )
        .unwrap();
        conn
    }

    #[test]
    fn a_piece_is_stored_only_where_the_upload_is() {
        let c = db();
        assert_eq!(append(&c, "u", 0, b"abcd").unwrap(), Some(4));
        // The same piece again (a retried chunk), and one from a stale PATCH: refused.
        assert_eq!(append(&c, "u", 0, b"abcd").unwrap(), None);
        assert_eq!(append(&c, "u", 2, b"cdef").unwrap(), None);
        // Past the declared length: refused.
        assert_eq!(append(&c, "u", 4, b"efghijk").unwrap(), None);
        assert_eq!(append(&c, "u", 4, b"efghij").unwrap(), Some(10));
        let stored: i64 =
            c.query_row("SELECT SUM(LENGTH(bytes)) FROM open311_upload_chunks", (), |r| r.get(0)).unwrap();
        assert_eq!(stored, 10);
    }

    #[test]
    fn abandoned_uploads_go_after_a_day() {
        let c = db();

        append(&c, "u", 0, b"ab").unwrap();
        assert_eq!(purge_abandoned(&c, now_secs()).unwrap(), 0);
        assert_eq!(purge_abandoned(&c, now_secs() + 24 * 3600 + 1).unwrap(), 1);
        let left: i64 = c.query_row("SELECT COUNT(*) FROM open311_upload_chunks", (), |r| r.get(0)).unwrap();
        assert_eq!(left, 0);
    }

    #[test]
    fn metadata_is_base64_pairs() {
        let mut h = HeaderMap::new();
        h.insert("upload-metadata", HeaderValue::from_static("service_request_id MTI=,position MA==,empty"));
        let m = metadata(&h).unwrap();
        assert_eq!(
            m,
            vec![
                ("service_request_id".into(), "12".into()),
                ("position".into(), "0".into()),
                ("empty".into(), String::new())
            ]
        );
        h.insert("upload-metadata", HeaderValue::from_static("position !!"));
        assert!(metadata(&h).is_err());
    }
}
