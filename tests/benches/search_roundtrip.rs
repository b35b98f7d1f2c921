//! The Rust side of the bindings benchmark: a typical guide search (a page of 20) on the synced
//! sample catalogue, through the core and through the exported `Baladiya` object (which adds the
//! conversion to a one-language `GuideHit` with UTF-16 spans). The Kotlin and Swift figures come from
//! `scripts/bench-bindings.sh`, on the same data and queries.
//! Run: `cargo bench -p baladiya-tests --bench search_roundtrip`.

use std::time::{Duration, Instant};

use baladiya_ffi::{Baladiya as Exported, BaladiyaConfig};
use baladiya_tests::TestServer;

pub const QUERIES: [&str; 4] = ["رخصة", "مياه", "permit", "رخصه بناء"];
const ROUNDS: usize = 2000;

fn report(label: &str, mut times: Vec<Duration>) {
    times.sort();
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e6;
    println!("{label:<34} median {:>7.1} µs   p99 {:>7.1} µs", at(0.5), at(0.99));
}

fn main() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let core = baladiya_tests::app(dir.path(), &server.url());
    rt.block_on(core.sync_guide()).expect("sync");
    let hits: Vec<usize> =
        QUERIES.iter().map(|q| core.search_guide(q, 20).map(|h| h.len()).unwrap_or(0)).collect();
    println!("sample catalogue; hits per query (page of 20): {hits:?}");

    let mut times = Vec::with_capacity(ROUNDS);
    for i in 0..ROUNDS {
        let t = Instant::now();
        let _ = core.search_guide(QUERIES[i % QUERIES.len()], 20);
        times.push(t.elapsed());
    }
    report("Rust core search_guide", times);

    let exported = Exported::open(BaladiyaConfig {
        data_dir: dir.path().to_string_lossy().into_owned(),
        server_url: server.url(),
        request_timeout_ms: 0,
        locale: "ar".into(),
        api_key: None,
        open311_endpoint: None,
        jurisdiction_id: None,
    })
    .expect("open");
    let mut times = Vec::with_capacity(ROUNDS);
    for i in 0..ROUNDS {
        let t = Instant::now();
        let _ = exported.search_guide(QUERIES[i % QUERIES.len()].to_owned(), 20);
        times.push(t.elapsed());
    }
    report("Rust exported object (no FFI)", times);
}
