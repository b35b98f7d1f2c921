//! Exactly once under faults: a seeded fault-injecting proxy between the app and the real server,
//! and an app process killed again and again in the middle of flushing.

use std::collections::HashMap;
use std::time::Duration;

use baladiya_core::complaints::{AttributeAnswer, ComplaintDraft, ComplaintState, GeoPoint};
use baladiya_core::{Baladiya, Config};
use baladiya_tests::proxy::{Fault, FaultKind, FaultPlan, FaultProxy};
use baladiya_tests::{TestServer, DEMO_API_KEY};

fn draft(description: String) -> ComplaintDraft {
    ComplaintDraft {
        service_code: "water-leak".into(),
        description,
        attributes: vec![AttributeAnswer { code: "severity".into(), values: vec!["drip".into()] }],
        location: Some(GeoPoint { lat: 31.51, long: 34.46 }),
        address: None,
        contact: None,
    }
}

/// An app whose complaints go through `open311_base` (a proxy in front of the server).
fn app_via(dir: &std::path::Path, server_url: &str, open311_base: &str, timeout: Duration) -> Baladiya {
    let mut config = Config::new(dir, server_url);
    config.open311.endpoint = format!("{open311_base}open311/v2/");
    config.open311.api_key = Some(DEMO_API_KEY.into());
    config.http = baladiya_core::api::HttpSettings {
        connect_timeout: timeout,
        request_timeout: timeout,
        inactivity_timeout: timeout,
        ..Default::default()
    };
    Baladiya::open(config).expect("core opens")
}

/// Descriptions on the server, with how many requests carry each.
async fn server_descriptions(server: &TestServer) -> HashMap<String, Vec<u64>> {
    let mut seen: HashMap<String, Vec<u64>> = HashMap::new();
    for page in 1..=3 {
        for r in server.staff_requests(&format!("page={page}")).await {
            let id: u64 = r["service_request_id"].as_str().unwrap().parse().unwrap();
            seen.entry(r["description"].as_str().unwrap().to_owned()).or_default().push(id);
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_submissions_through_thirty_percent_faults_arrive_exactly_once_in_order() {
    let server = TestServer::start();
    let faults = [
        Fault::Drop,
        Fault::DropAfterForward,
        Fault::Reset,
        Fault::ResetAfterForward,
        Fault::Blackhole,
        Fault::Delay(Duration::from_millis(30)),
        Fault::Status(500),
        Fault::Status(503),
        Fault::Status(429),
    ];
    let proxy = FaultProxy::start(server.addr(), FaultPlan::seeded(2026, 0.3, faults)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let core = app_via(dir.path(), &server.url(), &proxy.url(), Duration::from_millis(500));

    let mut local = Vec::new();
    for i in 0..200 {
        local.push(core.submit_complaint(draft(format!("fault run #{i:03}")), &[]).unwrap());
    }
    let mut flushes = 0;
    loop {
        let r = core.flush_complaints().await.unwrap();
        flushes += 1;
        if r.remaining == 0 {
            break;
        }
        assert!(flushes < 2000, "the queue does not drain: {r:?}");
    }

    let stats = proxy.stats();
    let faulted = stats.faults() as f64 / stats.requests() as f64;
    assert!((0.15..0.45).contains(&faulted), "fault rate {faulted}");
    assert!(stats.count(FaultKind::DropAfterForward) + stats.count(FaultKind::ResetAfterForward) > 0);

    // Each complaint exactly once on the server, and in the order written.
    let on_server = server_descriptions(&server).await;
    assert_eq!(on_server.len(), 200);
    let mut ids = Vec::new();
    for i in 0..200 {
        let copies = &on_server[&format!("fault run #{i:03}")];
        assert_eq!(copies.len(), 1, "#{i} arrived {} times", copies.len());
        ids.push(copies[0]);
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "not in order: {ids:?}");
    for (i, id) in local.iter().enumerate() {
        let c = core.complaint(id).unwrap();
        assert_eq!(c.state, ComplaintState::Sent);
        assert_eq!(c.server_id.as_deref(), Some(ids[i].to_string().as_str()));
    }
    proxy.stop().await;
}

/// The child of the crash drill: flush the queue in `BALADIYA_CRASH_DIR` until it is empty (or
/// until killed). Run only by `flushing_killed_twenty_times_loses_and_duplicates_nothing`.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a child process of the crash drill"]
async fn crash_drill_child() {
    let (Ok(dir), Ok(url), Ok(via)) = (
        std::env::var("BALADIYA_CRASH_DIR"),
        std::env::var("BALADIYA_CRASH_SERVER"),
        std::env::var("BALADIYA_CRASH_VIA"),
    ) else {
        return;
    };
    let core = app_via(std::path::Path::new(&dir), &url, &via, Duration::from_secs(5));
    while core.flush_complaints().await.unwrap().remaining > 0 {}
}

#[tokio::test(flavor = "multi_thread")]
async fn flushing_killed_twenty_times_loses_and_duplicates_nothing() {
    let server = TestServer::start();
    // Every answer takes a while, so kills land before, during and after requests.
    let proxy = FaultProxy::start(server.addr(), FaultPlan::always(Fault::Delay(Duration::from_millis(15))))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    {
        let core = app_via(dir.path(), &server.url(), &proxy.url(), Duration::from_secs(5));
        for i in 0..50 {
            core.submit_complaint(draft(format!("crash drill #{i:02}")), &[]).unwrap();
        }
    }
    let exe = std::env::current_exe().unwrap();
    let mut rng = fastrand::Rng::with_seed(11);
    for round in 0..20 {
        let mut child = std::process::Command::new(&exe)
            .args(["crash_drill_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
            .env("BALADIYA_CRASH_DIR", dir.path())
            .env("BALADIYA_CRASH_SERVER", server.url())
            .env("BALADIYA_CRASH_VIA", proxy.url())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // A random moment: the process start itself takes some of it.
        std::thread::sleep(Duration::from_millis(rng.u64(20..120)));
        child.kill().unwrap(); // SIGKILL: no destructor, no flush of anything.
        child.wait().unwrap();
        let _ = round;
    }
    // The app starts once more and finishes the job.
    let core = app_via(dir.path(), &server.url(), &proxy.url(), Duration::from_secs(5));
    let sent_before = core.complaints().unwrap().iter().filter(|c| c.state == ComplaintState::Sent).count();
    assert!(sent_before < 50, "the kills came too late to test anything");
    while core.flush_complaints().await.unwrap().remaining > 0 {}

    let on_server = server_descriptions(&server).await;
    for i in 0..50 {
        let copies = on_server.get(&format!("crash drill #{i:02}")).map(Vec::len).unwrap_or(0);
        assert_eq!(copies, 1, "#{i} is on the server {copies} times");
    }
    assert_eq!(on_server.len(), 50);
    assert!(core.complaints().unwrap().iter().all(|c| c.state == ComplaintState::Sent));
    proxy.stop().await;
}
