//! Offline search over the procedures guide and the violations guide.
//!
//! The query is folded exactly like the index (see `text`), each word may match itself or its stem
//! without attached particles, and the last word matches as a prefix while the user is still typing.
//! Ranking is BM25 with heavy field weights so a title hit ranks before a keyword hit before a body
//! hit. When nothing matches, words of five letters or more are retried with the index's terms one
//! edit away (same first letter), so a typo costs time only on a miss.

use std::ops::Range;
use std::sync::{Arc, Mutex};

use baladiya_wire::Localized;
use rusqlite::Connection;

use super::index::KIND_VIOLATION;
use crate::error::Result;
use crate::text::{for_each_word, stems, tokenize, within_one_edit};

/// BM25 weights of title, keywords and body.
const RANK: &str = "bm25(guide_fts, 50.0, 10.0, 1.0)";
/// The last word is matched as a prefix only from this many letters on.
const MIN_PREFIX_CHARS: usize = 2;
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
            terms.extend(stems(&t.text).map(|(_, s)| s.to_owned()));
            // A single typed letter would match most of the catalogue: match it as a word.
            let prefix = still_typing && i + 1 == n && t.char_len() >= MIN_PREFIX_CHARS;
            QueryWord { terms, prefix }
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

/// A document FTS5 found, with what it shows.
struct Candidate {
    rowid: i64,
    kind: String,
    id: String,
    shown_title: Localized,
    shown_summary: Localized,
}

/// Column sets searched in turn: every word in the title ranks first, then every word in the title
/// or the keywords, then anywhere. A page full of title hits costs one query.
const TIERS: [&str; 3] = ["{title} : ", "{title keywords} : ", ""];

/// Within a tier, a shorter title is the closer match (BM25 alone prefers a title that repeats a
/// word); this many of the tier's best BM25 rows are re-ordered by title length.
fn tier_window(limit: usize) -> usize {
    (limit * 2).max(30)
}

fn title_words(c: &Candidate) -> usize {
    c.shown_title.ar.split_whitespace().count() + c.shown_title.en.split_whitespace().count()
}

