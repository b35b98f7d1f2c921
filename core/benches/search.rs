//! Search and cold-open figures over generated catalogues (Arabic and English) of 250 and 1,000
//! services (a city's catalogue: the in-memory index is built at once, inside the cold open) and
//! 5,000 (built in the background while FTS5 answers; FTS5 alone is measured too). Run with
//! `cargo bench -p baladiya-core --bench search`.
//! Prints figures; asserts nothing. Targets on the reference machine (2 cores): search p99 ≤ 1 ms,
//! cold open ≤ 10 ms.

use std::time::{Duration, Instant};

use baladiya_core::wire::{
    Category, Channel, Department, DocumentForm, Fee, GuideResponse, Localized, ProcessingTime,
    RequiredDocument, Service,
};
use baladiya_core::{guide, Baladiya, Config};

const SIZES: [usize; 3] = [5_000, 1_000, 250];
const ROUNDS: usize = 200;

const ACTIONS: [(&str, &str); 10] = [
    ("طلب", "Request for"),
    ("تجديد", "Renewal of"),
    ("إصدار", "Issuing"),
    ("نقل ملكية", "Transfer of"),
    ("إلغاء", "Cancellation of"),
    ("تعديل", "Amendment of"),
    ("اعتراض على", "Objection to"),
    ("فحص", "Inspection of"),
    ("تصريح", "Permit for"),
    ("استبدال", "Replacement of"),
];
const OBJECTS: [(&str, &str); 25] = [
    ("رخصة بناء", "building permit"),
    ("عداد مياه", "water meter"),
    ("اشتراك صرف صحي", "sewage subscription"),
    ("حاوية نفايات", "waste container"),
    ("لافتة إعلانية", "advertising sign"),
    ("براءة ذمة", "clearance certificate"),
    ("إفادة تنظيمية", "zoning statement"),
    ("رخصة حرفة", "craft licence"),
    ("بسطة في السوق", "market stall"),
    ("حفريات في الطريق", "road excavation"),
    ("شهادة صحية", "health certificate"),
    ("إشغال رصيف", "sidewalk occupancy"),
    ("قطعة أرض", "land parcel"),
    ("مخطط موقع", "site plan"),
    ("إنارة شارع", "street lighting"),
    ("موقف سيارات", "parking space"),
    ("قاعة عامة", "public hall"),
    ("شجرة في الشارع", "street tree"),
    ("ضريبة الأملاك", "property tax"),
    ("فاتورة المياه", "water bill"),
    ("خط مياه رئيسي", "water main"),
    ("مسلخ بلدي", "municipal slaughterhouse"),
    ("ركام البناء", "construction rubble"),
    ("طابق إضافي", "additional floor"),
    ("سور حديقة", "garden wall"),
];
const PLACES: [(&str, &str); 20] = [
    ("الرمال", "Rimal"),
    ("الشجاعية", "Shujaiya"),
    ("الزيتون", "Zeitoun"),
    ("التفاح", "Tuffah"),
    ("الدرج", "Daraj"),
    ("الشيخ رضوان", "Sheikh Radwan"),
    ("النصر", "Nasr"),
    ("تل الهوى", "Tel al-Hawa"),
    ("الصبرة", "Sabra"),
    ("الشاطئ", "Shati"),
    ("الشيخ عجلين", "Sheikh Ajleen"),
    ("الميناء", "Port area"),
    ("السوق المركزي", "Central market"),
    ("المنطقة الصناعية", "Industrial zone"),
    ("حي الأمل", "Amal quarter"),
    ("حي الكرامة", "Karama quarter"),
    ("البلدة القديمة", "Old city"),
    ("شارع عمر المختار", "Omar al-Mukhtar street"),
    ("شارع الجلاء", "Jalaa street"),
    ("شارع الوحدة", "Wehda street"),
];

fn l(ar: &str, en: &str) -> Localized {
    Localized { ar: ar.into(), en: en.into() }
}

