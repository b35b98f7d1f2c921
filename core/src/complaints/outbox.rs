//! The outbox rows: submitting (one transaction with the photos), reading, and the state changes
//! a flush, an edit or a cancellation makes; and the photos that follow a sent complaint (each
//! `pending` until the server accepted or refused it, with its resumable upload's URL stored as
//! soon as the server made it).

use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

use super::{Complaint, ComplaintDraft, ComplaintState, ComplaintUpdate};
use crate::error::{Error, Result};

/// A tracking number people can read out on the phone: `BL-` and 8 characters of Crockford's
/// base32 (no I, L, O, U), random.
pub fn new_tracking_id() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let bits = uuid::Uuid::new_v4().as_u128();
    let chars: String = (0..8).map(|i| ALPHABET[((bits >> (i * 5)) & 31) as usize] as char).collect();
    format!("BL-{}-{}", &chars[..4], &chars[4..])
}

/// Write a checked draft and its prepared photos in one transaction. The idempotency key is
/// fixed here, before any attempt, so every retry of this complaint carries the same one.
pub fn insert(tx: &Transaction<'_>, draft: &ComplaintDraft, photos: &[Vec<u8>], now: i64) -> Result<String> {
    let local_id = new_tracking_id();
    let seq: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM complaints", [], |r| r.get(0))?;
    let doc = serde_json::to_string(draft).map_err(|e| Error::Storage(e.to_string()))?;
    tx.execute(
        "INSERT INTO complaints (local_id, seq, service_code, draft, idempotency_key, state, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6)",
        params![local_id, seq, draft.service_code, doc, uuid::Uuid::new_v4().to_string(), now],
    )?;
    for (i, jpeg) in photos.iter().enumerate() {
        tx.execute(
            "INSERT INTO complaint_photos (local_id, position, jpeg) VALUES (?1, ?2, ?3)",
            params![local_id, i as i64, jpeg],
        )?;
    }
    Ok(local_id)
}

const COLUMNS: &str =
    "local_id, draft, state, attempts, next_attempt_at, last_error, server_id, token, status,
     detailed_status, status_notes, created_at, sent_at,
     (SELECT COUNT(*) FROM complaint_photos p WHERE p.local_id = complaints.local_id),
     (SELECT COUNT(*) FROM complaint_photos p WHERE p.local_id = complaints.local_id AND p.state = 'uploaded'),
     (SELECT COUNT(*) FROM complaint_photos p WHERE p.local_id = complaints.local_id AND p.state = 'refused'),
     photos_unmetered_only, expected_datetime, followed, followers";

fn from_row(r: &Row<'_>) -> rusqlite::Result<(Complaint, String)> {
    let draft_doc: String = r.get(1)?;
    let state = ComplaintState::parse(&r.get::<_, String>(2)?);
    let next: i64 = r.get(4)?;
    let complaint = Complaint {
        local_id: r.get(0)?,
        draft: ComplaintDraft {
            service_code: String::new(),
            description: String::new(),
            attributes: Vec::new(),
            location: None,
            address: None,
            contact: None,
        },
        photo_count: r.get::<_, i64>(13)? as u32,
        photos_uploaded: r.get::<_, i64>(14)? as u32,
        photos_refused: r.get::<_, i64>(15)? as u32,
        photos_on_unmetered_only: r.get(16)?,
        state,
        attempts: r.get::<_, i64>(3)? as u32,
        next_attempt_at: (state == ComplaintState::Queued && next > 0).then_some(next),
        last_error: r.get(5)?,
        server_id: r.get(6)?,
        token: r.get(7)?,
        status: r.get(8)?,
        detailed_status: r.get(9)?,
        status_notes: r.get(10)?,
        updates: Vec::new(),
        created_at: r.get(11)?,
        sent_at: r.get(12)?,
        expected_datetime: r.get(17)?,
        overdue: false,
        closed_datetime: None,
        can_give_feedback: false,
        feedback: None,
        can_reopen: false,
        reopen_until: None,
        reopen: None,
        followed: r.get(18)?,
        followers: r.get::<_, Option<i64>>(19)?.and_then(|n| u32::try_from(n).ok()),
    };
    Ok((complaint, draft_doc))
}

