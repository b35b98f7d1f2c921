//! Bringing the status changes and replies of the citizen's own sent complaints. Only the requests
//! still open (or closed in the last week) are asked for, by the spec's `service_request_id` list
//! (up to 50 per call). The municipality's own server is also sent `updated_after` and answers only
//! those changed since the oldest last-known update (and at least every 12 hours every one in
//! full, for what changes without changing `updated_datetime`: the followers count); any other
//! server gets the plain spec and answers every listed request, whose state is compared with what
//! the phone has. Every new history entry raises one event. The citizen's own complaints and the
//! requests they follow are watched alike.

use rusqlite::{params, OptionalExtension, Transaction};

use super::transport::Open311Transport;
use super::{Announce, ComplaintEvent, ComplaintUpdate};
use crate::clock::{rfc3339, Clock};
use crate::error::Result;
use crate::open311::RemoteRequest;
use crate::store::Store;

/// Ids per `requests.json` call (the spec's comma list; servers cap URL length).
const IDS_PER_CALL: usize = 50;
/// Closed complaints are still watched this long (a reopened one, a late reply).
const WATCH_CLOSED_MS: i64 = 7 * 24 * 3600 * 1000;
/// At least this often every watched request is asked for in full, without `updated_after`: what
/// changes a request without changing its `updated_datetime` (how many citizens follow it) is
/// seen then.
const FULL_REFRESH_MS: i64 = 12 * 3600 * 1000;
const LAST_FULL_KEY: &str = "last_full_refresh_ms";

#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RefreshReport {
    /// Complaints asked about.
    pub checked: u32,
    /// Complaints whose status or history changed.
    pub changed: u32,
    /// New history entries (status changes, notes, replies).
    pub new_updates: u32,
}

struct Watched {
    local_id: String,
    server_id: String,
    updated_datetime: Option<String>,
}

/// Resolve the tokens of complaints sent without an id, then ask for every watched complaint.
/// (The Open311 client's memory of refused extension fields is the caller's:
/// [`super::extensions::around`].)
pub async fn refresh<T: Open311Transport>(
    store: &Store,
    client: &T,
    clock: &dyn Clock,
    announce: &Announce,
) -> Result<RefreshReport> {
    resolve_tokens(store, client).await?;
    let now = clock.now_ms();
    let watched: Vec<Watched> = store.read(|c| {
        Ok(c.prepare_cached(
            "SELECT local_id, server_id, updated_datetime FROM complaints
             WHERE state = 'sent' AND server_id IS NOT NULL
               AND (COALESCE(status, 'open') != 'closed' OR COALESCE(sent_at, 0) > ?1 - ?2
                    OR updated_datetime > ?3)
             ORDER BY seq",
        )?
        .query_map(params![now, WATCH_CLOSED_MS, rfc3339(now - WATCH_CLOSED_MS)], |r| {
            Ok(Watched { local_id: r.get(0)?, server_id: r.get(1)?, updated_datetime: r.get(2)? })
        })?
        .collect::<Result<_, _>>()?)
    })?;
    let mut report = RefreshReport { checked: watched.len() as u32, ..Default::default() };
    let last_full: Option<i64> = store.read(|c| {
        Ok(c.prepare_cached("SELECT value FROM complaint_meta WHERE key = ?1")?
            .query_row([LAST_FULL_KEY], |r| r.get::<_, String>(0))
            .optional()?
            .and_then(|v| v.parse().ok()))
    })?;
    let full = last_full.is_none_or(|at| now - at >= FULL_REFRESH_MS || at > now);
    for chunk in watched.chunks(IDS_PER_CALL) {
        // Everything changed after the oldest state we know of; unknown → ask for all of them.
        let updated_after = chunk
            .iter()
            .map(|w| w.updated_datetime.clone())
            .collect::<Option<Vec<_>>>()
            .and_then(|v| v.into_iter().min())
            .filter(|_| !full);
        let ids: Vec<String> = chunk.iter().map(|w| w.server_id.clone()).collect();
        let remote = client.requests(&ids, updated_after.as_deref()).await?;
        let mut raised = Vec::new();
        store.write(|tx| {
            for r in &remote {
                let Some(w) = chunk.iter().find(|w| w.server_id == r.id) else { continue };
                let new = apply(tx, &w.local_id, r, now)?;
                if !new.is_empty() {
                    report.changed += 1;
                    report.new_updates += new.len() as u32;
                    raised.extend(new.into_iter().map(|u| (w.local_id.clone(), r.id.clone(), u)));
                }
            }
            Ok(())
        })?;
        // Emit after the commit, so a listener that reads the store sees the change.
        for (local_id, server_id, (update, worth_an_event)) in raised {
            if worth_an_event {
                announce(ComplaintEvent::Updated { local_id, server_id, update });
            }
        }
    }
    if full && !watched.is_empty() {
        store.write(|tx| {
            tx.execute(
                "INSERT INTO complaint_meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![LAST_FULL_KEY, now.to_string()],
            )?;
            Ok(())
        })?;
    }
    Ok(report)
}

