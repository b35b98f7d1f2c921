//! Applying a guide response from the server to the local store, in one transaction: either the
//! whole change lands (with the index and the new version) or none of it does.

use std::collections::HashSet;

use baladiya_wire::{GuideResponse, Service, Violation};
use rusqlite::{params, Transaction};

use super::index::{self, KIND_SERVICE, KIND_VIOLATION};
use crate::error::Result;

/// What a guide sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GuideSyncReport {
    /// The server said nothing changed (HTTP 304).
    pub not_modified: bool,
    /// The server sent the whole catalogue rather than a delta.
    pub full: bool,
    /// The catalogue version now held locally.
    pub version: i64,
    pub services_added: u32,
    pub services_updated: u32,
    pub services_removed: u32,
    pub violations_changed: u32,
    pub violations_removed: u32,
    /// Bytes received on the wire for this sync: status line, headers and (compressed) body.
    pub bytes_received: u64,
}

/// Store `resp` (full or delta) and its ETag; returns the counts of what changed.
pub fn apply(tx: &Transaction<'_>, resp: &GuideResponse, etag: Option<&str>) -> Result<GuideSyncReport> {
    let mut report =
        GuideSyncReport { full: resp.since.is_none(), version: resp.version, ..Default::default() };
    // Before a full replacement, remember what was there so the report still says what changed.
    let mut before: HashSet<String> = HashSet::new();
    if report.full {
        before =
            tx.prepare("SELECT id FROM services")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        let kept: HashSet<&str> = resp.services.iter().map(|s| s.id.as_str()).collect();
        report.services_removed = before.iter().filter(|id| !kept.contains(id.as_str())).count() as u32;
        index::clear(tx)?;
        tx.execute_batch("DELETE FROM services; DELETE FROM violations;")?;
    }
    tx.execute_batch("DELETE FROM departments; DELETE FROM categories;")?;
    for d in &resp.departments {
        tx.prepare_cached("INSERT INTO departments (id, doc) VALUES (?1, ?2)")?
            .execute(params![d.id, serde_json::to_string(d).unwrap_or_default()])?;
    }
    for c in &resp.categories {
        tx.prepare_cached("INSERT INTO categories (id, doc) VALUES (?1, ?2)")?
            .execute(params![c.id, serde_json::to_string(c).unwrap_or_default()])?;
    }
    for s in &resp.services {
        let existed = upsert_service(tx, s)? || before.contains(&s.id);
        if !existed {
            report.services_added += 1;
        } else {
            report.services_updated += 1;
        }
    }
    for v in &resp.violations {
        upsert_violation(tx, v)?;
        report.violations_changed += 1;
    }
    if !report.full {
        for id in &resp.removed_services {
            index::remove(tx, KIND_SERVICE, id)?;
            report.services_removed += tx.execute("DELETE FROM services WHERE id = ?1", [id])? as u32;
        }
        for id in &resp.removed_violations {
            index::remove(tx, KIND_VIOLATION, id)?;
            report.violations_removed += tx.execute("DELETE FROM violations WHERE id = ?1", [id])? as u32;
        }
    }
    set_meta(tx, "version", &resp.version.to_string())?;
    match etag {
        Some(e) => set_meta(tx, "etag", e)?,
        None => {
            tx.execute("DELETE FROM guide_meta WHERE key = 'etag'", [])?;
        }
    }
    Ok(report)
}

/// Insert or update a service, keeping its rowid (the index is keyed on it). True when it existed.
fn upsert_service(tx: &Transaction<'_>, s: &Service) -> Result<bool> {
    let existed = tx.prepare_cached("SELECT 1 FROM services WHERE id = ?1")?.exists([&s.id])?;
    tx.prepare_cached(
        "INSERT INTO services (id, category_id, version, doc) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(id) DO UPDATE SET category_id = excluded.category_id, version = excluded.version, doc = excluded.doc",
    )?
    .execute(params![s.id, s.category_id, s.version, serde_json::to_string(s).unwrap_or_default()])?;
    index::put_service(tx, s)?;
    Ok(existed)
}

fn upsert_violation(tx: &Transaction<'_>, v: &Violation) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO violations (id, version, doc) VALUES (?1, ?2, ?3)
         ON CONFLICT(id) DO UPDATE SET version = excluded.version, doc = excluded.doc",
    )?
    .execute(params![v.id, v.version, serde_json::to_string(v).unwrap_or_default()])?;
    index::put_violation(tx, v)
}

fn set_meta(tx: &Transaction<'_>, key: &str, value: &str) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO guide_meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}
