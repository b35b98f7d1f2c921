//! The procedures guide's catalogue (services and violations) in the server's database: reading
//! it whole or as a delta, and staff edits that bump the catalogue version. The complaint
//! categories are another thing, in [`crate::open311::categories`].

use crate::sql::{params, Conn};
use baladiya_wire::{CatalogueSeed, Category, Department, GuideResponse, Service, Violation};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Which table a guide entry lives in. Only these two names ever reach SQL text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Service,
    Violation,
}

impl Kind {
    fn table(self) -> &'static str {
        match self {
            Kind::Service => "services",
            Kind::Violation => "violations",
        }
    }
    fn tag(self) -> &'static str {
        match self {
            Kind::Service => "service",
            Kind::Violation => "violation",
        }
    }
}

pub fn version(conn: &Conn) -> Result<i64, ApiError> {
    Ok(conn.query_row("SELECT value FROM catalogue_meta WHERE key = 'version'", (), |r| r.get(0))?)
}

fn docs<T: DeserializeOwned>(
    conn: &Conn,
    sql: &str,
    args: impl crate::sql::Params,
) -> Result<Vec<T>, ApiError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows: Vec<String> = stmt.query_map(args, |r| r.get(0))?.collect::<Result<_, _>>()?;
    rows.iter().map(|d| serde_json::from_str(d).map_err(ApiError::from)).collect()
}

