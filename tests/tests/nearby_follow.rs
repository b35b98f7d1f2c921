//! "This is my problem too" (issue 15.3), end to end: the core against the real reference server.
//! A second citizen about to report a leak finds the one already reported 20 m away, follows it
//! instead, is counted once by the municipality, and hears its status change; following works
//! offline and is counted by the first flush when the network returns; the nearby step is skipped (never an error)
//! without a point, offline, against another city's server and against one that refuses the
//! extension.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use baladiya_core::complaints::follow::{NearbyCheck, NearbyRequest, NearbySkip};
use baladiya_core::complaints::{Area, AttributeAnswer, ComplaintDraft, ComplaintState, GeoPoint};
use baladiya_core::{Baladiya, BaladiyaEvent, Config};
use baladiya_tests::strict_georeport::{StrictCity, API_KEY, JURISDICTION};
use baladiya_tests::{complaints_app, free_addr, http_client, TestServer};

const LEAK: GeoPoint = GeoPoint { lat: 31.52, long: 34.45 };
/// 20 m north of the leak (0.00018° of latitude).
const NEIGHBOUR: GeoPoint = GeoPoint { lat: 31.52018, long: 34.45 };

fn leak(description: &str, at: GeoPoint) -> ComplaintDraft {
    ComplaintDraft {
        service_code: "water-leak".into(),
        description: description.into(),
        attributes: vec![AttributeAnswer { code: "severity".into(), values: vec!["steady".into()] }],
        location: Some(at),
        address: None,
        contact: None,
    }
}

fn app(dir: &std::path::Path, url: &str) -> Baladiya {
    complaints_app(dir, url, Duration::from_secs(5))
}

/// Citizen A reports the leak and it reaches the municipality; its server id.
async fn reported(core: &Baladiya, description: &str) -> String {
    core.refresh_complaint_categories().await.expect("categories");
    let id = core.submit_complaint(leak(description, LEAK), &[]).expect("filed");
    let report = core.flush_complaints().await.expect("flushed");
    report.sent.iter().find(|s| s.local_id == id).and_then(|s| s.server_id.clone()).expect("sent with an id")
}

fn found(check: Result<NearbyCheck, baladiya_core::Error>) -> Vec<NearbyRequest> {
    match check.expect("the phone's store answers") {
        NearbyCheck::Found { requests } => requests,
        NearbyCheck::Skipped { reason } => panic!("skipped: {reason:?}"),
    }
}

fn skipped(check: Result<NearbyCheck, baladiya_core::Error>) -> NearbySkip {
    match check.expect("the phone's store answers") {
        NearbyCheck::Skipped { reason } => reason,
        NearbyCheck::Found { requests } => panic!("found {requests:?}"),
    }
}

async fn public_followers(server: &TestServer, id: &str) -> serde_json::Value {
    let url = format!("{}open311/v2/requests/{id}.json", server.url());
    let v: serde_json::Value = http_client().get(url).send().await.unwrap().json().await.unwrap();
    v[0]["followers"].clone()
}