fn generated_catalogue(size: usize) -> GuideResponse {
    let mut services = Vec::with_capacity(size);
    for i in 0..size {
        let (aa, ae) = ACTIONS[i % ACTIONS.len()];
        let (oa, oe) = OBJECTS[(i / ACTIONS.len()) % OBJECTS.len()];
        let (pa, pe) = PLACES[(i / (ACTIONS.len() * OBJECTS.len())) % PLACES.len()];
        services.push(Service {
            id: format!("svc-{i}"),
            title: l(&format!("{aa} {oa} في {pa}"), &format!("{ae} {oe} in {pe}")),
            summary: l(
                &format!("خدمة تقدمها البلدية للمواطنين في منطقة {pa} تتعلق بـ{oa}، رقم {i}."),
                &format!("A municipal service for residents of {pe} concerning the {oe}, number {i}."),
            ),
            department_id: "engineering".into(),
            category_id: "building".into(),
            steps: vec![
                l("قدّم الطلب في مكتب خدمة الجمهور.", "Submit the request at the Citizen Service Office."),
                l("ادفع الرسوم في الصندوق.", "Pay the fees at the cashier."),
                l("استلم الوثيقة بعد التدقيق.", "Collect the document after review."),
            ],
            documents: vec![RequiredDocument {
                name: l("صورة الهوية", "Copy of ID card"),
                form: DocumentForm::Copy,
                notes: None,
            }],
            fees: vec![Fee {
                description: l("رسوم", "Fee"),
                amount_minor: Some(5_000),
                currency: "ILS".into(),
                conditions: None,
            }],
            processing_time: ProcessingTime {
                iso8601: "P3D".into(),
                text: l("3 أيام عمل", "3 working days"),
            },
            channels: vec![Channel {
                office: l("مبنى البلدية", "Municipality building"),
                hours: l("السبت – الخميس 8:00 – 14:00", "Sat–Thu 8:00–14:00"),
                phone: Some("08-2832000".into()),
                whatsapp: None,
                web: None,
            }],
            forms: vec![],
            keywords: vec![oa.into(), oe.into(), pa.into()],
            faqs: Vec::new(),
            updated_at: "2026-11-01T00:00:00Z".into(),
            version: 1,
        });
    }
    GuideResponse {
        version: 1,
        since: None,
        departments: vec![Department { id: "engineering".into(), name: l("الهندسة", "Engineering") }],
        categories: vec![Category { id: "building".into(), name: l("البناء", "Building") }],
        services,
        violations: vec![],
        removed_services: vec![],
        removed_violations: vec![],
    }
}

