//! Complaint outbox figures against the reference server on loopback (prints, asserts nothing):
//! enqueue time without photos (target ≤ 5 ms), and a flush of 1,000 queued complaints (target
//! ≤ 10 s). Photo preparation has its own bench: `cargo bench -p baladiya-core --bench photo`.
//! Run: `cargo bench -p baladiya-tests --bench outbox`.

use std::time::{Duration, Instant};

use baladiya_core::complaints::{AttributeAnswer, ComplaintDraft, GeoPoint};
use baladiya_tests::{complaints_app, TestServer};

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let core = complaints_app(dir.path(), &server.url(), Duration::from_secs(30));
    rt.block_on(core.refresh_complaint_categories()).expect("categories");

    let draft = |i: usize| ComplaintDraft {
        service_code: "water-leak".into(),
        description: format!("تسرب مياه رقم {i} في شارع الوحدة قرب المدرسة"),
        attributes: vec![AttributeAnswer { code: "severity".into(), values: vec!["steady".into()] }],
        location: Some(GeoPoint { lat: 31.52, long: 34.45 }),
        address: None,
        contact: None,
    };
    let mut times = Vec::with_capacity(1000);
    for i in 0..1000 {
        let t = Instant::now();
        core.submit_complaint(draft(i), &[]).expect("submit");
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "enqueue without photo (validate + one durable transaction, synchronous=FULL), 1000 runs: median {} p99 {} (target ≤ 5 ms)",
        ms(pct(&times, 0.5)),
        ms(pct(&times, 0.99))
    );

    let t = Instant::now();
    let report = rt.block_on(core.flush_complaints()).expect("flush");
    let took = t.elapsed();
    println!(
        "flush of {} queued complaints to the local server: {:.2} s, {:.1} ms each (target ≤ 10 s)",
        report.sent.len(),
        took.as_secs_f64(),
        took.as_secs_f64() * 1e3 / report.sent.len().max(1) as f64
    );
    let db =
        std::fs::metadata(dir.path().join(baladiya_core::store::FILE_NAME)).map(|m| m.len()).unwrap_or(0);
    println!("app database after 1000 complaints: {:.1} MiB", db as f64 / 1048576.0);
}
