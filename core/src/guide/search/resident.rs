//! Searching a city's catalogue in memory. Built from the FTS5 table's own rows (the same folded
//! text, so the same terms) once per catalogue version, it answers like the FTS5 engine (same
//! matches, same BM25 arithmetic, same tie order) in a few microseconds instead of hundreds: no
//! query to prepare, no row to read, and highlights compare dictionary entries (a document's shown
//! words are folded once, on its first hit).

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use baladiya_wire::Localized;
use rusqlite::Connection;

use super::{
    best_window, bm25_idf, bm25_term, push_highlight, shown_highlights, title_words, HitKind, QueryWord,
    SearchHit, SHOWN, TIERS, WEIGHTS,
};
use crate::error::Result;
use crate::guide::index::KIND_VIOLATION;
use crate::text::stems;

/// How often a term occurs in one document, per indexed column (title, keywords, body).
#[derive(Debug, Clone, Copy)]
struct Posting {
    doc: u32,
    count: [u16; 3],
}

impl Posting {
    // Always inlined: at the core's opt-level "z" it would otherwise be a call per posting.
    #[inline(always)]
    fn in_columns(&self, columns: &[usize]) -> bool {
        for &c in columns {
            if self.count[c] > 0 {
                return true;
            }
        }
        false
    }

    /// The posting's count weighted by column, over `columns` (BM25's frequency).
    #[inline(always)]
    fn weighted(&self, columns: &[usize]) -> f64 {
        let mut freq = 0.0;
        for &c in columns {
            freq += WEIGHTS[c] * f64::from(self.count[c]);
        }
        freq
    }
}

/// A word of a shown text: where it is, and its folded forms (the word, then its stems) as
/// dictionary entries with the folded chars each leaves out, so highlighting compares numbers.
struct ShownWord {
    range: Range<usize>,
    forms: Box<[(u8, u32)]>,
}

/// A query term resolved against the dictionary.
pub(super) struct Resolved {
    /// The entry equal to the term, if any.
    exact: Option<usize>,
    /// The entries the term matches: itself, or every entry it begins when a prefix.
    covered: Range<usize>,
    /// The term's length in chars when it is matched as a prefix.
    prefix_chars: Option<usize>,
}

struct Doc {
    kind: HitKind,
    id: String,
    title: Localized,
    summary: Localized,
    title_words: usize,
    /// Indexed tokens in all columns (BM25's document length).
    tokens: u32,
    /// The folded words of the four shown texts, in `SHOWN` order: worked out the first time the
    /// document is a hit, so building the index costs only its postings.
    shown: OnceLock<[Vec<ShownWord>; 4]>,
}

/// How many entries the stored catalogue holds (a count of two tables, not of the index).
pub(super) fn stored_docs(conn: &Connection) -> Result<usize> {
    let n: i64 = conn
        .prepare_cached("SELECT (SELECT count(*) FROM services) + (SELECT count(*) FROM violations)")?
        .query_row([], |r| r.get(0))?;
    Ok(usize::try_from(n).unwrap_or(0))
}

pub(super) struct Index {
    /// In rowid order, as FTS5 returns rows.
    docs: Vec<Doc>,
    /// Sorted, with `postings` beside them (each in document order).
    terms: Vec<Box<str>>,
    postings: Vec<Vec<Posting>>,
    avg_tokens: f64,
}

