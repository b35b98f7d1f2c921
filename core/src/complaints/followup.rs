//! What the citizen says after a complaint is closed (issue 15.2): **feedback** (was it really
//! resolved: yes or no, 1 to 5 stars, an optional comment) and **reopening** it with a reason,
//! within [`REOPEN_DAYS`] of its closing.
//!
//! Both go through the outbox's discipline: written with no network in one transaction, with the
//! idempotency key they will be sent under ([`give_feedback`], [`reopen`]); sent by the flush
//! after the complaints' text, in the order written ([`super::followup_send`]); they leave
//! `queued` only when the server has answered (`sent`), or refused them (`refused`, with its
//! reason). A crash between writing and sending leaves them queued under the same key, and the
//! server replays its first answer to a retry, so each arrives exactly once.
//!
//! Both belong to one *closing* of the complaint: the time it became closed, read from its
//! history (the first `closed` entry after the last `open` one), as the server reads it. A
//! complaint reopened and closed again can be rated again. Only the municipality's own server
//! takes them (an extension of GeoReport v2, `server/src/open311/followup.rs`).

use rusqlite::{params, Connection, Transaction};

use super::{Complaint, ComplaintState};
use crate::error::{Error, Result};

/// A closed complaint can be reopened this many days after its closing (the server's rule too).
pub const REOPEN_DAYS: i64 = 14;
pub const REOPEN_WINDOW_MS: i64 = REOPEN_DAYS * 24 * 3600 * 1000;
/// The longest comment or reason, in characters (the server's limit too).
pub const MAX_TEXT_CHARS: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum FollowUpKind {
    Feedback,
    Reopen,
}

impl FollowUpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpKind::Feedback => "feedback",
            FollowUpKind::Reopen => "reopen",
        }
    }

    fn parse(s: &str) -> FollowUpKind {
        if s == "reopen" {
            FollowUpKind::Reopen
        } else {
            FollowUpKind::Feedback
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum FollowUpState {
    /// On the phone, waiting to be sent (or being sent).
    Queued,
    /// The municipality has it.
    Sent,
    /// The server refused it; `error` says why.
    Refused,
}

impl FollowUpState {
    fn parse(s: &str) -> FollowUpState {
        match s {
            "sent" => FollowUpState::Sent,
            "refused" => FollowUpState::Refused,
            _ => FollowUpState::Queued,
        }
    }
}

/// What the citizen says of a closed complaint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct FeedbackDraft {
    /// "Was it really resolved?"
    pub resolved: bool,
    /// 1 to 5 stars.
    pub rating: u8,
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub comment: Option<String>,
}

/// Feedback given for the complaint's current closing, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GivenFeedback {
    pub resolved: bool,
    pub rating: u8,
    pub comment: Option<String>,
    pub state: FollowUpState,
    /// The last failure, or the server's reason for refusing.
    pub error: Option<String>,
}

/// A reopening asked for the complaint's current closing, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ReopenRequest {
    pub reason: String,
    pub state: FollowUpState,
    pub error: Option<String>,
}

/// One follow-up row as stored.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub kind: FollowUpKind,
    pub closed_datetime: String,
    pub resolved: Option<bool>,
    pub rating: Option<i64>,
    pub comment: Option<String>,
    pub reason: Option<String>,
    pub state: FollowUpState,
    pub error: Option<String>,
}

/// A complaint's follow-ups, oldest first.
pub(crate) fn rows(conn: &Connection, local_id: &str) -> Result<Vec<Row>> {
    let rows = conn
        .prepare_cached(
            "SELECT kind, closed_datetime, resolved, rating, comment, reason, state, last_error
             FROM complaint_followups WHERE local_id = ?1 ORDER BY id",
        )?
        .query_map([local_id], |r| {
            Ok(Row {
                kind: FollowUpKind::parse(&r.get::<_, String>(0)?),
                closed_datetime: r.get(1)?,
                resolved: r.get(2)?,
                rating: r.get(3)?,
                comment: r.get(4)?,
                reason: r.get(5)?,
                state: FollowUpState::parse(&r.get::<_, String>(6)?),
                error: r.get(7)?,
            })
        })?
        .collect::<std::result::Result<_, _>>()?;
    Ok(rows)
}

/// When the complaint's current closing began (RFC 3339), from its history: the first `closed`
/// entry after the last `open` one; its last known change when it has no such entry. `None`
/// while it is not closed.
pub fn closed_datetime(c: &Complaint) -> Option<String> {
    if c.state != ComplaintState::Sent || c.status.as_deref() != Some("closed") {
        return None;
    }
    let after_open = c.updates.iter().rposition(|u| u.status == "open").map_or(0, |i| i + 1);
    c.updates[after_open..]
        .iter()
        .find(|u| u.status == "closed")
        .map(|u| u.updated_datetime.clone())
        .or_else(|| c.updates.last().map(|u| u.updated_datetime.clone()))
}

