//! Searching a large catalogue through the FTS5 index on disk: nothing to build when the app
//! opens, about 20 µs of fixed cost per query.

use std::sync::{Arc, Mutex};

use baladiya_wire::Localized;
use rusqlite::Connection;

use super::{
    best_window, highlight, shown_highlights, title_words, HitKind, QueryWord, SearchHit, TIERS, WEIGHTS,
};
use crate::error::Result;
use crate::guide::index::KIND_VIOLATION;

/// The FTS5 column filter of each tier (`TIERS`).
const FILTERS: [&str; 3] = ["{title} : ", "{title keywords} : ", ""];

/// The FTS5 expression: every word must match one of its terms.
fn expression(words: &[QueryWord]) -> String {
    words
        .iter()
        .map(|w| {
            let star = if w.prefix { "*" } else { "" };
            let alts: Vec<String> = w.terms.iter().map(|t| format!("\"{t}\"{star}")).collect();
            format!("({})", alts.join(" OR "))
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// A document FTS5 found, with what it shows.
pub(super) struct Candidate {
    rowid: i64,
    kind: String,
    id: String,
    title: Localized,
    summary: Localized,
}

impl Candidate {
    pub(super) fn into_hit(self, words: &[QueryWord]) -> SearchHit {
        let kind = if self.kind == KIND_VIOLATION { HitKind::Violation } else { HitKind::Service };
        let highlights =
            shown_highlights(&self.title, &self.summary, |_, text, out| highlight(text, words, out));
        SearchHit { kind, id: self.id, title: self.title, summary: self.summary, highlights }
    }
}

pub(super) fn matching(conn: &Connection, words: &[QueryWord], limit: usize) -> Result<Vec<Candidate>> {
    debug_assert_eq!(FILTERS.len(), TIERS.len());
    let expression = expression(words);
    let [title, keywords, body] = WEIGHTS;
    // Scores come back unsorted and are ordered here: FTS5's own ORDER BY plan prepares an
    // internal statement on every query, which costs more than the search on a city's catalogue.
    let mut scored = conn.prepare_cached(&format!(
        "SELECT rowid, bm25(guide_fts, {title:.1}, {keywords:.1}, {body:.1}) FROM guide_fts WHERE guide_fts MATCH ?1"
    ))?;
    let mut shown = conn.prepare_cached(
        "SELECT kind, ref_id, title_ar, title_en, summary_ar, summary_en FROM guide_fts WHERE rowid = ?1",
    )?;
    let mut out: Vec<Candidate> = Vec::with_capacity(limit);
    for filter in FILTERS {
        let mut hits: Vec<(i64, f64)> = scored
            .query_map([format!("{filter}({expression})")], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        hits.retain(|(rowid, _)| !out.iter().any(|c| c.rowid == *rowid));
        let mut found = Vec::new();
        for rowid in best_window(hits, limit) {
            found.push(shown.query_row([rowid], |r| {
                Ok(Candidate {
                    rowid,
                    kind: r.get(0)?,
                    id: r.get(1)?,
                    title: Localized { ar: r.get(2)?, en: r.get(3)? },
                    summary: Localized { ar: r.get(4)?, en: r.get(5)? },
                })
            })?);
        }
        // Stable: equal lengths keep their BM25 order.
        found.sort_by_cached_key(|c| title_words(&c.title));
        out.extend(found.into_iter().take(limit - out.len()));
        if out.len() == limit {
            break;
        }
    }
    Ok(out)
}

/// The index's terms, sorted, held in memory for typo correction: reading them through
/// `fts5vocab` costs milliseconds (it counts every posting), too slow for each miss. Loaded on the
/// first miss and kept with the engine, i.e. while the catalogue version stays the same.
#[derive(Default)]
pub(super) struct Vocabulary {
    terms: Mutex<Option<Arc<Vec<String>>>>,
}

impl Vocabulary {
    pub(super) fn terms(&self, conn: &Connection) -> Result<Arc<Vec<String>>> {
        let mut cached = self.terms.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(terms) = cached.as_ref() {
            return Ok(Arc::clone(terms));
        }
        let mut stmt = conn.prepare_cached("SELECT term FROM guide_vocab")?;
        let mut terms: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        terms.sort_unstable();
        let terms = Arc::new(terms);
        *cached = Some(Arc::clone(&terms));
        Ok(terms)
    }
}
