//! Complaints over a slow link (issue 17): the real server behind the fault proxy in link mode
//! (a rate each way, a one-way delay, connections cut on a schedule, a stall on demand).
//!
//! Scaled for CI where the property stays the same: the link is the real 50 kbit/s and 500 ms
//! round trip, but the photos are small (~25 KB each instead of ~320 KB) and the connection is
//! cut every 3 s instead of every 20 s, so each photo is still cut in the middle (a 25 KB photo
//! takes ~4 s at 50 kbit/s, as a 320 KB one takes ~52 s against a 20 s cut). The timeout tests
//! use second-scale timeouts instead of the app's 20 s inactivity and 30 s base budget.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use baladiya_core::api::HttpSettings;
use baladiya_core::complaints::{AttributeAnswer, ComplaintDraft, ComplaintState, GeoPoint, PhotoChoice};
use baladiya_core::events::UploadProgress;
use baladiya_core::{Baladiya, BaladiyaEvent, Config, Error};
use baladiya_tests::proxy::{FaultProxy, Link};
use baladiya_tests::strict_georeport::{self, StrictCity};
use baladiya_tests::{http_client, TestServer, DEMO_API_KEY};

fn draft(description: &str) -> ComplaintDraft {
    ComplaintDraft {
        service_code: "water-leak".into(),
        description: description.into(),
        attributes: vec![AttributeAnswer { code: "severity".into(), values: vec!["steady".into()] }],
        location: Some(GeoPoint { lat: 31.51, long: 34.46 }),
        address: None,
        contact: None,
    }
}

/// A real JPEG of noise (which compresses badly, like a photo), `w`×`h`, from `seed`.
fn noisy_photo(w: u16, h: u16, seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let rgb: Vec<u8> = (0..w as usize * h as usize * 3).map(|_| rng.u8(..)).collect();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 85).encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb).unwrap();
    out
}

/// An app whose complaints go through `via` (the proxy), with these network settings, and the
/// complaint categories already fetched straight from the server (not part of what is measured).
async fn app(dir: &std::path::Path, server: &TestServer, via: &str, http: HttpSettings) -> Baladiya {
    let open = |endpoint: &str, http: HttpSettings| {
        let mut config = Config::new(dir, server.url());
        config.open311.endpoint = format!("{endpoint}open311/v2/");
        config.open311.api_key = Some(DEMO_API_KEY.into());
        config.http = http;
        Baladiya::open(config).expect("core opens")
    };
    let direct = open(&server.url(), HttpSettings::default());
    direct.refresh_complaint_categories().await.unwrap();
    drop(direct);
    open(via, http)
}

/// The prepared photos of a complaint as the phone stores them, in order.
fn stored_photos(core: &Baladiya, local_id: &str) -> Vec<Vec<u8>> {
    core.store()
        .read(|c| {
            let mut stmt =
                c.prepare("SELECT jpeg FROM complaint_photos WHERE local_id = ?1 ORDER BY position")?;
            let rows = stmt.query_map([local_id], |r| r.get(0))?.collect::<Result<Vec<Vec<u8>>, _>>()?;
            Ok(rows)
        })
        .unwrap()
}

fn progress_of(events: &Arc<Mutex<Vec<BaladiyaEvent>>>) -> Vec<UploadProgress> {
    events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            BaladiyaEvent::ComplaintProgress { progress } => Some(progress.clone()),
            _ => None,
        })
        .collect()
}

/// The shape of the link, in time scaled by `scale` (1 = as given): `scale` times the
/// rate, the delay and the cut interval divided by `scale`. Every ratio the test checks stays
/// the same: bytes between two cuts, bytes in flight at a cut, round trips per cut.
fn two_g(scale: u32) -> Link {
    Link {
        rate: 6_250 * u64::from(scale),
        delay: Duration::from_millis(250) / scale,
        cut_every: Some(Duration::from_secs(20) / scale),
    }
}

