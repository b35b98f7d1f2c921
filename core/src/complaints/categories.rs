//! The Open311 categories and their definitions, cached so a complaint can be checked and filed
//! with no network.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{Error, Result};
use crate::open311::{AttributeDef, ComplaintCategory, Open311Client};
use crate::store::Store;

/// Fetch the categories and the definition of each that has attributes, then replace the cache
/// in one transaction (a failure leaves the old cache whole).
pub async fn refresh(store: &Store, client: &Open311Client) -> Result<usize> {
    super::extensions::around(store, client, fetch_and_store(store, client)).await
}

async fn fetch_and_store(store: &Store, client: &Open311Client) -> Result<usize> {
    // One request brings every form from the municipality's server; a category whose form did
    // not come with it (another city's server, an older deployment) costs a request of its own.
    let (categories, mut forms) = client.services_with_definitions().await?;
    let mut defs = Vec::with_capacity(categories.len());
    for c in &categories {
        defs.push(match (c.has_attributes, forms.remove(&c.code)) {
            (false, _) => None,
            (true, Some(form)) => Some(form),
            (true, None) => Some(client.definition(&c.code).await?),
        });
    }
    store.write(|tx| {
        tx.execute("DELETE FROM complaint_categories", [])?;
        for (i, (c, d)) in categories.iter().zip(&defs).enumerate() {
            let doc = serde_json::to_string(c).map_err(|e| Error::Storage(e.to_string()))?;
            let def = d
                .as_ref()
                .map(serde_json::to_string)
                .transpose()
                .map_err(|e| Error::Storage(e.to_string()))?;
            tx.execute(
                "INSERT INTO complaint_categories (code, position, doc, definition) VALUES (?1, ?2, ?3, ?4)",
                params![c.code, i as i64, doc, def],
            )?;
        }
        Ok(())
    })?;
    Ok(categories.len())
}

pub fn list(conn: &Connection) -> Result<Vec<ComplaintCategory>> {
    let docs: Vec<String> = conn
        .prepare_cached("SELECT doc FROM complaint_categories ORDER BY position")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    docs.iter().map(|d| serde_json::from_str(d).map_err(|e| Error::Storage(e.to_string()))).collect()
}

pub fn get(conn: &Connection, code: &str) -> Result<Option<(ComplaintCategory, Option<Vec<AttributeDef>>)>> {
    let row: Option<(String, Option<String>)> = conn
        .prepare_cached("SELECT doc, definition FROM complaint_categories WHERE code = ?1")?
        .query_row([code], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((doc, def)) = row else { return Ok(None) };
    let category = serde_json::from_str(&doc).map_err(|e| Error::Storage(e.to_string()))?;
    let definition =
        def.map(|d| serde_json::from_str(&d)).transpose().map_err(|e| Error::Storage(e.to_string()))?;
    Ok(Some((category, definition)))
}

pub fn any_cached(conn: &Connection) -> Result<bool> {
    Ok(conn.prepare_cached("SELECT 1 FROM complaint_categories LIMIT 1")?.exists([])?)
}
