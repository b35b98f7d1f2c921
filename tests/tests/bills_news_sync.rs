//! Bills, news and the background sync: the core against the real server on loopback.

use std::time::{Duration, Instant};

use baladiya_core::complaints::{AttributeAnswer, ComplaintDraft, GeoPoint};
use baladiya_core::{Baladiya, BaladiyaEvent, Config, Error};
use baladiya_tests::proxy::{Fault, FaultPlan, FaultProxy};
use baladiya_tests::{complaints_app, http_client, TestServer, DEMO_API_KEY, STAFF_TOKEN};

/// Sample accounts (server/src/bills/sample.rs) and their registered phones.
const HOME: &str = "10234518";
const HOME_PHONE: &str = "0599 123 456";
const SHOP: &str = "20873315";

const TIMEOUT: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread")]
async fn a_bill_needs_its_verification_and_digits_of_any_script_find_it() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = complaints_app(dir.path(), &server.url(), TIMEOUT);
    assert_eq!(core.bill_verification().await.unwrap().kind, "phone");

    let latin = core.lookup_bill(HOME, HOME_PHONE).await.unwrap();
    assert!(!latin.stale);
    assert_eq!(latin.statement.account, HOME);
    assert_eq!(latin.statement.history.len(), 24);
    let arabic = core.lookup_bill("١٠٢٣-٤٥١٨", "٠٥٩٩ ١٢٣ ٤٥٦").await.unwrap();
    let persian = core.lookup_bill("۱۰۲۳۴۵۱۸", "+۹۷۰ ۵۹۹ ۱۲۳ ۴۵۶").await.unwrap();
    assert_eq!(arabic.statement, latin.statement);
    assert_eq!(persian.statement, latin.statement);

    // Wrong factor and unknown account: the same typed error, no hint which.
    assert!(matches!(core.lookup_bill(HOME, "0599000000").await, Err(Error::Unauthorized)));
    assert!(matches!(core.lookup_bill("99999999", HOME_PHONE).await, Err(Error::Unauthorized)));
    // Malformed input never leaves the phone.
    assert!(
        matches!(core.lookup_bill("1234", HOME_PHONE).await, Err(Error::Validation { ref field, .. }) if field == "account")
    );
    assert!(
        matches!(core.lookup_bill(HOME, "12").await, Err(Error::Validation { ref field, .. }) if field == "verification")
    );
    // Nothing of an unsaved lookup was kept.
    assert!(core.saved_bill_accounts().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_verifications_are_throttled_with_retry_after() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = complaints_app(dir.path(), &server.url(), TIMEOUT);
    let mut throttled = None;
    for attempt in 1..=10 {
        match core.lookup_bill(SHOP, &format!("059900000{attempt}")).await {
            Err(Error::Unauthorized) => {}
            Err(Error::Throttled { retry_after }) => {
                throttled = Some((attempt, retry_after));
                break;
            }
            other => panic!("attempt {attempt}: {other:?}"),
        }
    }
    let (attempt, retry_after) = throttled.expect("throttled within 10 failures");
    assert!(attempt <= 6, "throttled only at attempt {attempt}");
    assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_secs(15 * 60));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_account_shows_its_last_bill_offline_with_its_date() {
    let mut server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = complaints_app(dir.path(), &server.url(), TIMEOUT);
    let saved = core.save_bill_account(HOME, "البيت", HOME_PHONE).await.unwrap();
    let list = core.saved_bill_accounts().unwrap();
    assert_eq!((list[0].account.as_str(), list[0].nickname.as_str()), (HOME, "البيت"));
    // The factor is not stored in clear.
    let raw = std::fs::read(dir.path().join(baladiya_core::store::FILE_NAME)).unwrap();
    assert!(!raw.windows(9).any(|w| w == b"599123456"), "the phone number is in the database file");

    server.stop();
    let offline = core.lookup_bill(HOME, HOME_PHONE).await.unwrap();
    assert!(offline.stale);
    assert_eq!(offline.fetched_at, saved.fetched_at);
    assert_eq!(offline.statement, saved.statement);
    // Offline, the copy is still shown only to someone who knows the factor.
    assert!(matches!(core.lookup_bill(HOME, "0599000000").await, Err(Error::Unauthorized)));
    // An account never saved has no copy: offline is offline.
    assert!(matches!(core.lookup_bill(SHOP, "0598765432").await, Err(Error::Offline)));

    core.forget_bill_account(HOME).unwrap();
    assert!(core.saved_bill_accounts().unwrap().is_empty());
    assert!(matches!(core.lookup_bill(HOME, HOME_PHONE).await, Err(Error::Offline)));
}

