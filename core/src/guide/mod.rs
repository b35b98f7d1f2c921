//! The procedures guide and the violations guide, kept offline: reads come from the local store,
//! [`service::Guide::sync`] brings changes from the municipal API ([`sync`] applies them in one
//! transaction); [`search`] and [`index`] find entries offline.

pub mod index;
pub mod search;
pub mod service;
pub mod sync;

use baladiya_wire::{Category, Department, Service, Violation};
use rusqlite::{Connection, OptionalExtension};
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Read one stored JSON document by id from `table` (a fixed table name, never user input).
pub(crate) fn read_doc<T: DeserializeOwned>(conn: &Connection, table: &str, id: &str) -> Result<Option<T>> {
    let sql = format!("SELECT doc FROM {table} WHERE id = ?1");
    let doc: Option<String> = conn.prepare_cached(&sql)?.query_row([id], |r| r.get(0)).optional()?;
    doc.map(|d| parse_doc(&d)).transpose()
}

fn read_all<T: DeserializeOwned>(conn: &Connection, sql: &str, arg: Option<&str>) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let docs: Vec<String> = match arg {
        Some(a) => stmt.query_map([a], |r| r.get(0))?.collect::<Result<_, _>>()?,
        None => stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?,
    };
    docs.iter().map(|d| parse_doc(d)).collect()
}

fn parse_doc<T: DeserializeOwned>(doc: &str) -> Result<T> {
    serde_json::from_str(doc).map_err(|e| Error::Storage(format!("stored document unreadable: {e}")))
}

pub fn service(conn: &Connection, id: &str) -> Result<Option<Service>> {
    read_doc(conn, "services", id)
}

/// All services, or those of one category, in title order of the stored Arabic text.
pub fn services(conn: &Connection, category_id: Option<&str>) -> Result<Vec<Service>> {
    match category_id {
        Some(c) => read_all(conn, "SELECT doc FROM services WHERE category_id = ?1 ORDER BY id", Some(c)),
        None => read_all(conn, "SELECT doc FROM services ORDER BY id", None),
    }
}

pub fn violation(conn: &Connection, id: &str) -> Result<Option<Violation>> {
    read_doc(conn, "violations", id)
}

pub fn violations(conn: &Connection) -> Result<Vec<Violation>> {
    read_all(conn, "SELECT doc FROM violations ORDER BY id", None)
}

pub fn departments(conn: &Connection) -> Result<Vec<Department>> {
    read_all(conn, "SELECT doc FROM departments ORDER BY id", None)
}

pub fn categories(conn: &Connection) -> Result<Vec<Category>> {
    read_all(conn, "SELECT doc FROM categories ORDER BY id", None)
}

/// The catalogue version held locally, `None` before the first sync.
pub fn local_version(conn: &Connection) -> Result<Option<i64>> {
    Ok(meta(conn, "version")?.and_then(|v| v.parse().ok()))
}

pub(crate) fn meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM guide_meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}
