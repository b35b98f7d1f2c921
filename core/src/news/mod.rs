//! News from the municipality: the latest 100 items kept offline, refreshed with one conditional
//! request (a 304 costs a few hundred bytes), with read marks kept on the phone.

use std::collections::HashSet;

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use baladiya_wire::{NewsItem, NewsPage};

use crate::api::{ApiClient, Fetched};
use crate::error::{Error, Result};

/// How many items are kept offline.
pub const KEPT: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewsReport {
    pub not_modified: bool,
    /// Items not seen before.
    pub new_items: u32,
    /// Items that disappeared (withdrawn by the municipality).
    pub withdrawn: u32,
    /// New items marked important, for a notification.
    pub important: Vec<NewsItem>,
    pub bytes_received: u64,
}

/// A stored item with its read mark.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct StoredNews {
    pub item: NewsItem,
    pub read: bool,
}

fn meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM news_meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

/// One conditional request for the newest `KEPT` items.
pub async fn fetch(api: &ApiClient, etag: Option<&str>) -> Result<Fetched<NewsPage>> {
    api.get_json(&format!("api/v1/news?limit={KEPT}"), etag).await
}

pub fn etag(conn: &Connection) -> Result<Option<String>> {
    meta(conn, "etag")
}

/// Replace the offline set with the server's newest items, keeping read marks.
pub fn apply(
    tx: &Transaction<'_>,
    page: &NewsPage,
    etag: Option<&str>,
) -> Result<(NewsReport, Vec<NewsItem>)> {
    let before: HashSet<String> =
        tx.prepare("SELECT id FROM news_items")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let first_load = before.is_empty() && meta(tx, "etag")?.is_none();
    let keep: HashSet<&str> = page.items.iter().map(|i| i.id.as_str()).collect();
    let mut report = NewsReport::default();
    for id in before.iter().filter(|id| !keep.contains(id.as_str())) {
        tx.execute("DELETE FROM news_items WHERE id = ?1", [id])?;
        report.withdrawn += 1;
    }
    let mut new = Vec::new();
    for item in page.items.iter().take(KEPT) {
        let doc = serde_json::to_string(item).map_err(|e| Error::Storage(e.to_string()))?;
        tx.prepare_cached(
            "INSERT INTO news_items (id, published_at, doc) VALUES (?1, ?2, ?3)
             ON CONFLICT(id) DO UPDATE SET published_at = excluded.published_at, doc = excluded.doc",
        )?
        .execute(params![item.id, item.published_at, doc])?;
        if !before.contains(&item.id) {
            report.new_items += 1;
            // On the very first load nothing is "news" to notify about.
            if item.important && !first_load {
                report.important.push(item.clone());
            }
            new.push(item.clone());
        }
    }
    match etag {
        Some(e) => {
            tx.execute("INSERT INTO news_meta (key, value) VALUES ('etag', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value", [e])?;
        }
        None => {
            tx.execute("DELETE FROM news_meta WHERE key = 'etag'", [])?;
        }
    }
    Ok((report, new))
}

/// The offline items, newest first.
pub fn list(conn: &Connection, unread_only: bool) -> Result<Vec<StoredNews>> {
    let sql = if unread_only {
        "SELECT doc, read FROM news_items WHERE read = 0 ORDER BY published_at DESC, id"
    } else {
        "SELECT doc, read FROM news_items ORDER BY published_at DESC, id"
    };
    let rows: Vec<(String, bool)> =
        conn.prepare_cached(sql)?.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    rows.into_iter()
        .map(|(doc, read)| {
            Ok(StoredNews {
                item: serde_json::from_str(&doc).map_err(|e| Error::Storage(e.to_string()))?,
                read,
            })
        })
        .collect()
}

pub fn unread_count(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row("SELECT COUNT(*) FROM news_items WHERE read = 0", [], |r| r.get::<_, i64>(0))? as u32)
}

/// Mark one item read (`Some(id)`) or all of them (`None`).
pub fn mark_read(conn: &Connection, id: Option<&str>) -> Result<()> {
    match id {
        Some(id) => {
            if conn.execute("UPDATE news_items SET read = 1 WHERE id = ?1", [id])? == 0 {
                return Err(Error::NotFound(format!("news item {id}")));
            }
        }
        None => {
            conn.execute("UPDATE news_items SET read = 1", [])?;
        }
    }
    Ok(())
}

/// The news as a feature service: its store access and its one network call. It raises no
/// events: the facade ([`crate::Baladiya`]) announces the items [`News::refresh`] found new.
pub struct News {
    store: std::sync::Arc<crate::store::Store>,
    api: std::sync::Arc<ApiClient>,
}

impl News {
    pub fn new(store: std::sync::Arc<crate::store::Store>, api: std::sync::Arc<ApiClient>) -> News {
        News { store, api }
    }

    /// Refresh the offline news (one conditional request); the report, and the items not seen
    /// before.
    pub async fn refresh(&self) -> Result<(NewsReport, Vec<NewsItem>)> {
        let etag = self.store.read(etag)?;
        match fetch(&self.api, etag.as_deref()).await? {
            Fetched::NotModified { wire_bytes } => Ok((
                NewsReport { not_modified: true, bytes_received: wire_bytes, ..Default::default() },
                Vec::new(),
            )),
            Fetched::Fresh { value, etag, wire_bytes } => {
                let (mut report, new) = self.store.write(|tx| apply(tx, &value, etag.as_deref()))?;
                report.bytes_received = wire_bytes;
                Ok((report, new))
            }
        }
    }

    /// The offline news, newest first.
    pub fn list(&self, unread_only: bool) -> Result<Vec<StoredNews>> {
        self.store.read(|c| list(c, unread_only))
    }

    pub fn unread_count(&self) -> Result<u32> {
        self.store.read(unread_count)
    }

    /// Mark one item read, or all of them with `None`.
    pub fn mark_read(&self, id: Option<&str>) -> Result<()> {
        self.store.write(|tx| mark_read(tx, id))
    }
}
