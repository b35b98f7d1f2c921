//! Offline search over the procedures guide and the violations guide.
//!
//! The query is folded exactly like the index (see `text`), each word may match itself or its stem
//! without attached particles, and the last word matches as a prefix while the user is still typing.
//! Ranking is BM25 with heavy field weights so a title hit ranks before a keyword hit before a body
//! hit. When nothing matches, words of five letters or more are retried with the index's terms one
//! edit away (same first letter), so a typo costs time only on a miss.
//!
//! Two engines answer with the same results: a city's catalogue (a few hundred entries) is searched
//! in memory ([`resident`]), built once per catalogue version, because every FTS5 query pays a fixed
//! cost larger than the whole search; a catalogue too large to hold cheaply is searched through the
//! FTS5 index on disk ([`fts`]).

mod fts;
mod resident;
mod row;

pub use row::{GuideHit, TextSpan};

use std::ops::Range;
use std::sync::{Arc, Mutex};

use baladiya_wire::Localized;
use rusqlite::Connection;

use crate::error::Result;
use crate::text::{for_each_word, stems, tokenize, within_one_edit};

/// BM25 weights of title, keywords and body.
const WEIGHTS: [f64; 3] = [50.0, 10.0, 1.0];
/// The last word is matched as a prefix only from this many letters on.
const MIN_PREFIX_CHARS: usize = 2;
/// Words shorter than this are not typo-corrected: too many neighbours.
const FUZZY_MIN_CHARS: usize = 5;
/// At most this many corrections are tried per word.
const FUZZY_MAX_TERMS: usize = 8;
/// Catalogues up to this many entries get their in-memory index at once: building it takes about
/// 7 µs per entry here, so the first search after the app starts stays within 10 ms.
pub const RESIDENT_INLINE_MAX: usize = 1_000;
/// Catalogues up to this many entries are searched in memory (about 1.5 KiB per entry), larger
/// ones through FTS5 on disk, which is also what answers while the index of a catalogue above
/// `RESIDENT_INLINE_MAX` is being built.
pub const RESIDENT_MAX_DOCS: usize = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
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

/// A hit as a list row shows it: in one language, with the matched spans of its two texts (byte
/// ranges of `title` and `summary`).
#[derive(Debug, Clone, PartialEq)]
pub struct ShownHit {
    pub kind: HitKind,
    pub id: String,
    pub lang: Lang,
    pub title: String,
    pub summary: String,
    pub title_highlights: Vec<Range<usize>>,
    pub summary_highlights: Vec<Range<usize>>,
}

impl SearchHit {
    /// The language to show this hit in: the app's, unless the query matched only the other
    /// language's text (an English word typed in the Arabic app shows the English title, marked).
    pub fn display_lang(&self, preferred: Lang) -> Lang {
        // One plain loop: the core is built at opt-level "z", where closures given to iterator
        // adapters stay calls (this and `shown` run for every hit of every search).
        let (mut ar, mut en) = (false, false);
        for h in &self.highlights {
            match h.lang {
                Lang::Ar => ar = true,
                Lang::En => en = true,
            }
        }
        match preferred {
            Lang::Ar if !ar && en => Lang::En,
            Lang::En if !en && ar => Lang::Ar,
            _ => preferred,
        }
    }