fn finish(conn: &Connection, (mut c, doc): (Complaint, String)) -> Result<Complaint> {
    c.draft = serde_json::from_str(&doc)
        .map_err(|e| Error::Storage(format!("stored complaint unreadable: {e}")))?;
    c.updates = updates(conn, &c.local_id)?;
    Ok(c)
}

pub fn get(conn: &Connection, local_id: &str) -> Result<Complaint> {
    let row = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM complaints WHERE local_id = ?1"))?
        .query_row([local_id], from_row)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("complaint {local_id}")))?;
    finish(conn, row)
}

/// Every complaint, newest first.
pub fn list(conn: &Connection) -> Result<Vec<Complaint>> {
    let rows: Vec<(Complaint, String)> = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM complaints ORDER BY seq DESC"))?
        .query_map([], from_row)?
        .collect::<Result<_, _>>()?;
    rows.into_iter().map(|r| finish(conn, r)).collect()
}

pub fn updates(conn: &Connection, local_id: &str) -> Result<Vec<ComplaintUpdate>> {
    let rows = conn
        .prepare_cached(
            "SELECT update_id, status, detailed_status, description, media_url, updated_datetime
             FROM complaint_updates WHERE local_id = ?1 ORDER BY position",
        )?
        .query_map([local_id], |r| {
            Ok(ComplaintUpdate {
                update_id: r.get(0)?,
                status: r.get(1)?,
                detailed_status: r.get(2)?,
                description: r.get(3)?,
                media_url: r.get(4)?,
                updated_datetime: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The next complaint to send: the oldest queued one. Without `force`, only if it is due; a
/// complaint waiting for its retry time holds back those behind it, so they arrive in order.
pub struct Pending {
    pub local_id: String,
    pub draft: ComplaintDraft,
    pub photos: Vec<Vec<u8>>,
    pub idempotency_key: String,
    pub attempts: u32,
    /// An earlier attempt may have reached the server.
    pub maybe_delivered: bool,
}

pub fn next_pending(
    conn: &Connection,
    force: bool,
    now: i64,
    after_seq: i64,
) -> Result<Option<(i64, Pending)>> {
    let head = conn
        .prepare_cached(
            "SELECT seq, local_id, draft, idempotency_key, attempts, next_attempt_at, maybe_delivered FROM complaints
             WHERE state = 'queued' AND seq > ?1 ORDER BY seq LIMIT 1",
        )?
        .query_row([after_seq], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, bool>(6)?,
            ))
        })
        .optional()?;
    let Some((seq, local_id, doc, key, attempts, next_at, maybe_delivered)) = head else { return Ok(None) };
    if !force && next_at > now {
        return Ok(None);
    }
    let draft = serde_json::from_str(&doc)
        .map_err(|e| Error::Storage(format!("stored complaint unreadable: {e}")))?;
    let photos: Vec<Vec<u8>> = conn
        .prepare_cached("SELECT jpeg FROM complaint_photos WHERE local_id = ?1 ORDER BY position")?
        .query_map([&local_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(Some((
        seq,
        Pending { local_id, draft, photos, idempotency_key: key, attempts: attempts as u32, maybe_delivered },
    )))
}

/// An attempt is about to leave: from now on the server may have the complaint, whatever becomes
/// of the attempt (a flush dropped before its answer, the app killed, a power cut), so it may no
/// longer be cancelled or edited as if it had not. Committed before the request goes;
/// [`mark_retry`] puts back what was known when the attempt is known not to have arrived.
pub fn mark_attempting(tx: &Transaction<'_>, local_id: &str) -> Result<()> {
    tx.execute(
        "UPDATE complaints SET maybe_delivered = 1 WHERE local_id = ?1 AND state = 'queued'",
        [local_id],
    )?;
    Ok(())
}

pub fn mark_sent(
    tx: &Transaction<'_>,
    local_id: &str,
    server_id: Option<&str>,
    token: Option<&str>,
    now: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE complaints SET state = 'sent', server_id = ?2, token = ?3, sent_at = ?4, status = 'open',
            detailed_status = COALESCE(detailed_status, 'received'), last_error = NULL, next_attempt_at = 0
         WHERE local_id = ?1 AND state = 'queued'",
        params![local_id, server_id, token, now],
    )?;
    Ok(())
}

/// The photos went inside the complaint's own POST (a server without resumable uploads).
pub fn mark_photos_sent_with_post(tx: &Transaction<'_>, local_id: &str) -> Result<()> {
    tx.execute("UPDATE complaint_photos SET state = 'uploaded' WHERE local_id = ?1", [local_id])?;
    Ok(())
}

/// A photo still to upload, with its upload's URL once the server made one.
pub struct PendingPhoto {
    pub position: u32,
    pub jpeg: Vec<u8>,
    pub upload_url: Option<String>,
}

/// A sent complaint whose photos still have to follow.
pub struct PendingPhotos {
    pub seq: i64,
    pub local_id: String,
    pub server_id: String,
    pub token: String,
    /// Photos of the complaint, uploaded or not (for "photo 2 of 3").
    pub photo_count: u32,
    /// Bytes of every photo of the complaint, and of those already uploaded.
    pub bytes_total: u64,
    pub bytes_done: u64,
    pub pending: Vec<PendingPhoto>,
    pub attempts: u32,
}

/// The citizen asked for this complaint's photos to wait for a network that is not metered.
pub fn set_photos_unmetered_only(tx: &Transaction<'_>, local_id: &str) -> Result<()> {
    tx.execute("UPDATE complaints SET photos_unmetered_only = 1 WHERE local_id = ?1", [local_id])?;
    Ok(())
}

/// The oldest sent complaint (after `after_seq`) with photos pending, if its photos are due
/// (always with `force`) and may go on this network (`metered`: not those waiting for Wi-Fi). A
/// complaint sent without an id and token (another city's server gave only a token) cannot take
/// uploads and is skipped.
pub fn next_photos(
    conn: &Connection,
    force: bool,
    metered: bool,
    now: i64,
    after_seq: i64,
) -> Result<Option<PendingPhotos>> {
    let head = conn
        .prepare_cached(
            "SELECT seq, local_id, server_id, token, photo_attempts, photos_next_attempt_at FROM complaints c
             WHERE state = 'sent' AND seq > ?1 AND server_id IS NOT NULL AND token IS NOT NULL
               AND NOT (?2 AND photos_unmetered_only)
               AND EXISTS (SELECT 1 FROM complaint_photos p WHERE p.local_id = c.local_id AND p.state = 'pending')
             ORDER BY seq LIMIT 1",
        )?
        .query_row(params![after_seq, metered], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })
        .optional()?;
    let Some((seq, local_id, server_id, token, attempts, next_at)) = head else { return Ok(None) };
    if !force && next_at > now {
        return Ok(None);
    }
    let mut photo_count = 0;
    let (mut bytes_total, mut bytes_done) = (0u64, 0u64);
    let mut pending = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT position, state, upload_url, LENGTH(jpeg), CASE WHEN state = 'pending' THEN jpeg END
         FROM complaint_photos WHERE local_id = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map([&local_id], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, Option<Vec<u8>>>(4)?,
        ))
    })?;
    for row in rows {
        let (position, state, upload_url, len, jpeg) = row?;
        photo_count += 1;
        bytes_total += len as u64;
        match (state.as_str(), jpeg) {
            ("pending", Some(jpeg)) => {
                pending.push(PendingPhoto { position: position as u32, jpeg, upload_url })
            }
            _ => bytes_done += len as u64,
        }
    }
    Ok(Some(PendingPhotos {
        seq,
        local_id,
        server_id,
        token,
        photo_count,
        bytes_total,
        bytes_done,
        pending,
        attempts: attempts as u32,
    }))
}