/// Store what the server says about one complaint; returns the history entries that are new, each
/// with whether it is worth an event (the server's record of the creation itself is not: the
/// citizen knows they sent it).
pub(super) fn apply(
    tx: &Transaction<'_>,
    local_id: &str,
    r: &RemoteRequest,
    now: i64,
) -> Result<Vec<(ComplaintUpdate, bool)>> {
    type Known = (Option<String>, Option<String>, Option<String>, bool, Option<String>);
    let (status, detailed, notes, followed, followed_at): Known = tx.query_row(
        "SELECT status, detailed_status, status_notes, followed, followed_at FROM complaints WHERE local_id = ?1",
        [local_id],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)),
    )?;
    let mut incoming: Vec<ComplaintUpdate> = r.updates.iter().cloned().map(ComplaintUpdate::from).collect();
    // A server without a history extension: a change of state is an entry of its own.
    let detailed_now = r.detailed_status.clone().or_else(|| detailed.clone().filter(|_| r.status == "open"));
    let state_changed = Some(&r.status) != status.as_ref()
        || r.detailed_status.is_some() && r.detailed_status != detailed
        || r.status_notes != notes;
    if incoming.is_empty() && state_changed {
        let when = r.updated_datetime.clone().unwrap_or_else(|| rfc3339(now));
        incoming.push(ComplaintUpdate {
            update_id: format!("state-{when}-{}", r.status),
            status: r.status.clone(),
            detailed_status: r.detailed_status.clone(),
            description: r.status_notes.clone().unwrap_or_default(),
            media_url: None,
            updated_datetime: when,
        });
    }
    let had_history = tx
        .prepare_cached("SELECT 1 FROM complaint_updates WHERE local_id = ?1 LIMIT 1")?
        .exists([local_id])?;
    let mut new: Vec<(ComplaintUpdate, bool)> = Vec::new();
    for (i, u) in incoming.into_iter().enumerate() {
        // The server's record of the creation is no news to the citizen who sent it; to one who
        // followed the request, its history up to the following is none either (judged on the
        // server's clock; without it, the whole first history).
        let creation = if followed {
            !had_history && followed_at.as_deref().is_none_or(|at| !after(&u.updated_datetime, at))
        } else {
            !had_history && i == 0 && !r.updates.is_empty()
        };
        let known = tx
            .prepare_cached("SELECT 1 FROM complaint_updates WHERE local_id = ?1 AND update_id = ?2")?
            .query_row(params![local_id, u.update_id], |_| Ok(()))
            .optional()?
            .is_some();
        if known {
            continue;
        }
        tx.prepare_cached(
            "INSERT INTO complaint_updates (local_id, update_id, position, status, detailed_status, description, media_url, updated_datetime)
             VALUES (?1, ?2, (SELECT COALESCE(MAX(position), 0) + 1 FROM complaint_updates WHERE local_id = ?1), ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![local_id, u.update_id, u.status, u.detailed_status, u.description, u.media_url, u.updated_datetime])?;
        new.push((u, !creation));
    }
    let latest_detailed = new.iter().rev().find_map(|(u, _)| u.detailed_status.clone()).or(detailed_now);
    tx.execute(
        "UPDATE complaints SET status = ?2, detailed_status = COALESCE(?3, detailed_status), status_notes = ?4,
            updated_datetime = COALESCE(?5, updated_datetime), expected_datetime = COALESCE(?6, expected_datetime),
            followers = COALESCE(?7, followers)
         WHERE local_id = ?1",
        params![
            local_id,
            r.status,
            r.detailed_status.clone().or(latest_detailed),
            r.status_notes,
            r.updated_datetime,
            r.expected_datetime,
            r.followers
        ],
    )?;
    Ok(new)
}

/// Whether RFC 3339 time `a` is later than `b` (an unreadable one is not).
fn after(a: &str, b: &str) -> bool {
    let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
    matches!((at(a), at(b)), (Some(a), Some(b)) if a > b)
}

/// Servers that answer a POST with a token assign the id later: ask for it.
async fn resolve_tokens<T: Open311Transport>(store: &Store, client: &T) -> Result<()> {
    let pending: Vec<(String, String)> = store.read(|c| {
        Ok(c.prepare_cached("SELECT local_id, token FROM complaints WHERE state = 'sent' AND server_id IS NULL AND token IS NOT NULL")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?)
    })?;
    for (local_id, token) in pending {
        if let Some(id) = client.resolve_token(&token).await? {
            store.write(|tx| {
                tx.execute(
                    "UPDATE complaints SET server_id = ?2 WHERE local_id = ?1",
                    params![local_id, id],
                )?;
                Ok(())
            })?;
        }
    }
    Ok(())
}
