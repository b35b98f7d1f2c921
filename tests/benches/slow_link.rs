//! Slow-link figures (issue 17): the app against the reference server through the fault proxy in
//! link mode, at 50 kbit/s with 500 ms round trip and at 200 kbit/s with 300 ms, no cuts. Prints
//! a table for the README, asserts nothing. Complaint photos are 12 MP camera-like JPEGs made in
//! memory, prepared by the core as the app prepares them (~2000×1500, a few hundred KB).
//! Run: `cargo bench -p baladiya-tests --bench slow_link` (about seven minutes; `-- 200` runs only
//! the 200 kbit/s link, `-- 50` only the 50 kbit/s one; `-- write-photo PATH` only writes one such 12 MP JPEG, for trying the CLI).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use baladiya_core::complaints::{AttributeAnswer, ComplaintDraft, GeoPoint, PhotoChoice};
use baladiya_core::{Baladiya, BaladiyaEvent, Config};
use baladiya_tests::proxy::{FaultProxy, Link};
use baladiya_tests::{TestServer, DEMO_API_KEY};

/// A camera-like 12 MP JPEG: a lit gradient scene with sensor noise, quality 92.
fn camera_jpeg(seed: u64) -> Vec<u8> {
    let (w, h) = (4000usize, 3000usize);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut rgb = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            let base =
                [(x * 200 / w) as i32 + 30, (y * 180 / h) as i32 + 40, ((x + y) * 120 / (w + h)) as i32 + 60];
            for c in base {
                let noise = rng.i32(-14..=14) + rng.i32(-14..=14);
                rgb.push((c + noise).clamp(0, 255) as u8);
            }
        }
    }
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 92)
        .encode(&rgb, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .expect("encode");
    out
}