fn millis(t: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(t).ok().map(|t| t.timestamp_millis())
}

/// Fill in what the detail screen needs: the feedback and reopening of the current closing, and
/// whether (and until when) each can be asked for at `now_ms`. `own_server`: the complaints server
/// is the municipality's own (others do not take them).
pub(crate) fn decorate(c: &mut Complaint, rows: &[Row], now_ms: i64, own_server: bool) {
    let closed = closed_datetime(c);
    c.closed_datetime = closed.clone();
    let current: Vec<&Row> = rows.iter().filter(|r| Some(&r.closed_datetime) == closed.as_ref()).collect();
    c.feedback = current.iter().rev().find(|r| r.kind == FollowUpKind::Feedback).map(|r| GivenFeedback {
        resolved: r.resolved.unwrap_or(false),
        rating: r.rating.and_then(|n| u8::try_from(n).ok()).unwrap_or(0),
        comment: r.comment.clone(),
        state: r.state,
        error: r.error.clone(),
    });
    c.reopen = current.iter().rev().find(|r| r.kind == FollowUpKind::Reopen).map(|r| ReopenRequest {
        reason: r.reason.clone().unwrap_or_default(),
        state: r.state,
        error: r.error.clone(),
    });
    let possible = own_server && closed.is_some() && c.server_id.is_some() && c.token.is_some();
    // A refused one can be given again (the refusal may have been a mistake fixed since).
    let pending_or_done =
        |x: Option<FollowUpState>| matches!(x, Some(FollowUpState::Queued | FollowUpState::Sent));
    c.reopen_until = closed.as_deref().and_then(millis).map(|t| t + REOPEN_WINDOW_MS).filter(|_| possible);
    let reopen_asked = pending_or_done(c.reopen.as_ref().map(|r| r.state));
    c.can_reopen = possible && !reopen_asked && c.reopen_until.is_some_and(|until| now_ms < until);
    // Feedback is about the closing: not after asking to reopen it.
    c.can_give_feedback = possible && !reopen_asked && !pending_or_done(c.feedback.as_ref().map(|f| f.state));
}

fn clean_text(s: &str) -> String {
    s.chars()
        .filter(|ch| !ch.is_control() || *ch == '\n' || *ch == '\t')
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Check a feedback draft; the comment trimmed, empty as none.
pub fn check_feedback(draft: &FeedbackDraft) -> Result<FeedbackDraft> {
    if !(1..=5).contains(&draft.rating) {
        return Err(Error::validation("rating", "from 1 to 5 stars"));
    }
    let comment = draft.comment.as_deref().map(clean_text).filter(|c| !c.is_empty());
    if comment.as_ref().is_some_and(|c| c.chars().count() > MAX_TEXT_CHARS) {
        return Err(Error::validation("comment", format!("at most {MAX_TEXT_CHARS} characters")));
    }
    Ok(FeedbackDraft { resolved: draft.resolved, rating: draft.rating, comment })
}

/// Check a reason to reopen; trimmed.
pub fn check_reason(reason: &str) -> Result<String> {
    let reason = clean_text(reason);
    if reason.is_empty() {
        return Err(Error::validation("reason", "say why the problem is not solved"));
    }
    if reason.chars().count() > MAX_TEXT_CHARS {
        return Err(Error::validation("reason", format!("at most {MAX_TEXT_CHARS} characters")));
    }
    Ok(reason)
}

/// Write the feedback on `c` (decorated) to the outbox, if it may be given now.
pub(crate) fn insert_feedback(
    tx: &Transaction<'_>,
    c: &Complaint,
    draft: &FeedbackDraft,
    now: i64,
) -> Result<()> {
    let draft = check_feedback(draft)?;
    let closed = allowed(c, FollowUpKind::Feedback, now)?;
    tx.execute(
        "INSERT INTO complaint_followups (local_id, kind, closed_datetime, resolved, rating, comment,
             idempotency_key, created_at)
         VALUES (?1, 'feedback', ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            c.local_id,
            closed,
            draft.resolved,
            i64::from(draft.rating),
            draft.comment,
            uuid::Uuid::new_v4().to_string(),
            now
        ],
    )?;
    Ok(())
}