/// A complaint with three photos, each bigger than what crosses the link between two cuts, so
/// every photo is cut at least once.
async fn three_photos_over_a_cut_link(scale: u32, photo_side: (u16, u16)) {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let link = two_g(scale);
    let proxy = FaultProxy::start_link(server.addr(), link.clone()).await.unwrap();
    let core = app(dir.path(), &server, &proxy.url(), HttpSettings::default()).await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let sent_at = Arc::new(Mutex::new(None));
    let (e, at) = (Arc::clone(&events), Arc::clone(&sent_at));
    core.subscribe(Arc::new(move |ev: &BaladiyaEvent| {
        if matches!(ev, BaladiyaEvent::ComplaintSent { .. }) {
            at.lock().unwrap().get_or_insert(Instant::now());
        }
        e.lock().unwrap().push(ev.clone())
    }));
    let photos: Vec<Vec<u8>> = (0..3).map(|i| noisy_photo(photo_side.0, photo_side.1, i)).collect();
    let local_id = core.submit_complaint(draft("تسرب على خط ضعيف"), &photos).unwrap();
    let prepared = stored_photos(&core, &local_id);
    let payload: usize = prepared.iter().map(Vec::len).sum();
    let between_cuts = link.rate * link.cut_every.unwrap().as_secs_f64() as u64;
    assert!(prepared.iter().all(|p| p.len() as u64 > between_cuts), "photos of {payload} bytes");

    let before = proxy.stats();
    let started = Instant::now();
    let mut flushes = 0;
    // Bounded: each flush either moves the upload on or ends at a cut.
    while flushes < 60 {
        flushes += 1;
        core.flush_complaints().await.unwrap();
        let c = core.complaint(&local_id).unwrap();
        if c.state == ComplaintState::Sent && c.photos_uploaded == 3 {
            break;
        }
    }
    let took = started.elapsed();
    let sent_at = sent_at.lock().unwrap().map(|t| t - started);
    let c = core.complaint(&local_id).unwrap();
    assert_eq!(
        (c.state, c.photos_uploaded, c.photos_refused),
        (ComplaintState::Sent, 3, 0),
        "after {flushes} flushes"
    );
    let stats = proxy.stats();
    let cuts = stats.cuts - before.cuts;
    let wire = (stats.link_up - before.link_up) + (stats.link_down - before.link_down);
    eprintln!(
        "time scale 1/{scale}: 3 photos, {payload} bytes: tracking number after {sent_at:?}, all photos after \
         {took:?}, {flushes} flushes, {cuts} cuts, {wire} bytes on the wire ({:.3}×)",
        wire as f64 / payload as f64
    );

    // Exactly once, and whole: one request with exactly these three photos, byte for byte.
    let server_id = c.server_id.clone().unwrap();
    let staff = server.staff_request(&server_id).await;
    let urls: Vec<String> =
        staff["media_urls"].as_array().unwrap().iter().map(|u| u.as_str().unwrap().to_owned()).collect();
    assert_eq!(urls.len(), 3, "{staff}");
    for (url, sent) in urls.iter().zip(&prepared) {
        let got = http_client().get(url).send().await.unwrap().bytes().await.unwrap();
        assert_eq!(got.as_ref(), sent.as_slice());
    }
    let same = server.staff_requests("service_code=water-leak").await;
    assert_eq!(same.iter().filter(|r| r["description"] == "تسرب على خط ضعيف").count(), 1);

    // Every photo resumed, none restarted: each attempt announces where it starts (the server's
    // offset), so after a cut a photo's progress goes back to what the server had, never to 0.
    let mut per_photo: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
    for p in progress_of(&events).iter().filter(|p| p.local_id == local_id && p.photo_index > 0) {
        per_photo.entry(p.photo_index).or_default().push(p.photo_bytes_sent);
    }
    assert_eq!(per_photo.len(), 3);
    for (photo, sent) in &per_photo {
        let restarts = sent.windows(2).filter(|w| w[1] < w[0] && w[1] == 0).count();
        let resumes = sent.windows(2).filter(|w| w[1] < w[0] && w[1] > 0).count();
        assert_eq!(restarts, 0, "photo {photo} restarted: {sent:?}");
        assert!(resumes >= 1, "photo {photo} was never cut and resumed: {sent:?}");
    }
    assert!(cuts >= 3, "the link was cut only {cuts} times");
    // Bytes on the wire (both ways, headers and everything) within 1.15× the photos' bytes.
    assert!((wire as f64) <= 1.15 * payload as f64, "{wire} bytes on the wire for {payload} bytes of photos");
    let done = events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, BaladiyaEvent::ComplaintPhotosSent { uploaded: 3, refused: 0, .. }))
        .count();
    assert_eq!(done, 1);
    proxy.stop().await;
}

/// The link in time scaled by 4 (200 kbit/s, 125 ms round trip, cut every 5 s): ~16 s.
#[tokio::test(flavor = "multi_thread")]
async fn three_photos_arrive_once_and_whole_over_a_2g_link_cut_every_20_s_time_scaled() {
    three_photos_over_a_cut_link(4, (560, 420)).await;
}