    /// This hit in one language (see [`SearchHit::display_lang`]), for a result row.
    pub fn shown(self, preferred: Lang) -> ShownHit {
        let lang = self.display_lang(preferred);
        let (mut title_highlights, mut summary_highlights) = (Vec::new(), Vec::new());
        for h in &self.highlights {
            if h.lang == lang {
                match h.field {
                    HitField::Title => title_highlights.push(h.range.clone()),
                    HitField::Summary => summary_highlights.push(h.range.clone()),
                }
            }
        }
        let pick = |text: Localized| if lang == Lang::Ar { text.ar } else { text.en };
        ShownHit {
            kind: self.kind,
            id: self.id,
            lang,
            title: pick(self.title),
            summary: pick(self.summary),
            title_highlights,
            summary_highlights,
        }
    }
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

/// Indexed columns, in the order of `WEIGHTS`.
const TITLE: usize = 0;
const KEYWORDS: usize = 1;

/// Column sets searched in turn: every word in the title ranks first, then every word in the title
/// or the keywords, then anywhere. A page full of title hits costs one pass.
const TIERS: [&[usize]; 3] = [&[TITLE], &[TITLE, KEYWORDS], &[0, 1, 2]];

/// Within a tier, a shorter title is the closer match (BM25 alone prefers a title that repeats a
/// word); this many of the tier's best BM25 rows are re-ordered by title length.
fn tier_window(limit: usize) -> usize {
    (limit * 2).max(30)
}

fn title_words(title: &Localized) -> usize {
    title.ar.split_whitespace().count() + title.en.split_whitespace().count()
}

/// One tier's matches (in index order, with BM25 scores of FTS5's sign: lower is better) cut to
/// the tier's best window. The caller then orders the window by title length, stably.
fn best_window<D>(mut hits: Vec<(D, f64)>, limit: usize) -> impl Iterator<Item = D> {
    // Stable: equal scores keep index order.
    hits.sort_by(|a, b| a.1.total_cmp(&b.1));
    hits.truncate(tier_window(limit));
    hits.into_iter().map(|(d, _)| d)
}

/// FTS5's BM25 contribution of one phrase to one row: `idf` of the phrase, `freq` its weighted
/// count in the row, `row_tokens` the row's length and `avg_tokens` the average row length.
fn bm25_term(idf: f64, freq: f64, row_tokens: f64, avg_tokens: f64) -> f64 {
    const K1: f64 = 1.2;
    const B: f64 = 0.75;
    idf * (freq * (K1 + 1.0)) / (freq + K1 * (1.0 - B + B * row_tokens / avg_tokens))
}

/// FTS5's inverse document frequency of a phrase found in `hits` of `rows` rows.
fn bm25_idf(rows: usize, hits: usize) -> f64 {
    let idf = ((rows as f64 - hits as f64 + 0.5) / (hits as f64 + 0.5)).ln();
    if idf <= 0.0 {
        1e-6
    } else {
        idf
    }
}

/// Add index terms one edit away (with the same first letter) to each long word, from the index's
/// sorted `terms`. Returns false when no correction was found.
fn add_corrections<S: AsRef<str>>(terms: &[S], words: &mut [QueryWord]) -> bool {
    let mut changed = false;
    for w in words.iter_mut() {
        let word = w.terms[0].clone();
        let Some(first) = word.chars().next() else { continue };
        if word.chars().count() < FUZZY_MIN_CHARS {
            continue;
        }
        let mut key = [0u8; 4];
        let first = &*first.encode_utf8(&mut key);
        let from = terms.partition_point(|t| t.as_ref() < first);
        let found: Vec<String> = terms[from..]
            .iter()
            .map(AsRef::as_ref)
            .take_while(|t| t.starts_with(first))
            .filter(|t| *t != word && within_one_edit(t, &word))
            .take(FUZZY_MAX_TERMS)
            .map(str::to_owned)
            .collect();
        if !found.is_empty() {
            w.terms.extend(found);
            changed = true;
        }
    }
    changed
}

/// The engine for one catalogue version.
enum Engine {
    Resident(resident::Index),
    Fts(fts::Vocabulary),
}

/// Opens a connection of its own to the store, for building the index off the caller's thread.
pub type ConnectionOpener = Arc<dyn Fn() -> Result<Connection> + Send + Sync>;

/// The engine of one catalogue version.
struct Cached {
    version: Option<i64>,
    engine: Arc<Engine>,
}

type Cache = Arc<Mutex<Option<Cached>>>;

/// What search keeps in memory between calls: the engine chosen for the stored catalogue, chosen
/// again whenever the catalogue version changes. Up to `inline_max` entries the in-memory index
/// is built at once (milliseconds); up to `background_max` the FTS5 engine answers while a thread
/// builds it on a connection of its own; beyond that the catalogue is searched on disk.
pub struct SearchState {
    inline_max: usize,
    background_max: usize,
    opener: Option<ConnectionOpener>,
    cache: Cache,
}

impl SearchState {
    /// The engines a client uses: `opener` gives the background build its own connection.
    pub fn new(opener: ConnectionOpener) -> Self {
        SearchState::with_limits(RESIDENT_INLINE_MAX, RESIDENT_MAX_DOCS, Some(opener))
    }

    /// Build the in-memory index at once up to `inline_max` entries, in the background (when
    /// there is an `opener`) up to `background_max`; 0 and 0 always search the FTS5 index.
    pub fn with_limits(inline_max: usize, background_max: usize, opener: Option<ConnectionOpener>) -> Self {
        SearchState { inline_max, background_max, opener, cache: Arc::default() }
    }

    /// Get the engine for the stored catalogue ready (after a sync, so the next search does not
    /// wait for it).
    pub fn prepare(&self, conn: &Connection) -> Result<()> {
        self.engine(conn).map(drop)
    }

    /// Heap bytes of the in-memory index, roughly; `None` when searching on disk, or before the
    /// index is built.
    pub fn resident_bytes(&self) -> Option<usize> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        match cache.as_ref().map(|c| &*c.engine) {
            Some(Engine::Resident(index)) => Some(index.heap_bytes()),
            _ => None,
        }
    }

    fn engine(&self, conn: &Connection) -> Result<Arc<Engine>> {
        let version = super::local_version(conn)?;
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = cache.as_ref().filter(|c| c.version == version) {
            return Ok(Arc::clone(&c.engine));
        }
        let docs = resident::stored_docs(conn)?;
        let engine = Arc::new(if docs <= self.inline_max && self.inline_max > 0 {
            Engine::Resident(resident::Index::load(conn)?)
        } else {
            // Started under the lock: the build cannot finish before this version is cached.
            if docs <= self.background_max {
                self.build_in_background(version);
            }
            Engine::Fts(fts::Vocabulary::default())
        });
        *cache = Some(Cached { version, engine: Arc::clone(&engine) });
        Ok(engine)
    }