fn updates_of(seen: &Mutex<Vec<BaladiyaEvent>>, local_id: &str) -> Vec<String> {
    seen.lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            BaladiyaEvent::ComplaintUpdated { local_id: l, update, .. } if l == local_id => {
                Some(update.description.clone())
            }
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_citizen_follows_the_leak_reported_nearby_and_hears_its_status_change() {
    let server = TestServer::start();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = app(dir_a.path(), &server.url());
    let server_id = reported(&a, "تسرب مياه أمام المدرسة").await;
    // Verified before B comes along: its history then holds two entries B has not seen.
    server.staff_action(&server_id, serde_json::json!({"action": "verify"})).await;

    let b = app(dir_b.path(), &server.url());
    b.refresh_complaint_categories().await.expect("categories");
    let seen: Arc<Mutex<Vec<BaladiyaEvent>>> = Arc::default();
    let sink = Arc::clone(&seen);
    b.subscribe(Arc::new(move |e: &BaladiyaEvent| sink.lock().unwrap().push(e.clone())));

    let near = found(b.nearby_requests("water-leak", Some(NEIGHBOUR)).await);
    assert_eq!(near.len(), 1, "{near:?}");
    let leak_found = &near[0];
    assert_eq!(leak_found.service_request_id, server_id);
    assert!((19..=21).contains(&leak_found.distance_m), "{}", leak_found.distance_m);
    assert_eq!(leak_found.description.as_deref(), Some("تسرب مياه أمام المدرسة"));
    assert_eq!(leak_found.followers, 0);
    assert!(!leak_found.on_this_phone);
    assert!(found(a.nearby_requests("water-leak", Some(NEIGHBOUR)).await)[0].on_this_phone, "A's own");
    assert!(found(b.nearby_requests("sewage-overflow", Some(NEIGHBOUR)).await).is_empty(), "another kind");
    let far = GeoPoint { lat: 31.5230, long: 34.45 }; // ~330 m north
    assert!(found(b.nearby_requests("water-leak", Some(far)).await).is_empty(), "beyond 50 m");

    let followed = b.follow_request(leak_found).expect("followed");
    assert_eq!(b.follow_request(leak_found).expect("again"), followed, "one row per request");
    let c = b.complaint(&followed).unwrap();
    assert!(c.followed && c.state == ComplaintState::Sent, "{c:?}");
    assert_eq!(c.followers, Some(1), "the citizen is one of them at once, before the server says so");
    assert_eq!(c.server_id.as_deref(), Some(server_id.as_str()));
    assert!(!c.can_give_feedback && !c.can_reopen && c.token.is_none(), "not B's to rate or reopen");

    b.refresh_complaints().await.expect("refreshed");
    assert_eq!(public_followers(&server, &server_id).await, 1, "counted by the municipality");
    assert_eq!(b.complaint(&followed).unwrap().followers, Some(1));
    assert_eq!(server.staff_request(&server_id).await["followers"], 1, "staff see it");
    assert!(updates_of(&seen, &followed).is_empty(), "its history before following is not news");
    b.refresh_complaints().await.expect("refreshed again");
    assert_eq!(public_followers(&server, &server_id).await, 1, "counted once");
    assert!(found(b.nearby_requests("water-leak", Some(NEIGHBOUR)).await)[0].on_this_phone);

    server.staff_action(&server_id, serde_json::json!({"action": "route", "department_id": "water"})).await;
    server
        .staff_action(
            &server_id,
            serde_json::json!({"action": "status", "detailed_status": "in_progress", "note": "الفريق في الطريق"}),
        )
        .await;
    let report = b.refresh_complaints().await.expect("refreshed");
    assert!(report.new_updates >= 1, "{report:?}");
    assert!(updates_of(&seen, &followed).iter().any(|d| d == "الفريق في الطريق"), "B hears the change");
    let c = b.complaint(&followed).unwrap();
    assert_eq!(c.detailed_status.as_deref(), Some("in_progress"));
    // A sees the count too, on its own next refresh.
    a.refresh_complaints().await.expect("A refreshed");
    assert_eq!(a.complaints().unwrap()[0].followers, Some(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn following_works_offline_and_is_counted_when_the_network_returns() {
    let mut server = TestServer::start();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server_id = reported(&app(dir_a.path(), &server.url()), "تسرب في الشارع").await;
    let b = app(dir_b.path(), &server.url());
    let near = found(b.nearby_requests("water-leak", Some(NEIGHBOUR)).await);

    let addr = server.addr();
    server.stop();
    assert_eq!(skipped(b.nearby_requests("water-leak", Some(NEIGHBOUR)).await), NearbySkip::Offline);
    let followed = b.follow_request(&near[0]).expect("followed with no network");
    assert!(b.refresh_complaints().await.is_err(), "no network");
    drop(b);

    server.restart(addr);
    let b = app(dir_b.path(), &server.url());
    // What runs when the network comes back is the outbox's flush: it counts the following too.
    b.flush_complaints().await.expect("flushed");
    assert_eq!(public_followers(&server, &server_id).await, 1);
    assert_eq!(b.complaint(&followed).unwrap().followers, Some(1));
    b.refresh_complaints().await.expect("refreshed");
    assert_eq!(public_followers(&server, &server_id).await, 1, "counted once");
}

/// Followed while the phone was offline, changed by staff before the phone's first refresh: that
/// change happened after the following, so it is news (only the history before is not).
#[tokio::test(flavor = "multi_thread")]
async fn a_change_between_following_and_the_first_refresh_is_heard() {
    let server = TestServer::start();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server_id = reported(&app(dir_a.path(), &server.url()), "تسرب عند الدوار").await;
    server.staff_action(&server_id, serde_json::json!({"action": "verify"})).await;
    let b = app(dir_b.path(), &server.url());
    let seen: Arc<Mutex<Vec<BaladiyaEvent>>> = Arc::default();
    let sink = Arc::clone(&seen);
    b.subscribe(Arc::new(move |e: &BaladiyaEvent| sink.lock().unwrap().push(e.clone())));
    let near = found(b.nearby_requests("water-leak", Some(NEIGHBOUR)).await);
    let followed = b.follow_request(&near[0]).expect("followed");
    // The server's clock moves on before staff act (its stamps are microseconds; one is enough).
    tokio::time::sleep(Duration::from_millis(5)).await;
    server
        .staff_action(
            &server_id,
            serde_json::json!({"action": "route", "department_id": "water", "note": "أحيل إلى دائرة المياه"}),
        )
        .await;
    b.refresh_complaints().await.expect("refreshed");
    let heard = updates_of(&seen, &followed);
    assert_eq!(heard, vec!["أحيل إلى دائرة المياه".to_owned()], "only what came after the following");
    assert!(b.complaint(&followed).unwrap().updates.len() >= 3, "the whole history is kept");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_nearby_step_is_skipped_without_a_point_offline_and_where_the_extension_is_not_taken() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = app(dir.path(), &server.url());
    assert_eq!(skipped(core.nearby_requests("water-leak", None).await), NearbySkip::NoLocation);
    let tel_aviv = GeoPoint { lat: 32.08, long: 34.78 };
    assert_eq!(skipped(core.nearby_requests("water-leak", Some(tel_aviv)).await), NearbySkip::NoLocation);
    let nan = GeoPoint { lat: f64::NAN, long: 34.45 };
    assert_eq!(skipped(core.nearby_requests("water-leak", Some(nan)).await), NearbySkip::NoLocation);
    // Those were not asked about: the point extension is not learned as refused by them.
    assert!(found(core.nearby_requests("water-leak", Some(LEAK)).await).is_empty(), "nothing filed here yet");

    let nobody = format!("http://{}/", free_addr());
    let offline = app(tempfile::tempdir().unwrap().path(), &nobody);
    assert_eq!(skipped(offline.nearby_requests("water-leak", Some(LEAK)).await), NearbySkip::Offline);

    // Another city's server: not asked at all (it would ignore the point and list its newest).
    let city = StrictCity::start("/georeport/v2/").await;
    let city_dir = tempfile::tempdir().unwrap();
    let mut config = strict_config(city_dir.path(), "http://127.0.0.1:9/");
    config.open311.endpoint = city.endpoint.clone();
    let elsewhere = Baladiya::open(config).expect("core opens");
    assert_eq!(
        skipped(elsewhere.nearby_requests("101", Some(SPRINGFIELD_POINT)).await),
        NearbySkip::NotSupported
    );
    assert!(city.city().log.is_empty(), "nothing sent to another city");

    // A strict server where the municipality's own would be: it refuses the point, the core
    // learns it once and skips from then on without asking again.
    let own = StrictCity::start("/open311/v2/").await;
    let own_dir = tempfile::tempdir().unwrap();
    let strict_own = Baladiya::open(strict_config(own_dir.path(), &own.root)).expect("core opens");
    assert_eq!(
        skipped(strict_own.nearby_requests("101", Some(SPRINGFIELD_POINT)).await),
        NearbySkip::NotSupported
    );
    let asked = own.city().log.len();
    assert!(asked >= 1 && !own.city().refused().is_empty(), "refused once");
    assert_eq!(
        skipped(strict_own.nearby_requests("101", Some(SPRINGFIELD_POINT)).await),
        NearbySkip::NotSupported
    );
    assert_eq!(own.city().log.len(), asked, "not asked again");
}

const SPRINGFIELD_POINT: GeoPoint = GeoPoint { lat: 39.80, long: -89.65 };

fn strict_config(dir: &std::path::Path, server_url: &str) -> Config {
    let mut config = Config::new(dir, server_url);
    config.open311.api_key = Some(API_KEY.into());
    config.open311.jurisdiction_id = Some(JURISDICTION.into());
    config.http.connect_timeout = Duration::from_secs(5);
    config.http.request_timeout = Duration::from_secs(5);
    config.http.inactivity_timeout = Duration::from_secs(5);
    config.area = Area { min: GeoPoint { lat: 39.7, long: -89.8 }, max: GeoPoint { lat: 39.9, long: -89.5 } };
    config
}
