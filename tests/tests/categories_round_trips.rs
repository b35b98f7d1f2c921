//! The complaint categories in one round trip (issue 17): on 2G every request costs half a
//! second before a byte moves, and the municipality's server lists its ~25 categories. The
//! municipal extension `services.json?include=definitions` brings every category's form with the
//! list; without it each form was one more request.

use std::time::Duration;

use baladiya_tests::proxy::{FaultPlan, FaultProxy};
use baladiya_tests::{complaints_app, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_category_and_its_form_come_in_one_request_from_the_municipal_server() {
    let server = TestServer::start();
    let proxy = FaultProxy::start(server.addr(), FaultPlan::pass()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The app's configuration: the Open311 endpoint under the municipal API (through the proxy,
    // which counts the requests).
    let core = complaints_app(dir.path(), &proxy.url(), Duration::from_secs(10));

    let n = core.refresh_complaint_categories().await.unwrap();
    assert!(n >= 15, "{n} categories");
    let stats = proxy.stats();
    let requests: Vec<&str> = stats.decisions.iter().map(|d| d.request.as_str()).collect();
    assert_eq!(requests.len(), 1, "one request for the list and every form: {requests:?}");
    assert!(
        requests[0].contains("services.json") && requests[0].contains("include=definitions"),
        "{requests:?}"
    );

    // Every form is cached as if fetched one by one: the same questions, in order, offline.
    let categories = core.complaint_categories().unwrap();
    let with_forms: Vec<_> = categories.iter().filter(|c| c.has_attributes).collect();
    assert!(with_forms.len() >= 10, "{} categories with questions", with_forms.len());
    for c in &with_forms {
        let inline = core.complaint_definition(&c.code).unwrap();
        assert!(!inline.is_empty(), "{} has its form", c.code);
    }
    let leak = core.complaint_definition("water-leak").unwrap();
    let fetched: serde_json::Value = baladiya_tests::http_client()
        .get(format!("{}open311/v2/services/water-leak.json", server.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> =
        fetched["attributes"].as_array().unwrap().iter().map(|a| a["code"].as_str().unwrap()).collect();
    assert_eq!(leak.iter().map(|a| a.code.as_str()).collect::<Vec<_>>(), codes);
    proxy.stop().await;
}

/// Issue 15.4: the category's expected time, said before filing. The municipality's server sends
/// each category's service level (`expected_hours`, an extension); the app caches it with the
/// category and has it offline, after a restart too. (Against a strict other-city server, which
/// does not send it, the categories have none: `strict_georeport.rs`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_category_has_its_expected_time_offline() {
    let mut server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let url = server.url();
    let core = complaints_app(dir.path(), &url, Duration::from_secs(10));
    core.refresh_complaint_categories().await.unwrap();

    let listed: serde_json::Value = baladiya_tests::http_client()
        .get(format!("{url}open311/v2/services.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let served: Vec<(String, Option<u32>)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (s["service_code"].as_str().unwrap().to_owned(), s["expected_hours"].as_u64().map(|h| h as u32))
        })
        .collect();
    let cached: Vec<(String, Option<u32>)> =
        core.complaint_categories().unwrap().into_iter().map(|c| (c.code, c.expected_hours)).collect();
    assert_eq!(cached, served);
    assert!(cached.iter().all(|(_, h)| h.is_some_and(|h| h >= 1)), "{cached:?}");
    drop(core);

    // Offline and after a restart: from the phone's own store.
    server.stop();
    let core = complaints_app(dir.path(), &url, Duration::from_secs(10));
    let hours = |code: &str| {
        core.complaint_categories().unwrap().into_iter().find(|c| c.code == code).unwrap().expected_hours
    };
    // The sample data: a water leak within a day, a damaged road within a week.
    assert_eq!((hours("water-leak"), hours("road-damage")), (Some(24), Some(168)));
}