const QUERIES: [(&str, &str); 16] = [
    ("word", "رخصه"),
    ("word", "براءه ذمه"),
    ("word", "water meter"),
    ("word", "الشجاعيه"),
    ("prefixed", "بالعداد"),
    ("prefixed", "والحاوية"),
    ("phrase", "تجديد رخصة بناء في الرمال"),
    ("phrase", "renewal of craft licence"),
    ("prefix", "عدا"),
    ("prefix", "رخصة بن"),
    ("prefix", "cert"),
    ("prefix", "ا"),
    ("harakat", "رُخْصَة"),
    ("typo", "clearence"),
    ("typo", "الشجاعيا"),
    ("miss", "xyzzy"),
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn fmt(d: Duration) -> String {
    format!("{:>8.1} µs", d.as_secs_f64() * 1e6)
}

fn core_at(dir: &std::path::Path) -> Baladiya {
    Baladiya::open(Config::new(dir, "http://127.0.0.1:9/")).expect("open")
}

fn main() {
    for size in SIZES {
        run(size);
    }
}

fn run(size: usize) {
    use guide::search::{RESIDENT_INLINE_MAX, RESIDENT_MAX_DOCS};
    let engine = if size <= RESIDENT_INLINE_MAX {
        "in memory, index built at once"
    } else if size <= RESIDENT_MAX_DOCS {
        "in memory, index built in the background (FTS5 meanwhile)"
    } else {
        "FTS5 on disk"
    };
    let in_memory = size <= RESIDENT_MAX_DOCS;
    println!("\n=== {size} services, searched {engine} ===");
    let dir = tempfile::tempdir().expect("temp dir");
    let catalogue = generated_catalogue(size);
    let started = Instant::now();
    {
        let core = core_at(dir.path());
        core.store().write(|tx| guide::sync::apply(tx, &catalogue, None)).expect("import");
    }
    println!(
        "imported {size} services (full sync write + index) in {:.0} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    let db_bytes =
        std::fs::metadata(dir.path().join(baladiya_core::store::FILE_NAME)).map(|m| m.len()).unwrap_or(0);
    println!("database file: {:.1} MiB", db_bytes as f64 / 1048576.0);

    // Cold open: open + migration check + first search on an existing store, each time anew. A
    // background build is let finish between runs, outside the timing.
    let mut cold = Vec::new();
    let mut ready = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let core = core_at(dir.path());
        let hits = core.search_guide("رخصة بناء", 20).expect("search");
        cold.push(t.elapsed());
        assert!(!hits.is_empty());
        if in_memory {
            ready.push(wait_for_index(&core, t));
        }
    }
    cold.sort();
    ready.sort();
    println!(
        "\ncold open + first search (30 runs): median {} p99 {}",
        fmt(percentile(&cold, 0.5)),
        fmt(percentile(&cold, 0.99))
    );
    if in_memory {
        println!("in-memory index ready after open: median {}", fmt(percentile(&ready, 0.5)));
    }
    let fresh_dir = tempfile::tempdir().expect("temp dir");
    let t = Instant::now();
    let fresh = core_at(fresh_dir.path());
    let _ = fresh.search_guide("رخصة", 20);
    println!("first-ever open (create + migrate 0→latest + search): {}", fmt(t.elapsed()));

    let core = core_at(dir.path());
    let t = Instant::now();
    let _ = core.search_guide("رخصة", 20);
    if in_memory {
        wait_for_index(&core, t);
    }
    match core.search_index_bytes() {
        Some(bytes) => println!("in-memory index: {:.1} MiB", bytes as f64 / 1048576.0),
        None => println!("in-memory index: none"),
    }
    // On disk, the first miss loads the index vocabulary for typo correction; later misses reuse it.
    let t = Instant::now();
    let _ = core.search_guide("clearence", 20);
    println!("first typo query after the first search: {}", fmt(t.elapsed()));
    let all = query_rounds(|q| core.search_guide(q, 20).expect("search").len());
    println!(
        "\n{size} services, {engine}: all queries median {} p99 {} (target p99 ≤ 1000 µs); cold open median {} (target ≤ 10 ms)",
        fmt(percentile(&all, 0.5)),
        fmt(percentile(&all, 0.99)),
        fmt(percentile(&cold, 0.5))
    );
    if size > RESIDENT_INLINE_MAX {
        // What answers before the index is ready (and any catalogue above the in-memory limit).
        let on_disk = guide::search::SearchState::with_limits(0, 0, None);
        let all = query_rounds(|q| {
            core.store().read(|c| guide::search::search(c, &on_disk, q, 20)).expect("search").len()
        });
        println!(
            "\n{size} services, FTS5 on disk: all queries median {} p99 {} (target p99 ≤ 1000 µs)",
            fmt(percentile(&all, 0.5)),
            fmt(percentile(&all, 0.99))
        );
    }
}

/// Wait (at most 5 s) for the client's in-memory index; the time since `since` when it was ready.
fn wait_for_index(core: &Baladiya, since: Instant) -> Duration {
    while core.search_index_bytes().is_none() && since.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_micros(200));
    }
    since.elapsed()
}

/// Every query of `QUERIES`, `ROUNDS` times, printed per query; all the times, sorted.
fn query_rounds(search: impl Fn(&str) -> usize) -> Vec<Duration> {
    let mut all = Vec::new();
    println!("\nsearch, page of 20, {ROUNDS} rounds per query:");
    println!("  {:<9} {:<28} {:>6} {:>12} {:>12}", "kind", "query", "hits", "median", "p99");
    for (kind, q) in QUERIES {
        let mut times = Vec::with_capacity(ROUNDS);
        let mut n = 0;
        for _ in 0..ROUNDS {
            let t = Instant::now();
            n = search(q);
            times.push(t.elapsed());
        }
        all.extend_from_slice(&times);
        times.sort();
        println!(
            "  {kind:<9} {q:<28} {n:>6} {} {}",
            fmt(percentile(&times, 0.5)),
            fmt(percentile(&times, 0.99))
        );
    }
    all.sort();
    all
}