fn draft(description: &str) -> ComplaintDraft {
    ComplaintDraft {
        service_code: "water-leak".into(),
        description: description.into(),
        attributes: vec![AttributeAnswer { code: "severity".into(), values: vec!["steady".into()] }],
        location: Some(GeoPoint { lat: 31.52, long: 34.45 }),
        address: None,
        contact: None,
    }
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// When the complaint got its tracking number on the server, and when its last photo arrived.
/// `full_quality` as the citizen may choose (else a slow link gets smaller photos).
async fn complaint(
    core: &Baladiya,
    marks: &Arc<Mutex<Vec<(Instant, BaladiyaEvent)>>>,
    photos: &[Vec<u8>],
    full_quality: bool,
) -> String {
    let choice = PhotoChoice { full_quality, on_unmetered_only: false };
    let id = core.submit_complaint_with(draft("تسرب مياه أمام المدرسة"), photos, choice).expect("submit");
    let bytes: i64 = core
        .store()
        .read(|c| {
            Ok(c.query_row(
                "SELECT COALESCE(SUM(LENGTH(jpeg)), 0) FROM complaint_photos WHERE local_id = ?1",
                [&id],
                |r| r.get(0),
            )?)
        })
        .unwrap_or(0);
    marks.lock().unwrap().clear();
    let t = Instant::now();
    // A failed attempt is retried at once here (the app would wait for its backoff), and said.
    let mut retries = 0;
    let mut report = core.flush_complaints().await.expect("flush");
    while (report.retry_later.is_some() || report.photos_retry_later.is_some()) && retries < 5 {
        eprintln!("retrying after: {report:?}");
        retries += 1;
        report = core.flush_complaints().await.expect("flush");
    }
    let end = t.elapsed();
    assert!(report.retry_later.is_none() && report.photos_retry_later.is_none(), "{report:?}");
    let retried = if retries > 0 { format!(", {retries} retried") } else { String::new() };
    let marks = marks.lock().unwrap();
    let at = |f: &dyn Fn(&BaladiyaEvent) -> bool| marks.iter().find(|(_, e)| f(e)).map(|(i, _)| *i - t);
    let sent =
        at(&|e| matches!(e, BaladiyaEvent::ComplaintSent { local_id, .. } if *local_id == id)).unwrap_or(end);
    if photos.is_empty() {
        format!("{}{retried}", secs(sent))
    } else {
        let last =
            at(&|e| matches!(e, BaladiyaEvent::ComplaintPhotosSent { local_id, .. } if *local_id == id))
                .unwrap_or(end);
        format!("{} / {} ({} KB{retried})", secs(sent), secs(last), bytes / 1024)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "write-photo") {
        let path = args.get(i + 1).expect("write-photo PATH");
        std::fs::write(path, camera_jpeg(0)).expect("write the photo");
        return;
    }
    let only_200 = std::env::args().any(|a| a == "200");
    let only_50 = std::env::args().any(|a| a == "50");
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let raw: Vec<Vec<u8>> = (0..3).map(camera_jpeg).collect();
    let links: Vec<(&str, Link)> = [
        ("50 kbit/s, 500 ms RTT", Link::kbits(50, Duration::from_millis(500))),
        ("200 kbit/s, 300 ms RTT", Link::kbits(200, Duration::from_millis(300))),
    ]
    .into_iter()
    .filter(|(name, _)| (!only_200 || name.starts_with("200")) && (!only_50 || name.starts_with("50 ")))
    .collect();
    println!("| exchange | {} |", links.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(" | "));
    println!("| --- |{}", " --- |".repeat(links.len()));
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    let mut sizes = String::new();
    for (_, link) in &links {
        let server = TestServer::start();
        let dir = tempfile::tempdir().expect("temp dir");
        let proxy = rt.block_on(FaultProxy::start_link(server.addr(), link.clone())).expect("proxy");
        let mut config = Config::new(dir.path(), proxy.url());
        config.open311.api_key = Some(DEMO_API_KEY.into());
        let core = Baladiya::open(config).expect("core");
        let marks: Arc<Mutex<Vec<(Instant, BaladiyaEvent)>>> = Arc::new(Mutex::new(Vec::new()));
        let m = Arc::clone(&marks);
        core.subscribe(Arc::new(move |e: &BaladiyaEvent| {
            if !matches!(e, BaladiyaEvent::ComplaintProgress { .. }) {
                m.lock().unwrap().push((Instant::now(), e.clone()));
            }
        }));
        let mut col = Vec::new();
        let mut time = |label: &str, f: &mut dyn FnMut() -> String| {
            let v = f();
            eprintln!("{label}: {v}; link estimate now {:?} B/s", core.link_throughput());
            col.push((label.to_owned(), v));
        };
        time("first guide sync (51 services, gzip)", &mut || {
            let t = Instant::now();
            rt.block_on(core.sync_guide()).expect("sync");
            secs(t.elapsed())
        });
        time("unchanged guide sync (304)", &mut || {
            let t = Instant::now();
            rt.block_on(core.sync_guide()).expect("sync");
            secs(t.elapsed())
        });
        time("news (30 items, gzip)", &mut || {
            let t = Instant::now();
            rt.block_on(core.refresh_news()).expect("news");
            secs(t.elapsed())
        });
        time("bill with 24 months", &mut || {
            let t = Instant::now();
            rt.block_on(core.lookup_bill("10234518", "0599123456")).expect("bill");
            secs(t.elapsed())
        });
        time("complaint categories", &mut || {
            let t = Instant::now();
            rt.block_on(core.refresh_complaint_categories()).expect("categories");
            secs(t.elapsed())
        });
        time("complaint without photo: tracking number on the server", &mut || {
            rt.block_on(complaint(&core, &marks, &[], true))
        });
        time(
            "complaint with one photo, full quality: tracking number / last photo (photo bytes)",
            &mut || rt.block_on(complaint(&core, &marks, &raw[..1], true)),
        );
        time("complaint with three photos, full quality: tracking number / last photo", &mut || {
            rt.block_on(complaint(&core, &marks, &raw, true))
        });
        time("complaint with one photo, adaptive (smaller on a link under 200 kbit/s)", &mut || {
            rt.block_on(complaint(&core, &marks, &raw[..1], false))
        });
        time("complaint with three photos, adaptive", &mut || {
            rt.block_on(complaint(&core, &marks, &raw, false))
        });
        sizes.push_str(&format!(
            "{}link throughput estimated at {:?} B/s",
            if sizes.is_empty() { "" } else { "; " },
            core.link_throughput()
        ));
        for (i, (label, v)) in col.into_iter().enumerate() {
            if rows.len() <= i {
                rows.push((label, Vec::new()));
            }
            rows[i].1.push(v);
        }
        rt.block_on(proxy.stop());
    }
    for (label, values) in rows {
        println!("| {label} | {} |", values.join(" | "));
    }
    println!(
        "photos: 12 MP JPEGs of {} KB each; {sizes}",
        raw.iter().map(|r| r.len() / 1024).max().unwrap_or(0)
    );
}
