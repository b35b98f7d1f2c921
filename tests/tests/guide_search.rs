//! Offline search over the synced sample catalogue: a table of cases, one or more per rule, plus
//! ranking and highlighting. The app's data is a real SQLite file synced from the real server.

use baladiya_core::wire::Service;
use baladiya_core::{Baladiya, HitField, Lang, SearchHit};
use baladiya_tests::{app, TestServer};

enum Expect {
    /// This id is the first hit.
    First(&'static str),
    /// This id is among the first n hits.
    InTop(&'static str, usize),
    /// Nothing matches.
    Nothing,
}
use Expect::*;

/// (query, expectation, the rule it checks)
const CASES: &[(&str, Expect, &str)] = &[
    ("رخصة بناء", First("building-permit"), "exact Arabic title"),
    ("رخصه بناء", First("building-permit"), "ه typed for ة"),
    ("رُخْصَةُ بِنَاءٍ", First("building-permit"), "harakat in the query"),
    ("رخـــصة بنـــاء", First("building-permit"), "tatweel in the query"),
    ("رخصة بنا", InTop("building-permit", 3), "prefix on the last word"),
    ("اضافة طابق", First("additional-floor-permit"), "ا typed for إ"),
    ("أضافة طابق", First("additional-floor-permit"), "أ typed for إ"),
    ("آضافة طابق", First("additional-floor-permit"), "آ typed for إ"),
    ("ٱضافة طابق", First("additional-floor-permit"), "ٱ typed for إ"),
    ("اتمام بناء", First("completion-certificate"), "doc has إ, query has ا"),
    ("افاده تنظيميه", First("zoning-statement"), "no hamza and ه for ة twice"),
    ("براءه ذمه", First("clearance-certificate"), "ه for ة in both words"),
    ("برائة ذمة", First("clearance-certificate"), "common misspelling with ئ"),
    ("رقم مبني", First("building-number"), "ي typed for ى"),
    ("شكوي", First("general-complaint"), "ي typed for ى, single word"),
    ("مياه", InTop("meter-relocation", 10), "doc word has ال (المياه)"),
    ("عداد المياه", InTop("meter-relocation", 3), "query word with ال"),
    ("والمياه", InTop("water-reconnection", 10), "و + ال attached"),
    ("بالحاوية", First("waste-container-request"), "ب + ال attached"),
    ("للنفايات", InTop("waste-container-request", 5), "لل attached"),
    ("فالرخصة هدم", First("demolition-permit"), "ف + ال attached"),
    ("وبراءة", First("clearance-certificate"), "و attached"),
    ("براء", First("clearance-certificate"), "prefix while typing"),
    ("نقل ملك", InTop("meter-transfer", 3), "prefix on the second word"),
    ("BUILDING PERMIT", First("building-permit"), "English upper case"),
    ("clearance", First("clearance-certificate"), "English lower case"),
    ("demol", First("demolition-permit"), "English prefix"),
    ("demolitoin", First("demolition-permit"), "English typo: swapped letters"),
    ("حفرايت", First("excavation-permit"), "Arabic typo: swapped letters"),
    ("تقسيت", First("arrears-instalment"), "Arabic typo: one letter wrong"),
    ("105", First("test-digits"), "ASCII digits find Arabic-Indic digits"),
    ("١٠٥", First("test-digits"), "Arabic-Indic digits"),
    ("۱۰۵", First("test-digits"), "Eastern Arabic-Indic digits"),
    ("معاملة استثنائية", First("test-tatweel"), "tatweel and ٱ in the document"),
    ("حرق النفايات", First("waste-burning"), "the violations guide is searched too"),
    ("رخصة permit", InTop("building-permit", 3), "Arabic and English mixed"),
    ("xyzzy", Nothing, "no match"),
    ("؟!،", Nothing, "only punctuation"),
    ("", Nothing, "empty"),
];

fn test_service(
    base: &Service,
    id: &str,
    ar: &str,
    en: &str,
    keywords: &[&str],
    summary_ar: &str,
) -> Service {
    let mut s = base.clone();
    s.id = id.into();
    s.title.ar = ar.into();
    s.title.en = en.into();
    s.keywords = keywords.iter().map(|k| k.to_string()).collect();
    s.summary.ar = summary_ar.into();
    s.summary.en = "A service added by the search tests.".into();
    s.steps.truncate(1);
    s.documents.clear();
    s
}

/// The sample catalogue plus a few services with digits, tatweel and a ranking word.
async fn synced_app(server: &TestServer, dir: &std::path::Path) -> Baladiya {
    let core = app(dir, &server.url());
    core.sync_guide().await.unwrap();
    let base = core.service("certified-copy").unwrap();
    for s in [
        test_service(
            &base,
            "test-digits",
            "نموذج رقم ١٠٥ لطلب الاشتراك",
            "Subscription request form",
            &[],
            "نموذج",
        ),
        test_service(
            &base,
            "test-tatweel",
            "مـــعـــاملة ٱستثنائية للمسنين",
            "Exceptional procedure for seniors",
            &[],
            "خدمة",
        ),
        test_service(&base, "test-rank-title", "خدمة الزيتون", "Olive service", &[], "خدمة تجريبية"),
        test_service(
            &base,
            "test-rank-keywords",
            "خدمة تجريبية ثانية",
            "Second test service",
            &["زيتون"],
            "خدمة",
        ),
        test_service(
            &base,
            "test-rank-body",
            "خدمة تجريبية ثالثة",
            "Third test service",
            &[],
            "تتعلق بأشجار الزيتون",
        ),
    ] {
        server.put_service(&s).await;
    }
    core.sync_guide().await.unwrap();
    core
}

fn ids(hits: &[SearchHit]) -> Vec<&str> {
    hits.iter().map(|h| h.id.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn search_table() {
    assert!(CASES.len() >= 30);
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = synced_app(&server, dir.path()).await;
    let mut failures = Vec::new();
    for (query, expect, rule) in CASES {
        let hits = core.search_guide(query, 10).unwrap();
        let got = ids(&hits);
        let ok = match expect {
            First(id) => got.first() == Some(id),
            InTop(id, n) => got.iter().take(*n).any(|g| g == id),
            Nothing => got.is_empty(),
        };
        if !ok {
            failures.push(format!("{rule}: «{query}» gave {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn title_ranks_before_keywords_before_body() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = synced_app(&server, dir.path()).await;
    let hits = core.search_guide("زيتون", 10).unwrap();
    assert_eq!(ids(&hits), ["test-rank-title", "test-rank-keywords", "test-rank-body"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn highlights_point_into_the_original_text() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = synced_app(&server, dir.path()).await;
    let marked = |h: &SearchHit, field: HitField, lang: Lang| -> Vec<String> {
        let text = match (field, lang) {
            (HitField::Title, Lang::Ar) => &h.title.ar,
            (HitField::Title, Lang::En) => &h.title.en,
            (HitField::Summary, Lang::Ar) => &h.summary.ar,
            (HitField::Summary, Lang::En) => &h.summary.en,
        };
        h.highlights
            .iter()
            .filter(|x| x.field == field && x.lang == lang)
            .map(|x| text[x.range.clone()].to_owned())
            .collect()
    };

    // Folded query, original text with its harakat kept in the highlight.
    let hits = core.search_guide("رخصه اضافه", 1).unwrap();
    assert_eq!(hits[0].id, "additional-floor-permit");
    assert_eq!(marked(&hits[0], HitField::Title, Lang::Ar), ["رُخصة", "إضافة"]);

    // A word matched through its stem is highlighted without the article.
    let hits = core.search_guide("مياه", 20).unwrap();
    let relocation = hits.iter().find(|h| h.id == "meter-relocation").unwrap();
    assert_eq!(marked(relocation, HitField::Title, Lang::Ar), ["مياه"]);

    // A prefix highlights only what was typed; English keeps its case.
    let hits = core.search_guide("براء", 1).unwrap();
    assert_eq!(marked(&hits[0], HitField::Title, Lang::Ar), ["براء"]);
    let hits = core.search_guide("clear", 1).unwrap();
    assert_eq!(marked(&hits[0], HitField::Title, Lang::En), ["Clear"]);

    // Tatweel inside a highlighted word stays inside the range.
    let hits = core.search_guide("معامله", 1).unwrap();
    assert_eq!(marked(&hits[0], HitField::Title, Lang::Ar), ["مـــعـــاملة"]);

    // Digits typed in another script highlight the digits as written.
    let hits = core.search_guide("105", 1).unwrap();
    assert_eq!(marked(&hits[0], HitField::Title, Lang::Ar), ["١٠٥"]);
}

/// A result row shows the app's language, unless the query matched only the other language: an
/// English word typed in the Arabic app shows the English title with the word marked.
#[tokio::test(flavor = "multi_thread")]
async fn a_row_shows_the_language_the_query_matched() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = synced_app(&server, dir.path()).await;
    let first = |q: &str| core.search_guide(q, 1).unwrap().remove(0);
    let marked = |text: &str, spans: &[std::ops::Range<usize>]| -> Vec<String> {
        spans.iter().map(|r| text[r.clone()].to_owned()).collect()
    };

    let row = first("رخصه بناء").shown(Lang::Ar);
    assert_eq!((row.lang, row.title.as_str()), (Lang::Ar, "رخصة بناء"));
    assert_eq!(marked(&row.title, &row.title_highlights), ["رخصة", "بناء"]);
    // Arabic typed in the English app: the Arabic title, marked.
    let row = first("رخصه بناء").shown(Lang::En);
    assert_eq!(row.lang, Lang::Ar);
    assert_eq!(marked(&row.title, &row.title_highlights), ["رخصة", "بناء"]);

    let row = first("clearance").shown(Lang::Ar);
    assert_eq!(row.lang, Lang::En);
    assert_eq!(marked(&row.title, &row.title_highlights), ["Clearance"]);
    assert!(row.title.starts_with("Clearance"), "{}", row.title);

    // A query matching both languages keeps the app's.
    for lang in [Lang::Ar, Lang::En] {
        assert_eq!(first("رخصة permit").shown(lang).lang, lang);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn limit_bounds_the_page() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = synced_app(&server, dir.path()).await;
    assert_eq!(core.search_guide("رخصة", 3).unwrap().len(), 3);
    assert!(core.search_guide("رخصة", 0).unwrap().is_empty());
}

/// The in-memory engine (a city's catalogue) and the FTS5 engine (a large one) give the same
/// page: same documents in the same order, same highlights, for every query of the table and the
/// words a user types on the way to them, at several page sizes.
#[tokio::test(flavor = "multi_thread")]
async fn in_memory_and_fts5_engines_agree() {
    use baladiya_core::guide::search::{search, SearchState};
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = synced_app(&server, dir.path()).await;
    let resident = SearchState::with_limits(usize::MAX, usize::MAX, None);
    let on_disk = SearchState::with_limits(0, 0, None);
    let mut queries: Vec<String> = CASES.iter().map(|(q, _, _)| q.to_string()).collect();
    queries.extend(
        ["زيتون", "خدمة", "رخ", "ر", "service", "certificate of", "مياه ", "طلب رخصة"].map(String::from),
    );
    // Every prefix a user types on the way to each case.
    let typed: Vec<String> = CASES
        .iter()
        .flat_map(|(q, _, _)| {
            let chars: Vec<char> = q.chars().collect();
            (1..chars.len()).map(move |n| chars[..n].iter().collect::<String>())
        })
        .collect();
    queries.extend(typed);
    let mut compared = 0;
    for query in &queries {
        for limit in [1, 5, 20, 50] {
            let memory = core.store().read(|c| search(c, &resident, query, limit)).unwrap();
            let fts = core.store().read(|c| search(c, &on_disk, query, limit)).unwrap();
            assert_eq!(memory, fts, "«{query}», page of {limit}");
            compared += usize::from(!memory.is_empty());
        }
    }
    assert!(compared > 400, "too few non-empty pages compared: {compared}");
}

/// A catalogue above the at-once limit is searched on disk at first, while a thread builds its
/// in-memory index on a connection of its own; then the same pages come from memory.
#[tokio::test(flavor = "multi_thread")]
async fn a_larger_catalogue_is_indexed_in_the_background() {
    use baladiya_core::guide::search::{search, SearchState};
    use baladiya_core::store::Store;
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = synced_app(&server, dir.path()).await;
    let store = std::sync::Arc::new(Store::open(dir.path(), baladiya_core::STORE_HOOKS).unwrap());
    let opener = std::sync::Arc::new(move || store.open_reader());
    let state = SearchState::with_limits(10, 10_000, Some(opener));
    let on_disk = SearchState::with_limits(0, 0, None);
    let page = |state: &SearchState, q: &str| core.store().read(|c| search(c, state, q, 20)).unwrap();

    let first = page(&state, "رخصة");
    assert!(!first.is_empty());
    assert_eq!(first, page(&on_disk, "رخصة"));
    let waited = std::time::Instant::now();
    while state.resident_bytes().is_none() {
        assert!(waited.elapsed() < std::time::Duration::from_secs(10), "the index was never built");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    for q in ["رخصة", "مياه", "permit", "رخصه بن", "demolitoin", "xyzzy"] {
        assert_eq!(page(&state, q), page(&on_disk, q), "«{q}»");
    }
}

/// Before the first sync there is nothing to find, and no error; the sync makes the same client
/// find the catalogue (its search index follows the catalogue version).
#[tokio::test(flavor = "multi_thread")]
async fn search_before_the_first_sync_is_empty_then_follows_it() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = app(dir.path(), &server.url());
    assert!(core.search_guide("رخصة", 20).unwrap().is_empty());
    core.sync_guide().await.unwrap();
    assert_eq!(core.search_guide("رخصه بناء", 1).unwrap()[0].id, "building-permit");
    assert!(core.search_index_bytes().is_some_and(|b| b > 0));
}
