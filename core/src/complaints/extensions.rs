//! The extension fields the Open311 server refused by name ([`crate::open311::extensions`]), kept
//! in the store so that a restarted app does not send them again (each refusal costs a round
//! trip, seconds on 2G). They live in `complaint_meta` under the endpoint they were learned from:
//! pointing the app at another server starts afresh.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::open311::Open311Client;
use crate::store::Store;

const KEY: &str = "open311_refused_extensions";

#[derive(Serialize, Deserialize)]
struct Remembered {
    endpoint: String,
    fields: Vec<String>,
}

/// Hand the client what the store remembers of its endpoint (once per client).
pub fn restore(store: &Store, client: &Open311Client) -> Result<()> {
    if !client.needs_restore() {
        return Ok(());
    }
    let doc: Option<String> = store.read(|c| {
        Ok(c.prepare_cached("SELECT value FROM complaint_meta WHERE key = ?1")?
            .query_row([KEY], |r| r.get(0))
            .optional()?)
    })?;
    // An unreadable copy is only a lost optimisation: the next refusal teaches it again.
    let fields = doc
        .and_then(|d| serde_json::from_str::<Remembered>(&d).ok())
        .filter(|r| r.endpoint == client.config().endpoint)
        .map(|r| r.fields)
        .unwrap_or_default();
    client.restore_refused(fields);
    Ok(())
}

/// Keep what the client learned since the last save.
pub fn save(store: &Store, client: &Open311Client) -> Result<()> {
    let Some(fields) = client.take_unsaved_refusals() else { return Ok(()) };
    let doc = serde_json::to_string(&Remembered { endpoint: client.config().endpoint.clone(), fields })
        .map_err(|e| Error::Storage(e.to_string()))?;
    store.write(|tx| {
        tx.execute(
            "INSERT INTO complaint_meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![KEY, doc],
        )?;
        Ok(())
    })
}

/// Run `work` with the client knowing what the store remembers, and keep what it learned, also
/// when `work` fails (the refusal was learned all the same).
pub async fn around<T>(
    store: &Store,
    client: &Open311Client,
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    restore(store, client)?;
    let out = work.await;
    save(store, client)?;
    out
}