#[tokio::test(flavor = "multi_thread")]
async fn news_refresh_is_conditional_and_withdrawn_items_disappear() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = complaints_app(dir.path(), &server.url(), TIMEOUT);
    let first = core.refresh_news().await.unwrap();
    assert_eq!(first.new_items, 30);
    assert!(first.important.is_empty(), "the first load notifies nothing");
    assert_eq!(core.unread_news_count().unwrap(), 30);
    let again = core.refresh_news().await.unwrap();
    assert!(again.not_modified);
    assert!(again.bytes_received <= 600, "an unchanged refresh cost {} bytes", again.bytes_received);

    let items = core.news(false).unwrap();
    core.mark_news_read(Some(&items[0].item.id)).unwrap();
    assert_eq!(core.unread_news_count().unwrap(), 29);

    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let s = std::sync::Arc::clone(&seen);
    core.subscribe(std::sync::Arc::new(move |e: &BaladiyaEvent| s.lock().unwrap().push(e.clone())));
    let http = http_client();
    let published: serde_json::Value = http
        .post(format!("{}api/v1/staff/news", server.url()))
        .bearer_auth(STAFF_TOKEN)
        .json(&serde_json::json!({
            "title": {"ar": "قطع المياه غداً عن حي الرمال", "en": "Water cut in Rimal tomorrow"},
            "body": {"ar": "بسبب أعمال صيانة.", "en": "For maintenance."},
            "category": "service_interruption",
            "important": true
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let withdrawn = items[1].item.id.clone();
    let resp = http
        .delete(format!("{}api/v1/staff/news/{withdrawn}", server.url()))
        .bearer_auth(STAFF_TOKEN)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());

    let r = core.refresh_news().await.unwrap();
    assert_eq!((r.new_items, r.withdrawn), (1, 1));
    assert_eq!(r.important.len(), 1);
    assert_eq!(r.important[0].id, published["id"].as_str().unwrap());
    let now = core.news(false).unwrap();
    assert!(!now.iter().any(|n| n.item.id == withdrawn));
    assert_eq!(now[0].item.id, published["id"].as_str().unwrap(), "newest first");
    // The read mark survived the refresh.
    assert!(now.iter().find(|n| n.item.id == items[0].item.id).unwrap().read);
    assert!(matches!(&seen.lock().unwrap()[..], [BaladiyaEvent::NewsArrived { important: 1, .. }]));
}

fn leak(i: usize) -> ComplaintDraft {
    ComplaintDraft {
        service_code: "water-leak".into(),
        description: format!("background #{i}"),
        attributes: vec![AttributeAnswer { code: "severity".into(), values: vec!["drip".into()] }],
        location: Some(GeoPoint { lat: 31.5, long: 34.45 }),
        address: None,
        contact: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn background_sync_keeps_its_budget_on_a_slow_server_and_resumes_without_duplicates() {
    let server = TestServer::start();
    // Everything, municipal API and Open311, through a proxy that holds every answer 400 ms.
    let proxy = FaultProxy::start(server.addr(), FaultPlan::always(Fault::Delay(Duration::from_millis(400))))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path(), proxy.url());
    config.open311.api_key = Some(DEMO_API_KEY.into());
    config.http.request_timeout = Duration::from_secs(5);
    let core = Baladiya::open(config).unwrap();
    for i in 0..8 {
        core.submit_complaint(leak(i), &[]).unwrap();
    }

    let budget = Duration::from_millis(1000);
    let started = Instant::now();
    let first = core.background_sync(budget).await;
    let took = started.elapsed();
    assert!(!first.offline, "slow is not offline");
    assert!(took <= budget.mul_f64(1.1), "took {took:?} for a budget of {budget:?}");
    assert!(first.out_of_time);
    let sent_first = first.flush.as_ref().map(|f| f.sent.len()).unwrap_or(0);
    assert!(sent_first < 8, "a slow server cannot take 8 in a second");
    assert!(first.news.is_none() && first.guide.is_none(), "lower priorities wait: {first:?}");

    // The network heals; the next runs finish the work.
    proxy.set_plan(FaultPlan::pass());
    let second = core.background_sync(Duration::from_secs(20)).await;
    assert!(!second.out_of_time, "{second:?}");
    assert!(second.errors.is_empty(), "{:?}", second.errors);
    assert_eq!(second.flush.as_ref().unwrap().remaining, 0);
    assert_eq!(second.news.as_ref().unwrap().new_items, 30);
    assert!(second.guide.as_ref().unwrap().full);

    // Each complaint exactly once on the server, even the one cut off by the budget.
    let mut descriptions: Vec<String> = server
        .staff_requests("service_code=water-leak")
        .await
        .iter()
        .map(|r| r["description"].as_str().unwrap().to_owned())
        .collect();
    descriptions.sort();
    let expected: Vec<String> = (0..8).map(|i| format!("background #{i}")).collect();
    assert_eq!(descriptions, expected);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn background_sync_turns_changes_into_notifications() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = complaints_app(dir.path(), &server.url(), TIMEOUT);
    core.refresh_complaint_categories().await.unwrap();
    let id = core.submit_complaint(leak(1), &[]).unwrap();
    let first = core.background_sync(Duration::from_secs(20)).await;
    assert_eq!(first.flush.as_ref().unwrap().sent.len(), 1);
    let server_id = core.complaint(&id).unwrap().server_id.unwrap();
    server.staff_action(&server_id, serde_json::json!({"action": "reply", "note": "نعمل على الإصلاح"})).await;

    let second = core.background_sync(Duration::from_secs(20)).await;
    let notes: Vec<_> =
        second.notifications.iter().map(|n| (n.subject_id.as_str(), n.text.as_str())).collect();
    assert_eq!(notes, [(id.as_str(), "نعمل على الإصلاح")]);
    assert!(second.news.as_ref().unwrap().not_modified);
    assert!(second.guide.as_ref().unwrap().not_modified);
}

#[tokio::test(flavor = "multi_thread")]
async fn background_sync_offline_says_so_and_stops_early() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let core = complaints_app(dir.path(), &format!("http://127.0.0.1:{port}/"), TIMEOUT);
    core.submit_complaint(leak(1), &[]).unwrap();
    let r = core.background_sync(Duration::from_secs(10)).await;
    assert!(r.offline);
    // The outbox met the unreachable server first; nothing else was tried.
    assert!(r.flush.as_ref().unwrap().retry_later.as_ref().unwrap().offline);
    assert!(r.complaints.is_none() && r.news.is_none() && r.guide.is_none(), "{r:?}");
    assert_eq!(core.complaints().unwrap()[0].state, baladiya_core::complaints::ComplaintState::Queued);
}