/// Where a photo's upload lives (`None`: the server discarded it; make another).
pub fn set_upload_url(tx: &Transaction<'_>, local_id: &str, position: u32, url: Option<&str>) -> Result<()> {
    tx.execute(
        "UPDATE complaint_photos SET upload_url = ?3 WHERE local_id = ?1 AND position = ?2 AND state = 'pending'",
        params![local_id, position, url],
    )?;
    Ok(())
}

/// A photo the server has in full and accepted, or refused for good (`refused` is the reason).
pub fn mark_photo_done(
    tx: &Transaction<'_>,
    local_id: &str,
    position: u32,
    refused: Option<&str>,
) -> Result<()> {
    let state = if refused.is_some() { "refused" } else { "uploaded" };
    tx.execute(
        "UPDATE complaint_photos SET state = ?3, error = ?4 WHERE local_id = ?1 AND position = ?2",
        params![local_id, position, state, refused],
    )?;
    if refused.is_none() {
        // A photo that went through shows the link works: the next one is tried at once.
        tx.execute(
            "UPDATE complaints SET photo_attempts = 0, last_error = NULL WHERE local_id = ?1",
            [local_id],
        )?;
    }
    Ok(())
}

/// The photos failed for now: try again at `next_attempt_at`.
pub fn mark_photos_retry(
    tx: &Transaction<'_>,
    local_id: &str,
    error: &str,
    next_attempt_at: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE complaints SET photo_attempts = photo_attempts + 1, photos_next_attempt_at = ?3, last_error = ?2
         WHERE local_id = ?1",
        params![local_id, error, next_attempt_at],
    )?;
    Ok(())
}

