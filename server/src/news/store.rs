//! News items in the server's database.

use crate::sql::{params, Conn, OptionalExt};
use baladiya_wire::NewsItem;

use crate::error::ApiError;

pub fn version(conn: &Conn) -> Result<i64, ApiError> {
    Ok(conn.query_row("SELECT value FROM news_meta WHERE key = 'version'", (), |r| r.get(0))?)
}

fn bump(tx: &Conn) -> Result<i64, ApiError> {
    tx.execute("UPDATE news_meta SET value = value + 1 WHERE key = 'version'", ())?;
    version(tx)
}

/// A position in the list: items strictly older than (published_at, id).
pub type After = (String, String);

/// Up to `limit` listed items, newest first, after `after`; and whether more follow.
pub fn page(conn: &Conn, limit: u32, after: Option<&After>) -> Result<(Vec<NewsItem>, bool), ApiError> {
    let (p, id) = match after {
        Some((p, id)) => (Some(p.as_str()), Some(id.as_str())),
        None => (None, None),
    };
    let mut stmt = conn.prepare_cached(
        "SELECT doc FROM news_items
         WHERE withdrawn_at IS NULL AND (CAST(?1 AS TEXT) IS NULL OR (published_at, id) < (CAST(?1 AS TEXT), CAST(?2 AS TEXT)))
         ORDER BY published_at DESC, id DESC LIMIT ?3",
    )?;
    let mut items: Vec<NewsItem> = stmt
        .query_map(params![p, id, i64::from(limit) + 1], |r| r.get::<_, String>(0))?
        .map(|d| Ok(serde_json::from_str(&d?)?))
        .collect::<Result<_, ApiError>>()?;
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    Ok((items, more))
}

/// Has an item (listed or withdrawn) this id?
pub fn exists(conn: &Conn, id: &str) -> Result<bool, ApiError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM news_items WHERE id = ?1")?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Store a sanitised item; returns the new list version, or `None` if the id is taken.
pub fn publish(conn: &Conn, item: &NewsItem) -> Result<Option<i64>, ApiError> {
    let tx = conn.transaction()?;
    if exists(&tx, &item.id)? {
        return Ok(None);
    }
    insert(&tx, item)?;
    let v = bump(&tx)?;
    if item.important {
        to_subscribers(&tx, item)?;
    }
    tx.commit()?;
    Ok(Some(v))
}

/// An important item goes to the channels' news subscribers (queued in the same transaction; see
/// `channels::outbound`); queued once per item and subscriber whatever calls this again.
fn to_subscribers(tx: &Conn, item: &NewsItem) -> Result<(), ApiError> {
    let summary: String = item.body.ar.chars().take(200).collect();
    crate::channels::outbound::queue_news(tx, &item.id, &item.title.ar, &summary, chrono::Utc::now())?;
    Ok(())
}

fn insert(tx: &Conn, item: &NewsItem) -> Result<(), ApiError> {
    tx.execute(
        "INSERT INTO news_items (id, published_at, doc) VALUES (?1, ?2, ?3)",
        params![item.id, item.published_at, serde_json::to_string(item)?],
    )?;
    Ok(())
}

/// Withdraw an item: `Ok(None)` if there is no such item; the list version otherwise (unchanged
/// when it was already withdrawn).
pub fn withdraw(conn: &Conn, id: &str, now: &str) -> Result<Option<i64>, ApiError> {
    let tx = conn.transaction()?;
    let state: Option<Option<String>> = tx
        .prepare_cached("SELECT withdrawn_at FROM news_items WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let v = match state {
        None => return Ok(None),
        Some(Some(_)) => version(&tx)?,
        Some(None) => {
            tx.execute("UPDATE news_items SET withdrawn_at = ?2 WHERE id = ?1", params![id, now])?;
            bump(&tx)?
        }
    };
    tx.commit()?;
    Ok(Some(v))
}

/// Mark a listed item important (worth a notification) or not: `Ok(None)` if there is no such
/// listed item; the list version otherwise (moved only by a change).
pub fn set_important(conn: &Conn, id: &str, important: bool) -> Result<Option<i64>, ApiError> {
    let tx = conn.transaction()?;
    let doc: Option<String> = tx
        .prepare_cached("SELECT doc FROM news_items WHERE id = ?1 AND withdrawn_at IS NULL")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let Some(doc) = doc else { return Ok(None) };
    let mut item: NewsItem = serde_json::from_str(&doc)?;
    let v = if item.important == important {
        version(&tx)?
    } else {
        item.important = important;
        tx.execute(
            "UPDATE news_items SET doc = ?2 WHERE id = ?1",
            params![id, serde_json::to_string(&item)?],
        )?;
        if important {
            to_subscribers(&tx, &item)?;
        }
        bump(&tx)?
    };
    tx.commit()?;
    Ok(Some(v))
}

/// Load `items` (already sanitised) if there is no news yet.
pub fn seed_if_empty(conn: &Conn, items: &[NewsItem]) -> Result<bool, ApiError> {
    // Checked inside the write transaction: of two processes starting on one database, one seeds.
    let tx = conn.transaction()?;
    let count: i64 = tx.query_row("SELECT COUNT(*) FROM news_items", (), |r| r.get(0))?;
    if count > 0 {
        return Ok(false);
    }
    for item in items {
        insert(&tx, item)?;
    }
    bump(&tx)?;
    tx.commit()?;
    Ok(true)
}