fn matching_docs(conn: &Connection, words: &[QueryWord], limit: usize) -> Result<Vec<Candidate>> {
    let expression = fts_expression(words);
    // Scores come back unsorted and are ordered here: FTS5's own ORDER BY plan prepares an
    // internal statement on every query, which costs more than the search on a city's catalogue.
    let mut scored =
        conn.prepare_cached(&format!("SELECT rowid, {RANK} FROM guide_fts WHERE guide_fts MATCH ?1"))?;
    let mut shown = conn.prepare_cached(
        "SELECT kind, ref_id, title_ar, title_en, summary_ar, summary_en FROM guide_fts WHERE rowid = ?1",
    )?;
    let mut out: Vec<Candidate> = Vec::with_capacity(limit);
    for tier in TIERS {
        let mut hits: Vec<(i64, f64)> = scored
            .query_map([format!("{tier}({expression})")], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        hits.retain(|(rowid, _)| !out.iter().any(|c| c.rowid == *rowid));
        hits.sort_by(|a, b| a.1.total_cmp(&b.1));
        hits.truncate(tier_window(limit));
        let mut found = Vec::with_capacity(hits.len());
        for (rowid, _) in hits {
            let c = shown.query_row([rowid], |r| {
                Ok(Candidate {
                    rowid,
                    kind: r.get(0)?,
                    id: r.get(1)?,
                    shown_title: Localized { ar: r.get(2)?, en: r.get(3)? },
                    shown_summary: Localized { ar: r.get(4)?, en: r.get(5)? },
                })
            })?;
            found.push(c);
        }
        // Stable: equal lengths keep their BM25 order.
        found.sort_by_cached_key(title_words);
        out.extend(found.into_iter().take(limit - out.len()));
        if out.len() == limit {
            break;
        }
    }
    Ok(out)
}

/// The index's terms, sorted, held in memory for typo correction: reading them through
/// `fts5vocab` costs milliseconds (it counts every posting), too slow for each miss. Loaded on the
/// first miss and kept while the catalogue version stays the same.
#[derive(Default)]
pub struct Vocabulary {
    /// The terms and the catalogue version they were read at.
    cached: Mutex<Option<VersionedTerms>>,
}

type VersionedTerms = (Option<i64>, Arc<Vec<String>>);

impl Vocabulary {
    fn terms(&self, conn: &Connection) -> Result<Arc<Vec<String>>> {
        let version = super::local_version(conn)?;
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((v, terms)) = cached.as_ref() {
            if *v == version {
                return Ok(Arc::clone(terms));
            }
        }
        let mut stmt = conn.prepare_cached("SELECT term FROM guide_vocab")?;
        let mut terms: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        terms.sort_unstable();
        let terms = Arc::new(terms);
        *cached = Some((version, Arc::clone(&terms)));
        Ok(terms)
    }
}

/// Add index terms one edit away (with the same first letter) to each long word. Returns false
/// when no correction was found.
fn add_corrections(conn: &Connection, vocabulary: &Vocabulary, words: &mut [QueryWord]) -> Result<bool> {
    let mut changed = false;
    let terms = vocabulary.terms(conn)?;
    for w in words.iter_mut() {
        let word = w.terms[0].clone();
        let Some(first) = word.chars().next() else { continue };
        if word.chars().count() < FUZZY_MIN_CHARS {
            continue;
        }
        let mut key = [0u8; 4];
        let first = &*first.encode_utf8(&mut key);
        let from = terms.partition_point(|t| t.as_str() < first);
        let found: Vec<String> = terms[from..]
            .iter()
            .take_while(|t| t.starts_with(first))
            .filter(|t| **t != word && within_one_edit(t, &word))
            .take(FUZZY_MAX_TERMS)
            .cloned()
            .collect();
        if !found.is_empty() {
            w.terms.extend(found);
            changed = true;
        }
    }
    Ok(changed)
}

/// Search the guide. `limit` bounds the page; results carry highlight ranges for title and summary.
pub fn search(
    conn: &Connection,
    vocabulary: &Vocabulary,
    query: &str,
    limit: usize,
) -> Result<Vec<SearchHit>> {
    let mut words = parse(query);
    if words.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let mut docs = matching_docs(conn, &words, limit)?;
    if docs.is_empty() && add_corrections(conn, vocabulary, &mut words)? {
        docs = matching_docs(conn, &words, limit)?;
    }
    Ok(docs.into_iter().map(|c| into_hit(c, &words)).collect())
}

fn into_hit(c: Candidate, words: &[QueryWord]) -> SearchHit {
    let kind = if c.kind == KIND_VIOLATION { HitKind::Violation } else { HitKind::Service };
    let mut highlights = Vec::new();
    for (field, text) in [(HitField::Title, &c.shown_title), (HitField::Summary, &c.shown_summary)] {
        for (lang, s) in [(Lang::Ar, &text.ar), (Lang::En, &text.en)] {
            highlights.extend(highlight(s, words).into_iter().map(|range| Highlight { field, lang, range }));
        }
    }
    SearchHit { kind, id: c.id, title: c.shown_title, summary: c.shown_summary, highlights }
}

/// Byte ranges of `text` matched by the query words. A word matched through its stem is
/// highlighted without its particle (`مياه` in `والمياه`); a prefix match only over the prefix.
fn highlight(text: &str, words: &[QueryWord]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for_each_word(text, |word, range| {
        let forms = std::iter::once((0, word)).chain(stems(word));
        let matched = forms.into_iter().find_map(|(skip, form)| {
            words.iter().find_map(|w| {
                w.terms.iter().find_map(|term| {
                    if form == term {
                        Some((skip, None))
                    } else if w.prefix && form.starts_with(term.as_str()) {
                        Some((skip, Some(term.chars().count())))
                    } else {
                        None
                    }
                })
            })
        });
        // Only a match pays for mapping folded chars back to the original.
        match matched {
            Some((0, None)) => out.push(range),
            Some((skip, len)) => {
                if let Some(token) = tokenize(&text[range.clone()]).into_iter().next() {
                    let end = len.map_or(token.char_len(), |l| (skip + l).min(token.char_len()));
                    let r = token.original_range(skip..end);
                    out.push(range.start + r.start..range.start + r.end);
                }
            }
            None => {}
        }
    });
    out
}
