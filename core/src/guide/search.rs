//! Offline search over the procedures guide and the violations guide.
//!
//! The query is folded exactly like the index (see `text`), each word may match itself or its stem
//! without attached particles, and the last word matches as a prefix while the user is still typing.
//! Ranking is BM25 with heavy field weights so a title hit ranks before a keyword hit before a body
//! hit. When nothing matches, words of five letters or more are retried with the index's terms one
//! edit away (same first letter), so a typo costs time only on a miss.

use std::ops::Range;

use baladiya_wire::{Localized, Service, Violation};
use rusqlite::{params, Connection};

use super::index::{KIND_SERVICE, KIND_VIOLATION};
use crate::error::Result;
use crate::text::{stems, tokenize, within_one_edit};

/// BM25 weights of title, keywords and body.
const RANK: &str = "bm25(guide_fts, 50.0, 10.0, 1.0)";
/// How many BM25-ordered candidates are re-ranked.
const RANK_WINDOW: usize = 50;
/// Words shorter than this are not typo-corrected: too many neighbours.
const FUZZY_MIN_CHARS: usize = 5;
/// At most this many corrections are tried per word.
const FUZZY_MAX_TERMS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitKind {
    Service,
    Violation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitField {
    Title,
    Summary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ar,
    En,
}

/// A matched span in the original (unfolded) text shown to the user, as a byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Highlight {
    pub field: HitField,
    pub lang: Lang,
    pub range: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub kind: HitKind,
    pub id: String,
    pub title: Localized,
    /// A service's summary, or a violation's legal basis.
    pub summary: Localized,
    pub highlights: Vec<Highlight>,
}

/// One word of the query and the index terms that satisfy it.
#[derive(Debug)]
struct QueryWord {
    terms: Vec<String>,
    prefix: bool,
}

fn parse(query: &str) -> Vec<QueryWord> {
    let tokens = tokenize(query);
    let still_typing = query.chars().last().is_some_and(|c| !c.is_whitespace());
    let n = tokens.len();
    tokens
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let mut terms = vec![t.text.clone()];
            terms.extend(stems(&t.text).into_iter().map(|(_, s)| s.to_owned()));
            QueryWord { terms, prefix: still_typing && i + 1 == n }
        })
        .collect()
}

/// The FTS5 expression: every word must match one of its terms.
fn fts_expression(words: &[QueryWord]) -> String {
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

/// A document FTS5 found, with its indexed (folded) title and keywords for re-ranking.
struct Candidate {
    kind: String,
    id: String,
    title: String,
    keywords: String,
}

fn matching_docs(conn: &Connection, words: &[QueryWord], limit: usize) -> Result<Vec<Candidate>> {
    let sql = format!(
        "SELECT kind, ref_id, title, keywords FROM guide_fts WHERE guide_fts MATCH ?1 ORDER BY {RANK} LIMIT ?2"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![fts_expression(words), limit as i64], |r| {
        Ok(Candidate { kind: r.get(0)?, id: r.get(1)?, title: r.get(2)?, keywords: r.get(3)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Does some term of `w` occur among the space-separated indexed `words`?
fn word_in(w: &QueryWord, words: &str) -> bool {
    words
        .split(' ')
        .any(|token| w.terms.iter().any(|t| token == t || (w.prefix && token.starts_with(t.as_str()))))
}

/// Order candidates: all words in the title first, then all in title and keywords, then the rest;
/// within a tier a shorter title (a closer match) first; BM25 order breaks ties (sort is stable).
fn rank(candidates: &mut [Candidate], words: &[QueryWord]) {
    candidates.sort_by_cached_key(|c| {
        let tier = if words.iter().all(|w| word_in(w, &c.title)) {
            0
        } else if words.iter().all(|w| word_in(w, &c.title) || word_in(w, &c.keywords)) {
            1
        } else {
            2
        };
        (tier, c.title.split(' ').count())
    });
}

/// Add index terms one edit away to each long word that has no exact match. Returns false when
/// there was nothing to correct.
fn add_corrections(conn: &Connection, words: &mut [QueryWord]) -> Result<bool> {
    let mut changed = false;
    let mut stmt = conn.prepare_cached("SELECT term FROM guide_vocab WHERE term >= ?1 AND term < ?2")?;
    for w in words.iter_mut() {
        let word = w.terms[0].clone();
        let Some(first) = word.chars().next() else { continue };
        if word.chars().count() < FUZZY_MIN_CHARS {
            continue;
        }
        let upper = char::from_u32(first as u32 + 1).unwrap_or(char::MAX).to_string();
        let mut found = Vec::new();
        let mut rows = stmt.query(params![first.to_string(), upper])?;
        while let Some(row) = rows.next()? {
            let term: String = row.get(0)?;
            if term != word && within_one_edit(&term, &word) {
                found.push(term);
                if found.len() == FUZZY_MAX_TERMS {
                    break;
                }
            }
        }
        if !found.is_empty() {
            w.terms.extend(found);
            changed = true;
        }
    }
    Ok(changed)
}

/// Search the guide. `limit` bounds the page; results carry highlight ranges for title and summary.
pub fn search(conn: &Connection, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
    let mut words = parse(query);
    if words.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    // Rank a wider window than the page so the re-ranking can lift a closer match into it.
    let window = limit.max(RANK_WINDOW);
    let mut docs = matching_docs(conn, &words, window)?;
    if docs.is_empty() && add_corrections(conn, &mut words)? {
        docs = matching_docs(conn, &words, window)?;
    }
    rank(&mut docs, &words);
    let mut hits = Vec::with_capacity(limit.min(docs.len()));
    for c in docs.iter().take(limit) {
        if let Some(hit) = load_hit(conn, &c.kind, &c.id, &words)? {
            hits.push(hit);
        }
    }
    Ok(hits)
}

fn load_hit(conn: &Connection, kind: &str, id: &str, words: &[QueryWord]) -> Result<Option<SearchHit>> {
    let (hit_kind, title, summary) = match kind {
        KIND_SERVICE => match super::read_doc::<Service>(conn, "services", id)? {
            Some(s) => (HitKind::Service, s.title, s.summary),
            None => return Ok(None),
        },
        KIND_VIOLATION => match super::read_doc::<Violation>(conn, "violations", id)? {
            Some(v) => (HitKind::Violation, v.offence, v.legal_basis),
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    let mut highlights = Vec::new();
    for (field, text) in [(HitField::Title, &title), (HitField::Summary, &summary)] {
        for (lang, s) in [(Lang::Ar, &text.ar), (Lang::En, &text.en)] {
            highlights.extend(highlight(s, words).into_iter().map(|range| Highlight { field, lang, range }));
        }
    }
    Ok(Some(SearchHit { kind: hit_kind, id: id.to_owned(), title, summary, highlights }))
}

/// Byte ranges of `text` matched by the query words. A word matched through its stem is
/// highlighted without its particle (`مياه` in `والمياه`); a prefix match only over the prefix.
fn highlight(text: &str, words: &[QueryWord]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for token in tokenize(text) {
        let mut forms = vec![(0, token.text.as_str())];
        forms.extend(stems(&token.text));
        let matched = words.iter().find_map(|w| {
            w.terms.iter().find_map(|term| {
                forms.iter().find_map(|&(skip, form)| {
                    if form == term {
                        Some(skip..token.char_len())
                    } else if w.prefix && form.starts_with(term.as_str()) {
                        Some(skip..skip + term.chars().count())
                    } else {
                        None
                    }
                })
            })
        });
        if let Some(chars) = matched {
            out.push(token.original_range(chars));
        }
    }
    out
}