/// A failed attempt; `maybe_delivered` when this or an earlier attempt could have reached the
/// server (for this one: anything but a refused connection).
pub fn mark_retry(
    tx: &Transaction<'_>,
    local_id: &str,
    error: &str,
    next_attempt_at: i64,
    maybe_delivered: bool,
) -> Result<()> {
    tx.execute(
        "UPDATE complaints SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3,
            maybe_delivered = ?4
         WHERE local_id = ?1 AND state = 'queued'",
        params![local_id, error, next_attempt_at, maybe_delivered],
    )?;
    Ok(())
}

pub fn mark_needs_attention(tx: &Transaction<'_>, local_id: &str, reason: &str) -> Result<()> {
    tx.execute(
        "UPDATE complaints SET state = 'needs_attention', attempts = attempts + 1, last_error = ?2
         WHERE local_id = ?1 AND state = 'queued'",
        params![local_id, reason],
    )?;
    Ok(())
}

/// Still only on this phone: no attempt could have reached the server (none made, or every one
/// refused at connect), or the server refused it. Only then may the citizen edit or cancel it.
fn still_local(tx: &Transaction<'_>, local_id: &str) -> Result<bool> {
    let (state, maybe_delivered): (String, bool) = tx
        .query_row("SELECT state, maybe_delivered FROM complaints WHERE local_id = ?1", [local_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("complaint {local_id}")))?;
    Ok(state == "needs_attention" || (state == "queued" && !maybe_delivered))
}

pub fn cancel(tx: &Transaction<'_>, local_id: &str) -> Result<()> {
    if !still_local(tx, local_id)? {
        return Err(Error::validation(
            "local_id",
            "already sent (or on its way): it can no longer be cancelled",
        ));
    }
    tx.execute(
        "UPDATE complaints SET state = 'cancelled', next_attempt_at = 0 WHERE local_id = ?1",
        [local_id],
    )?;
    tx.execute("DELETE FROM complaint_photos WHERE local_id = ?1", [local_id])?;
    Ok(())
}

/// Replace the draft of a complaint still on the phone and queue it again, under a new
/// idempotency key (the server may have seen the old key with the old body).
pub fn replace_draft(tx: &Transaction<'_>, local_id: &str, draft: &ComplaintDraft) -> Result<()> {
    if !still_local(tx, local_id)? {
        return Err(Error::validation(
            "local_id",
            "already sent (or on its way): it can no longer be edited",
        ));
    }
    let doc = serde_json::to_string(draft).map_err(|e| Error::Storage(e.to_string()))?;
    tx.execute(
        "UPDATE complaints SET draft = ?2, service_code = ?3, idempotency_key = ?4, state = 'queued',
            attempts = 0, maybe_delivered = 0, next_attempt_at = 0, last_error = NULL
         WHERE local_id = ?1",
        params![local_id, doc, draft.service_code, uuid::Uuid::new_v4().to_string()],
    )?;
    Ok(())
}

/// Queue a refused complaint again unchanged (e.g. after the category was fixed on the server).
pub fn requeue(tx: &Transaction<'_>, local_id: &str) -> Result<()> {
    let draft = serde_json::from_str::<ComplaintDraft>(
        &tx.query_row("SELECT draft FROM complaints WHERE local_id = ?1", [local_id], |r| {
            r.get::<_, String>(0)
        })
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("complaint {local_id}")))?,
    )
    .map_err(|e| Error::Storage(e.to_string()))?;
    replace_draft(tx, local_id, &draft)
}