    /// Start building the in-memory index of catalogue `version` on a thread; it replaces the
    /// FTS5 engine only if the catalogue is still at that version. Without an opener, or when no
    /// thread can start, the FTS5 engine simply stays.
    fn build_in_background(&self, version: Option<i64>) {
        let Some(opener) = self.opener.clone() else { return };
        let cache = Arc::clone(&self.cache);
        let build = move || {
            let built = opener().and_then(|mut conn| {
                // One read transaction: the index and the version it is labelled with agree.
                let tx = conn.transaction()?;
                Ok((super::local_version(&tx)?, resident::Index::load(&tx)?))
            });
            let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
            let Some(current) = cache.as_mut().filter(|c| c.version == version) else { return };
            match built {
                Ok((read, index)) if read == version => current.engine = Arc::new(Engine::Resident(index)),
                Ok(_) => {} // The catalogue moved on; the next search starts again.
                Err(e) => tracing::warn!(error = %e, "search index not built; searching on disk"),
            }
        };
        if let Err(e) = std::thread::Builder::new().name("baladiya-search-index".into()).spawn(build) {
            tracing::warn!(error = %e, "no thread to build the search index; searching on disk");
        }
    }
}

/// Search the guide. `limit` bounds the page; results carry highlight ranges for title and summary.
pub fn search(conn: &Connection, state: &SearchState, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
    let mut words = parse(query);
    if words.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    match &*state.engine(conn)? {
        Engine::Resident(index) => {
            let mut resolved = index.resolve(&words);
            let mut docs = index.matching(&resolved, limit);
            if docs.is_empty() && add_corrections(index.terms(), &mut words) {
                resolved = index.resolve(&words);
                docs = index.matching(&resolved, limit);
            }
            Ok(docs.into_iter().map(|d| index.hit(d, &resolved)).collect())
        }
        Engine::Fts(vocabulary) => {
            let mut docs = fts::matching(conn, &words, limit)?;
            if docs.is_empty() && add_corrections(&vocabulary.terms(conn)?, &mut words) {
                docs = fts::matching(conn, &words, limit)?;
            }
            Ok(docs.into_iter().map(|c| c.into_hit(&words)).collect())
        }
    }
}

/// Where a hit's four shown texts are, in highlight order.
const SHOWN: [(HitField, Lang); 4] = [
    (HitField::Title, Lang::Ar),
    (HitField::Title, Lang::En),
    (HitField::Summary, Lang::Ar),
    (HitField::Summary, Lang::En),
];

fn shown_text<'a>(title: &'a Localized, summary: &'a Localized, at: (HitField, Lang)) -> &'a str {
    match at {
        (HitField::Title, Lang::Ar) => &title.ar,
        (HitField::Title, Lang::En) => &title.en,
        (HitField::Summary, Lang::Ar) => &summary.ar,
        (HitField::Summary, Lang::En) => &summary.en,
    }
}

/// The highlights of a hit's four shown texts: `mark(i, text, out)` pushes the matched byte ranges
/// of the `i`th text of `SHOWN` into `out`.
fn shown_highlights(
    title: &Localized,
    summary: &Localized,
    mut mark: impl FnMut(usize, &str, &mut Vec<Range<usize>>),
) -> Vec<Highlight> {
    let mut highlights = Vec::new();
    let mut ranges = Vec::new();
    for (i, (field, lang)) in SHOWN.into_iter().enumerate() {
        mark(i, shown_text(title, summary, (field, lang)), &mut ranges);
        for range in &ranges {
            highlights.push(Highlight { field, lang, range: range.clone() });
        }
        ranges.clear();
    }
    highlights
}

/// Byte ranges of `text` matched by the query words. A word matched through its stem is
/// highlighted without its particle (`مياه` in `والمياه`); a prefix match only over the prefix.
fn highlight(text: &str, words: &[QueryWord], out: &mut Vec<Range<usize>>) {
    for_each_word(text, |word, range| highlight_word(text, word, range, words, out));
}

/// Highlight one folded `word` of `text` found at `range`, if the query matches it.
fn highlight_word(
    text: &str,
    word: &str,
    range: Range<usize>,
    words: &[QueryWord],
    out: &mut Vec<Range<usize>>,
) {
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
    if let Some((skip, prefix_chars)) = matched {
        push_highlight(text, range, skip, prefix_chars, out);
    }
}

/// Highlight the word of `text` at `range`, from folded char `skip` on (a stem leaves its
/// particle out), over `prefix_chars` folded chars when only a prefix matched, else to its end.
fn push_highlight(
    text: &str,
    range: Range<usize>,
    skip: usize,
    prefix_chars: Option<usize>,
    out: &mut Vec<Range<usize>>,
) {
    if skip == 0 && prefix_chars.is_none() {
        out.push(range);
        return;
    }
    // Only a partial match pays for mapping folded chars back to the original.
    if let Some(token) = tokenize(&text[range.clone()]).into_iter().next() {
        let end = prefix_chars.map_or(token.char_len(), |l| (skip + l).min(token.char_len()));
        let r = token.original_range(skip..end);
        out.push(range.start + r.start..range.start + r.end);
    }
}
