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