/// The link as given (50 kbit/s, 500 ms round trip, cut every 20 s): about a minute.
/// `cargo test -p baladiya-tests --test slow_link -- --ignored`
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a minute of wall time; the time-scaled test above checks the same ratios"]
async fn three_photos_arrive_once_and_whole_over_a_2g_link_cut_every_20_s() {
    three_photos_over_a_cut_link(1, (560, 420)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_transfer_that_keeps_moving_is_not_timed_out() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    // 16 kbit/s, above the floor of 1,000 B/s; one photo of ~25 KB takes ~12 s, far beyond the
    // 2 s base budget (the old whole-request timeout) and the 2 s inactivity timeout.
    let proxy =
        FaultProxy::start_link(server.addr(), Link::kbits(16, Duration::from_millis(200))).await.unwrap();
    let http = HttpSettings {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        inactivity_timeout: Duration::from_secs(2),
        floor_rate: 1_000,
    };
    let core = app(dir.path(), &server, &proxy.url(), http).await;
    let local_id = core.submit_complaint(draft("بطيء لكنه يتحرك"), &[noisy_photo(160, 120, 7)]).unwrap();
    let started = Instant::now();
    let report = core.flush_complaints().await.unwrap();
    let took = started.elapsed();
    assert!(report.retry_later.is_none() && report.photos_retry_later.is_none(), "{report:?}");
    assert_eq!(report.photos_uploaded, 1);
    let c = core.complaint(&local_id).unwrap();
    assert_eq!((c.state, c.photos_uploaded), (ComplaintState::Sent, 1));
    assert!(took > Duration::from_secs(4), "the link was not slow: {took:?}");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_upload_is_detected_within_the_inactivity_timeout() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    // 400 kbit/s, then the link stalls while a large photo is on its way.
    let proxy =
        FaultProxy::start_link(server.addr(), Link::kbits(400, Duration::from_millis(100))).await.unwrap();
    let inactivity = Duration::from_secs(2);
    let http = HttpSettings {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(60),
        inactivity_timeout: inactivity,
        floor_rate: 1_000,
    };
    let core = app(dir.path(), &server, &proxy.url(), http).await;
    let local_id = core.submit_complaint(draft("انقطع الخط"), &[noisy_photo(1000, 750, 9)]).unwrap();
    let size = stored_photos(&core, &local_id)[0].len();
    assert!(size > 300_000, "a photo of {size} bytes");
    // Stall once the photo is a fifth of the way.
    let stalled_at = Arc::new(Mutex::new(None));
    let (p, s) = (proxy.stall_switch(), Arc::clone(&stalled_at));
    core.subscribe(Arc::new(move |e: &BaladiyaEvent| {
        if let BaladiyaEvent::ComplaintProgress { progress: pr } = e {
            if pr.photo_index == 1 && pr.photo_bytes_sent * 5 > pr.photo_bytes_total {
                let mut at = s.lock().unwrap();
                if at.is_none() {
                    p.set_stalled(true);
                    *at = Some(Instant::now());
                }
            }
        }
    }));
    let report = core.flush_complaints().await.unwrap();
    let detected = Instant::now();
    let stalled = stalled_at.lock().unwrap().expect("the upload got going");
    let retry = report.photos_retry_later.clone().unwrap_or_else(|| panic!("no retry: {report:?}"));
    assert_eq!(retry.error, Error::Timeout.to_string());
    let waited = detected - stalled;
    eprintln!("stall detected after {waited:?} (inactivity timeout {inactivity:?})");
    // The client's buffers fill at once; the rest is the inactivity timeout (and the check of the
    // offset that follows, which stalls the same way).
    assert!(waited <= inactivity * 2 + Duration::from_secs(2), "detected after {waited:?}");
    // Nothing lost: once the link moves again, the photo resumes and arrives.
    proxy.set_stalled(false);
    let report = core.flush_complaints().await.unwrap();
    assert_eq!(report.photos_uploaded, 1, "{report:?}");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn to_a_plain_georeport_server_the_photo_goes_in_the_post_with_a_budget_for_its_bytes() {
    // Another city's strict GeoReport v2 server: no resumable uploads, photos only as `media`
    // parts of the POST, and any field beyond the spec refused.
    let strict = StrictCity::start("/open311/v2/").await;
    // 64 kbit/s: the POST with a ~80 KB photo takes ~10 s, against a 2 s base budget and a 2 s
    // inactivity timeout; the budget grows by the body's bytes at the floor rate (1,000 B/s).
    let proxy =
        FaultProxy::start_link(strict.addr, Link::kbits(64, Duration::from_millis(200))).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path(), "http://127.0.0.1:9/");
    config.open311.endpoint = format!("{}open311/v2/", proxy.url());
    config.open311.api_key = Some(strict_georeport::API_KEY.into());
    config.http = HttpSettings {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        inactivity_timeout: Duration::from_secs(2),
        floor_rate: 1_000,
    };
    let core = Baladiya::open(config).unwrap();
    core.refresh_complaint_categories().await.unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let e = Arc::clone(&events);
    core.subscribe(Arc::new(move |ev: &BaladiyaEvent| e.lock().unwrap().push(ev.clone())));
    let mut d = draft("حفرة في الشارع");
    d.service_code = "102".into();
    d.attributes.clear();
    let local_id = core.submit_complaint(d, &[noisy_photo(400, 300, 3)]).unwrap();
    let prepared = stored_photos(&core, &local_id);

    let started = Instant::now();
    let report = core.flush_complaints().await.unwrap();
    let took = started.elapsed();
    assert_eq!(report.sent.len(), 1, "{report:?}");
    assert!(took > Duration::from_secs(4), "the link was not slow: {took:?}");
    {
        let city = strict.city();
        assert_eq!(city.log.iter().filter(|e| e.method == "POST").count(), 1, "{:?}", city.log);
        let media: Vec<Vec<Vec<u8>>> = city.requests.iter().map(|r| r.media.clone()).collect();
        assert_eq!(media, vec![prepared.clone()], "one POST carrying the photo");
    }
    let c = core.complaint(&local_id).unwrap();
    assert_eq!((c.state, c.photos_uploaded), (ComplaintState::Sent, 1));
    // Progress of the whole POST (photo_index 0), up to its last byte.
    let progress = progress_of(&events);
    let last = progress.last().expect("progress events");
    assert_eq!((last.photo_index, last.bytes_sent), (0, last.bytes_total));
    assert!(last.bytes_total as usize > prepared[0].len());
    assert!(progress.windows(2).all(|w| w[0].bytes_sent <= w[1].bytes_sent), "{progress:?}");
    proxy.stop().await;
}

/// Decoded size of a JPEG (from its header).
fn jpeg_size(jpeg: &[u8]) -> (u16, u16) {
    let mut d = jpeg_decoder::Decoder::new(jpeg);
    d.read_info().unwrap();
    let info = d.info().unwrap();
    (info.width, info.height)
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_slow_link_photos_are_prepared_smaller_and_wifi_only_photos_wait_for_wifi() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    // 160 kbit/s: slow (below 200 kbit/s), yet quick enough for a test.
    let proxy =
        FaultProxy::start_link(server.addr(), Link::kbits(160, Duration::from_millis(100))).await.unwrap();
    let core = app(dir.path(), &server, &proxy.url(), HttpSettings::default()).await;
    let big = noisy_photo(1600, 1200, 11);
    // Nothing seen yet: full size.
    let first = core.submit_complaint(draft("قبل القياس"), &[noisy_photo(224, 168, 12)]).unwrap();
    assert_eq!(core.link_throughput(), None);
    core.flush_complaints().await.unwrap();
    assert_eq!(core.complaint(&first).unwrap().photos_uploaded, 1);
    let rate = core.link_throughput().expect("the upload was measured");
    assert!(rate < 25_000, "{rate} B/s");

    // Now a slow link is known: smaller, unless full quality is asked for.
    let small = core.submit_complaint(draft("صورة مصغرة"), std::slice::from_ref(&big)).unwrap();
    let full = core
        .submit_complaint_with(
            draft("صورة كاملة"),
            std::slice::from_ref(&big),
            PhotoChoice { full_quality: true, on_unmetered_only: true },
        )
        .unwrap();
    let (small_jpeg, full_jpeg) = (&stored_photos(&core, &small)[0], &stored_photos(&core, &full)[0]);
    // (Noise compresses worst of all: both are shrunk further to fit their bytes.)
    assert!(jpeg_size(small_jpeg).0 <= 1280 && jpeg_size(full_jpeg).0 > jpeg_size(small_jpeg).0);
    assert!(small_jpeg.len() <= 150 * 1024 && small_jpeg.len() * 2 < full_jpeg.len());

    // "Send photos later, on Wi-Fi": the complaint goes now, its photo waits while metered.
    core.cancel_complaint(&small).unwrap();
    let report = core.flush_complaints().await.unwrap();
    assert_eq!(report.sent.len(), 1);
    assert_eq!((report.photos_uploaded, report.photos_remaining), (0, 1));
    let waiting = core.complaint(&full).unwrap();
    assert_eq!((waiting.state, waiting.photos_uploaded), (ComplaintState::Sent, 0));
    assert!(waiting.photos_on_unmetered_only);
    core.set_metered(false);
    let report = core.flush_complaints().await.unwrap();
    assert_eq!((report.photos_uploaded, report.photos_remaining), (1, 0), "{report:?}");
    proxy.stop().await;
}
