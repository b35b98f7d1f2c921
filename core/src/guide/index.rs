//! Keeping the search index (`guide_fts`) in step with the stored catalogue. Every write of a service
//! or violation goes through here inside the same transaction, so the index can never disagree with
//! what is shown.

use baladiya_wire::{Localized, Service, Violation};
use rusqlite::{params, OptionalExtension, Transaction};

use crate::error::Result;
use crate::text::index_text;

pub const KIND_SERVICE: &str = "service";
pub const KIND_VIOLATION: &str = "violation";

/// The three ranked fields of a document (title, keywords, body) and what a hit displays.
struct Fields<'a> {
    title: String,
    keywords: String,
    body: String,
    shown_title: &'a Localized,
    shown_summary: &'a Localized,
}

fn service_fields(s: &Service) -> Fields<'_> {
    let mut body = vec![s.summary.ar.as_str(), s.summary.en.as_str()];
    for step in &s.steps {
        body.extend([step.ar.as_str(), step.en.as_str()]);
    }
    for doc in &s.documents {
        body.extend([doc.name.ar.as_str(), doc.name.en.as_str()]);
    }
    // A published question reads like what the next citizen types: ranked with the keywords; its
    // answer with the body.
    let mut keywords: Vec<&str> = s.keywords.iter().map(String::as_str).collect();
    for faq in &s.faqs {
        keywords.extend([faq.question.ar.as_str(), faq.question.en.as_str()]);
        body.extend([faq.answer.ar.as_str(), faq.answer.en.as_str()]);
    }
    Fields {
        title: format!("{} {}", s.title.ar, s.title.en),
        keywords: keywords.join(" "),
        body: body.join(" "),
        shown_title: &s.title,
        shown_summary: &s.summary,
    }
}

fn violation_fields(v: &Violation) -> Fields<'_> {
    Fields {
        title: format!("{} {}", v.offence.ar, v.offence.en),
        keywords: v.keywords.join(" "),
        body: format!("{} {}", v.legal_basis.ar, v.legal_basis.en),
        shown_title: &v.offence,
        shown_summary: &v.legal_basis,
    }
}

/// The index row of a document is tied to its table row: a service's rowid, or minus a
/// violation's, so updates and removals are key lookups rather than scans. The row must exist.
fn doc_rowid(tx: &Transaction<'_>, kind: &str, id: &str) -> Result<Option<i64>> {
    let sql = if kind == KIND_SERVICE {
        "SELECT rowid FROM services WHERE id = ?1"
    } else {
        "SELECT -rowid FROM violations WHERE id = ?1"
    };
    Ok(tx.prepare_cached(sql)?.query_row([id], |r| r.get(0)).optional()?)
}

fn put(tx: &Transaction<'_>, kind: &str, id: &str, f: &Fields<'_>) -> Result<()> {
    let Some(rowid) = doc_rowid(tx, kind, id)? else { return Ok(()) };
    tx.prepare_cached("DELETE FROM guide_fts WHERE rowid = ?1")?.execute([rowid])?;
    tx.prepare_cached(
        "INSERT INTO guide_fts (rowid, title, keywords, body, kind, ref_id, title_ar, title_en, summary_ar, summary_en)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        rowid,
        index_text(&f.title),
        index_text(&f.keywords),
        index_text(&f.body),
        kind,
        id,
        f.shown_title.ar,
        f.shown_title.en,
        f.shown_summary.ar,
        f.shown_summary.en
    ])?;
    Ok(())
}

/// Index a stored service (call after writing its row).
pub fn put_service(tx: &Transaction<'_>, s: &Service) -> Result<()> {
    put(tx, KIND_SERVICE, &s.id, &service_fields(s))
}

/// Index a stored violation (call after writing its row).
pub fn put_violation(tx: &Transaction<'_>, v: &Violation) -> Result<()> {
    put(tx, KIND_VIOLATION, &v.id, &violation_fields(v))
}

/// Drop a document from the index (call before deleting its row).
pub fn remove(tx: &Transaction<'_>, kind: &str, id: &str) -> Result<()> {
    if let Some(rowid) = doc_rowid(tx, kind, id)? {
        tx.prepare_cached("DELETE FROM guide_fts WHERE rowid = ?1")?.execute([rowid])?;
    }
    Ok(())
}

pub fn clear(tx: &Transaction<'_>) -> Result<()> {
    tx.execute("DELETE FROM guide_fts", [])?;
    Ok(())
}

/// Rebuild the whole index from the stored documents (schema migration 2, and repair).
pub fn rebuild(tx: &Transaction<'_>) -> Result<()> {
    clear(tx)?;
    let services: Vec<String> =
        tx.prepare("SELECT doc FROM services")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    for doc in services {
        // A document we cannot read is skipped rather than failing the whole upgrade.
        if let Ok(s) = serde_json::from_str::<Service>(&doc) {
            put_service(tx, &s)?;
        }
    }
    let violations: Vec<String> =
        tx.prepare("SELECT doc FROM violations")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    for doc in violations {
        if let Ok(v) = serde_json::from_str::<Violation>(&doc) {
            put_violation(tx, &v)?;
        }
    }
    Ok(())
}