/// Write a reopening of `c` (decorated) to the outbox, if it may be asked for now.
pub(crate) fn insert_reopen(tx: &Transaction<'_>, c: &Complaint, reason: &str, now: i64) -> Result<()> {
    let reason = check_reason(reason)?;
    let closed = allowed(c, FollowUpKind::Reopen, now)?;
    tx.execute(
        "INSERT INTO complaint_followups (local_id, kind, closed_datetime, reason, idempotency_key, created_at)
         VALUES (?1, 'reopen', ?2, ?3, ?4, ?5)",
        params![c.local_id, closed, reason, uuid::Uuid::new_v4().to_string(), now],
    )?;
    Ok(())
}

/// The closing a follow-up of `kind` would be about, or why it cannot be given.
fn allowed(c: &Complaint, kind: FollowUpKind, now: i64) -> Result<String> {
    let Some(closed) = c.closed_datetime.clone() else {
        return Err(Error::validation("local_id", "not closed yet: feedback and reopening come after it is"));
    };
    if c.server_id.is_none() || c.token.is_none() || c.reopen_until.is_none() {
        return Err(Error::validation(
            "local_id",
            "this complaints server does not take feedback or reopening",
        ));
    }
    match kind {
        FollowUpKind::Feedback if !c.can_give_feedback => {
            Err(Error::validation("local_id", "feedback already given for this complaint"))
        }
        FollowUpKind::Reopen if !c.can_reopen => {
            let past = c.reopen_until.is_some_and(|until| now >= until);
            Err(Error::validation(
                "local_id",
                if past {
                    format!("it can be reopened only within {REOPEN_DAYS} days of its closing")
                } else {
                    "already asked to reopen it".to_owned()
                },
            ))
        }
        _ => Ok(closed),
    }
}

/// The next follow-up to send (after `after_id`), with its complaint's ids: oldest first; without
/// `force`, only if it is due.
pub(crate) struct Pending {
    pub id: i64,
    pub local_id: String,
    pub server_id: String,
    pub token: String,
    pub kind: FollowUpKind,
    pub resolved: bool,
    pub rating: i64,
    pub comment: Option<String>,
    pub reason: String,
    pub idempotency_key: String,
    pub attempts: u32,
    pub next_attempt_at: i64,
}

pub(crate) fn next_pending(conn: &Connection, after_id: i64) -> Result<Option<Pending>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached(
            "SELECT f.id, f.local_id, c.server_id, c.token, f.kind, f.resolved, f.rating, f.comment, f.reason,
                    f.idempotency_key, f.attempts, f.next_attempt_at
             FROM complaint_followups f JOIN complaints c USING (local_id)
             WHERE f.state = 'queued' AND f.id > ?1 AND c.server_id IS NOT NULL AND c.token IS NOT NULL
             ORDER BY f.id LIMIT 1",
        )?
        .query_row([after_id], |r| {
            Ok(Pending {
                id: r.get(0)?,
                local_id: r.get(1)?,
                server_id: r.get(2)?,
                token: r.get(3)?,
                kind: FollowUpKind::parse(&r.get::<_, String>(4)?),
                resolved: r.get::<_, Option<bool>>(5)?.unwrap_or(false),
                rating: r.get::<_, Option<i64>>(6)?.unwrap_or(0),
                comment: r.get(7)?,
                reason: r.get::<_, Option<String>>(8)?.unwrap_or_default(),
                idempotency_key: r.get(9)?,
                attempts: r.get::<_, i64>(10)? as u32,
                next_attempt_at: r.get(11)?,
            })
        })
        .optional()?)
}

pub(crate) fn mark_sent(tx: &Transaction<'_>, id: i64, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE complaint_followups SET state = 'sent', sent_at = ?2, last_error = NULL, next_attempt_at = 0
         WHERE id = ?1 AND state = 'queued'",
        params![id, now],
    )?;
    Ok(())
}

pub(crate) fn mark_refused(tx: &Transaction<'_>, id: i64, reason: &str) -> Result<()> {
    tx.execute(
        "UPDATE complaint_followups SET state = 'refused', attempts = attempts + 1, last_error = ?2
         WHERE id = ?1 AND state = 'queued'",
        params![id, reason],
    )?;
    Ok(())
}

pub(crate) fn mark_retry(tx: &Transaction<'_>, id: i64, error: &str, next_attempt_at: i64) -> Result<()> {
    tx.execute(
        "UPDATE complaint_followups SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3
         WHERE id = ?1 AND state = 'queued'",
        params![id, error, next_attempt_at],
    )?;
    Ok(())
}

/// Follow-ups still queued.
pub(crate) fn remaining(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row("SELECT COUNT(*) FROM complaint_followups WHERE state = 'queued'", [], |r| {
        r.get::<_, i64>(0)
    })? as u32)
}