fn ids(conn: &Conn, kind: Kind, since: i64) -> Result<Vec<String>, ApiError> {
    let mut stmt =
        conn.prepare_cached("SELECT id FROM tombstones WHERE kind = ?1 AND version > ?2 ORDER BY id")?;
    let rows = stmt.query_map(params![kind.tag(), since], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The catalogue at its current version: whole when `since` is `None` or unknown to this server
/// (newer than its version, e.g. after a restore), otherwise what changed after `since`.
pub fn read(conn: &Conn, since: Option<i64>) -> Result<GuideResponse, ApiError> {
    let version = version(conn)?;
    let since = since.filter(|s| *s <= version && *s >= 0);
    let from = since.unwrap_or(-1);
    Ok(GuideResponse {
        version,
        since,
        departments: docs::<Department>(conn, "SELECT doc FROM departments ORDER BY id", ())?,
        categories: docs::<Category>(conn, "SELECT doc FROM categories ORDER BY id", ())?,
        services: docs(conn, "SELECT doc FROM services WHERE version > ?1 ORDER BY id", [from])?,
        violations: docs(conn, "SELECT doc FROM violations WHERE version > ?1 ORDER BY id", [from])?,
        removed_services: if since.is_some() { ids(conn, Kind::Service, from)? } else { Vec::new() },
        removed_violations: if since.is_some() { ids(conn, Kind::Violation, from)? } else { Vec::new() },
    })
}

fn bump(tx: &Conn) -> Result<i64, ApiError> {
    tx.execute("UPDATE catalogue_meta SET value = value + 1 WHERE key = 'version'", ())?;
    version(tx)
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn write_entry(tx: &Conn, kind: Kind, id: &str, version: i64, doc: &str) -> Result<(), ApiError> {
    let sql = format!(
        "INSERT INTO {} (id, version, doc) VALUES (?1, ?2, ?3)
         ON CONFLICT(id) DO UPDATE SET version = excluded.version, doc = excluded.doc",
        kind.table()
    );
    tx.execute(&sql, params![id, version, doc])?;
    tx.execute("DELETE FROM tombstones WHERE kind = ?1 AND id = ?2", params![kind.tag(), id])?;
    Ok(())
}

fn exists(conn: &Conn, table: &str, id: &str) -> Result<bool, ApiError> {
    Ok(conn.prepare_cached(&format!("SELECT 1 FROM {table} WHERE id = ?1"))?.exists([id])?)
}

fn check_refs(conn: &Conn, department_id: &str, category_id: Option<&str>) -> Result<(), ApiError> {
    if !exists(conn, "departments", department_id)? {
        return Err(ApiError::BadRequest(format!("unknown department_id {department_id}")));
    }
    if let Some(c) = category_id {
        if !exists(conn, "categories", c)? {
            return Err(ApiError::BadRequest(format!("unknown category_id {c}")));
        }
    }
    Ok(())
}

fn check_id(path_id: &str, body_id: &str) -> Result<(), ApiError> {
    let valid = !path_id.is_empty()
        && path_id.len() <= 64
        && path_id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        return Err(ApiError::BadRequest("id must be 1-64 of a-z, 0-9 and -".into()));
    }
    if path_id != body_id {
        return Err(ApiError::BadRequest("id in the body differs from the id in the path".into()));
    }
    Ok(())
}

/// Create or replace a service; returns the new catalogue version.
pub fn put_service(conn: &Conn, id: &str, mut s: Service) -> Result<i64, ApiError> {
    check_id(id, &s.id)?;
    if s.title.ar.trim().is_empty() || s.title.en.trim().is_empty() {
        return Err(ApiError::BadRequest("title needs Arabic and English".into()));
    }
    let tx = conn.transaction()?;
    check_refs(&tx, &s.department_id, Some(&s.category_id))?;
    let version = bump(&tx)?;
    s.version = version;
    s.updated_at = now();
    write_entry(&tx, Kind::Service, id, version, &serde_json::to_string(&s)?)?;
    tx.commit()?;
    Ok(version)
}

/// Create or replace a violation; returns the new catalogue version.
pub fn put_violation(conn: &Conn, id: &str, mut v: Violation) -> Result<i64, ApiError> {
    check_id(id, &v.id)?;
    if v.offence.ar.trim().is_empty() || v.fine_min_minor > v.fine_max_minor || v.fine_min_minor < 0 {
        return Err(ApiError::BadRequest(
            "offence needs Arabic text and the fine range must be 0 <= min <= max".into(),
        ));
    }
    let tx = conn.transaction()?;
    check_refs(&tx, &v.department_id, None)?;
    let version = bump(&tx)?;
    v.version = version;
    v.updated_at = now();
    write_entry(&tx, Kind::Violation, id, version, &serde_json::to_string(&v)?)?;
    tx.commit()?;
    Ok(version)
}

/// Remove an entry, leaving a tombstone; returns the new catalogue version.
pub fn remove(conn: &Conn, kind: Kind, id: &str) -> Result<i64, ApiError> {
    let tx = conn.transaction()?;
    let deleted = tx.execute(&format!("DELETE FROM {} WHERE id = ?1", kind.table()), [id])?;
    if deleted == 0 {
        return Err(ApiError::NotFound);
    }
    let version = bump(&tx)?;
    tx.execute(
        "INSERT INTO tombstones (kind, id, version) VALUES (?1, ?2, ?3)
         ON CONFLICT(kind, id) DO UPDATE SET version = excluded.version",
        params![kind.tag(), id, version],
    )?;
    tx.commit()?;
    Ok(version)
}

/// Load the sample catalogue into an empty database (version 0); a catalogue already there is kept.
pub fn seed_if_empty(conn: &Conn, seed: &CatalogueSeed) -> Result<bool, ApiError> {
    // Checked inside the write transaction: of two processes starting on one database, one seeds.
    let tx = conn.transaction()?;
    if version(&tx)? != 0 {
        return Ok(false);
    }
    for d in &seed.departments {
        tx.execute(
            "INSERT INTO departments (id, doc) VALUES (?1, ?2)",
            params![d.id, serde_json::to_string(d)?],
        )?;
    }
    for c in &seed.categories {
        tx.execute(
            "INSERT INTO categories (id, doc) VALUES (?1, ?2)",
            params![c.id, serde_json::to_string(c)?],
        )?;
    }
    let version = bump(&tx)?;
    let stamp = now();
    for s in &seed.services {
        let s = Service { version, updated_at: stamp.clone(), ..s.clone() };
        write_entry(&tx, Kind::Service, &s.id, version, &serde_json::to_string(&s)?)?;
    }
    for v in &seed.violations {
        let v = Violation { version, updated_at: stamp.clone(), ..v.clone() };
        write_entry(&tx, Kind::Violation, &v.id, version, &serde_json::to_string(&v)?)?;
    }
    tx.commit()?;
    Ok(true)
}

/// The sample catalogue shipped in the repository (`server/data/sample-catalogue.json`).
pub fn sample() -> Result<CatalogueSeed, serde_json::Error> {
    serde_json::from_str(include_str!("../data/sample-catalogue.json"))
}