impl Index {
    /// Build the index of the stored catalogue.
    pub(super) fn load(conn: &Connection) -> Result<Index> {
        let mut stmt = conn.prepare_cached(
            "SELECT title, keywords, body, kind, ref_id, title_ar, title_en, summary_ar, summary_en
             FROM guide_fts ORDER BY rowid",
        )?;
        let mut rows = stmt.query([])?;
        let mut docs = Vec::new();
        let mut by_term: HashMap<Box<str>, Vec<Posting>> = HashMap::new();
        let mut all_tokens = 0u64;
        while let Some(r) = rows.next()? {
            let doc = u32::try_from(docs.len()).unwrap_or(u32::MAX);
            let mut tokens = 0u32;
            for column in 0..3 {
                let text: String = r.get(column)?;
                for term in text.split_whitespace() {
                    tokens += 1;
                    // Look up before inserting: most tokens are terms seen before.
                    let postings = match by_term.get_mut(term) {
                        Some(p) => p,
                        None => by_term.entry(term.into()).or_default(),
                    };
                    match postings.last_mut() {
                        Some(p) if p.doc == doc => p.count[column] = p.count[column].saturating_add(1),
                        _ => {
                            let mut count = [0; 3];
                            count[column] = 1;
                            postings.push(Posting { doc, count });
                        }
                    }
                }
            }
            all_tokens += u64::from(tokens);
            let kind: String = r.get(3)?;
            let title = Localized { ar: r.get(5)?, en: r.get(6)? };
            let summary = Localized { ar: r.get(7)?, en: r.get(8)? };
            docs.push(Doc {
                kind: if kind == KIND_VIOLATION { HitKind::Violation } else { HitKind::Service },
                id: r.get(4)?,
                title_words: title_words(&title),
                title,
                summary,
                tokens,
                shown: OnceLock::new(),
            });
        }
        let mut entries: Vec<(Box<str>, Vec<Posting>)> = by_term.into_iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let (terms, postings) = entries.into_iter().unzip();
        let avg_tokens = if docs.is_empty() { 1.0 } else { all_tokens as f64 / docs.len() as f64 };
        Ok(Index { docs, terms, postings, avg_tokens })
    }

    /// Heap bytes held, roughly: dictionary, postings and shown texts (not the highlight words,
    /// worked out per hit).
    pub(super) fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let terms: usize = self.terms.iter().map(|t| t.len() + size_of::<Box<str>>()).sum();
        let postings: usize = self
            .postings
            .iter()
            .map(|p| p.capacity() * size_of::<Posting>() + size_of::<Vec<Posting>>())
            .sum();
        let docs: usize = self
            .docs
            .iter()
            .map(|d| {
                size_of::<Doc>()
                    + d.id.capacity()
                    + [&d.title, &d.summary].iter().map(|l| l.ar.capacity() + l.en.capacity()).sum::<usize>()
            })
            .sum();
        terms + postings + docs
    }

    /// The index's terms, sorted (for typo correction).
    pub(super) fn terms(&self) -> &[Box<str>] {
        &self.terms
    }

    fn entry(&self, term: &str) -> Option<usize> {
        self.terms.binary_search_by(|t| (**t).cmp(term)).ok()
    }

    /// The words of a shown text with their forms as dictionary entries. Every form is in the
    /// dictionary (the index holds each shown word and its stems); one that is not could match no
    /// query term anyway.
    fn shown_words(&self, text: &str) -> Vec<ShownWord> {
        let mut words = Vec::new();
        crate::text::for_each_word(text, |word, range| {
            let forms = std::iter::once((0, word))
                .chain(stems(word))
                .filter_map(|(skip, form)| {
                    Some((u8::try_from(skip).ok()?, u32::try_from(self.entry(form)?).ok()?))
                })
                .collect();
            words.push(ShownWord { range, forms });
        });
        words
    }

    /// Each query term of each word, resolved against the dictionary.
    pub(super) fn resolve(&self, words: &[QueryWord]) -> Vec<Vec<Resolved>> {
        words
            .iter()
            .map(|w| {
                w.terms
                    .iter()
                    .map(|term| {
                        let from = self.terms.partition_point(|t| &**t < term.as_str());
                        let exact = self.terms.get(from).is_some_and(|t| **t == **term).then_some(from);
                        let to = if w.prefix {
                            from + self.terms[from..].partition_point(|t| t.starts_with(term.as_str()))
                        } else {
                            from + usize::from(exact.is_some())
                        };
                        Resolved {
                            exact,
                            covered: from..to,
                            prefix_chars: w.prefix.then(|| term.chars().count()),
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// A phrase's postings (one query term, all the entries it covers), merged per document.
    fn phrase(&self, term: &Resolved) -> Cow<'_, [Posting]> {
        let lists = &self.postings[term.covered.clone()];
        match lists {
            [] => return Cow::Borrowed(&[]),
            [one] => return Cow::Borrowed(one),
            _ => {}
        }
        let mut all: Vec<Posting> = lists.iter().flatten().copied().collect();
        all.sort_by_key(|p| p.doc);
        all.dedup_by(|next, kept| {
            if next.doc != kept.doc {
                return false;
            }
            for c in 0..3 {
                kept.count[c] = kept.count[c].saturating_add(next.count[c]);
            }
            true
        });
        Cow::Owned(all)
    }

    /// The page of documents matching every word, tier by tier, as indexes into `docs`.
    pub(super) fn matching(&self, words: &[Vec<Resolved>], limit: usize) -> Vec<usize> {
        let phrases: Vec<(usize, Cow<'_, [Posting]>)> = words
            .iter()
            .enumerate()
            .flat_map(|(i, terms)| terms.iter().map(move |t| (i, self.phrase(t))))
            .collect();
        let n = self.docs.len();
        let mut out: Vec<usize> = Vec::with_capacity(limit);
        let mut taken = vec![false; n];
        let mut words_found = vec![0usize; n];
        let mut last_word = vec![usize::MAX; n];
        let mut score = vec![0f64; n];
        for columns in TIERS {
            words_found.fill(0);
            last_word.fill(usize::MAX);
            score.fill(0.0);
            // Plain loops (not filter/map/sum adapters, whose closures opt-level "z" leaves as calls).
            for (word, postings) in &phrases {
                let mut hits = 0;
                for p in postings.iter() {
                    hits += usize::from(p.in_columns(columns));
                }
                let idf = bm25_idf(n, hits);
                for p in postings.iter() {
                    if !p.in_columns(columns) {
                        continue;
                    }
                    let d = p.doc as usize;
                    if last_word[d] != *word {
                        last_word[d] = *word;
                        words_found[d] += 1;
                    }
                    let freq = p.weighted(columns);
                    score[d] += bm25_term(idf, freq, f64::from(self.docs[d].tokens), self.avg_tokens);
                }
            }
            // FTS5's sign: the best row has the lowest score.
            let mut hits: Vec<(usize, f64)> = Vec::new();
            for d in 0..n {
                if words_found[d] == words.len() && !taken[d] {
                    hits.push((d, -score[d]));
                }
            }
            let mut found: Vec<usize> = best_window(hits, limit).collect();
            // Stable: equal lengths keep their BM25 order.
            found.sort_by_key(|&d| self.docs[d].title_words);
            for d in found.into_iter().take(limit - out.len()) {
                taken[d] = true;
                out.push(d);
            }
            if out.len() == limit {
                break;
            }
        }
        out
    }

    pub(super) fn hit(&self, d: usize, words: &[Vec<Resolved>]) -> SearchHit {
        let doc = &self.docs[d];
        let shown = doc.shown.get_or_init(|| {
            SHOWN.map(|at| self.shown_words(super::shown_text(&doc.title, &doc.summary, at)))
        });
        let highlights = shown_highlights(&doc.title, &doc.summary, |i, text, out| {
            for word in &shown[i] {
                if let Some((skip, prefix_chars)) = matched(word, words) {
                    push_highlight(text, word.range.clone(), skip, prefix_chars, out);
                }
            }
        });
        SearchHit {
            kind: doc.kind,
            id: doc.id.clone(),
            title: doc.title.clone(),
            summary: doc.summary.clone(),
            highlights,
        }
    }
}

/// The first form of a shown word that a query term matches (in the order the FTS5 engine's
/// highlighter tries them): the chars it skips, and the prefix length when only a prefix matched.
///
/// Plain loops rather than `find_map` over `flatten`: the core is built at opt-level "z", where the
/// adapters' closures are not inlined, and this runs for every shown word of every hit (a third of
/// the Rust side's extra time at "z" went to the flatten closure alone; README, "Bindings round
/// trip").
fn matched(word: &ShownWord, words: &[Vec<Resolved>]) -> Option<(usize, Option<usize>)> {
    for &(skip, entry) in &*word.forms {
        let entry = entry as usize;
        for terms in words {
            for t in terms {
                if t.exact == Some(entry) {
                    return Some((usize::from(skip), None));
                }
                if t.prefix_chars.is_some() && t.covered.start <= entry && entry < t.covered.end {
                    return Some((usize::from(skip), t.prefix_chars));
                }
            }
        }
    }
    None
}
