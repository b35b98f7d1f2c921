//! Bad server answers give typed errors and leave the local catalogue exactly as it was.

use std::time::Duration;

use baladiya_core::api::HttpSettings;
use baladiya_core::{Baladiya, Config, Error};
use baladiya_tests::scripted::{Behaviour, ScriptedServer};
use baladiya_tests::{app, TestServer};

/// A store synced from the real server, then reopened against a misbehaving one.
struct Setup {
    _server: TestServer,
    dir: tempfile::TempDir,
    services: usize,
    version: Option<i64>,
    valid_body: Vec<u8>,
}

async fn setup() -> Setup {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = app(dir.path(), &server.url());
    core.sync_guide().await.unwrap();
    let valid_body = serde_json::to_vec(&server.catalogue().await).unwrap();
    Setup {
        services: core.services(None).unwrap().len(),
        version: core.guide_version().unwrap(),
        _server: server,
        dir,
        valid_body,
    }
}

fn open_against(dir: &std::path::Path, url: &str, timeout: Duration) -> Baladiya {
    let mut config = Config::new(dir, url);
    config.http = HttpSettings {
        connect_timeout: timeout,
        request_timeout: timeout,
        inactivity_timeout: timeout,
        ..Default::default()
    };
    Baladiya::open(config).unwrap()
}

/// Sync against a server behaving as `behaviour`; return the error after checking nothing changed.
async fn sync_fails(s: &Setup, behaviour: Behaviour) -> Error {
    let bad = ScriptedServer::start(behaviour);
    let core = open_against(s.dir.path(), bad.url(), Duration::from_millis(500));
    let err = core.sync_guide().await.expect_err("sync must fail");
    assert_eq!(core.services(None).unwrap().len(), s.services, "catalogue changed after {err}");
    assert_eq!(core.guide_version().unwrap(), s.version);
    assert_eq!(core.search_guide("براءة ذمة", 1).unwrap()[0].id, "clearance-certificate");
    err
}

#[tokio::test(flavor = "multi_thread")]
async fn truncated_json() {
    let s = setup().await;
    let err = sync_fails(&s, Behaviour::truncated_json(&s.valid_body)).await;
    // The connection closes before Content-Length is reached: a broken exchange, not a parse.
    assert!(matches!(err, Error::Network(_) | Error::MalformedResponse(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn json_cut_short_but_complete_as_http() {
    let s = setup().await;
    let cut = &s.valid_body[..s.valid_body.len() - 40];
    let err =
        sync_fails(&s, Behaviour::response("200 OK", &[("Content-Type", "application/json")], cut)).await;
    assert!(matches!(err, Error::MalformedResponse(ref m) if m.contains("truncated")), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_types() {
    let s = setup().await;
    let body = br#"{"version":"seven","departments":[],"categories":[],"services":[],"violations":[]}"#;
    let err = sync_fails(&s, Behaviour::response("200 OK", &[], body)).await;
    assert!(matches!(err, Error::MalformedResponse(ref m) if m.contains("unexpected JSON shape")), "{err:?}");
    // The message names the fault, never the server's content.
    assert!(!err.to_string().contains("seven"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delta_for_another_version_is_refused() {
    let s = setup().await;
    let body = br#"{"version":99,"since":42,"departments":[],"categories":[],"services":[],"violations":[],"removed_services":["building-permit"]}"#;
    let err = sync_fails(&s, Behaviour::response("200 OK", &[], body)).await;
    assert!(matches!(err, Error::MalformedResponse(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn corrupt_gzip() {
    let s = setup().await;
    let err = sync_fails(
        &s,
        Behaviour::response("200 OK", &[("Content-Encoding", "gzip")], b"\x1f\x8b\x08\x00garbage"),
    )
    .await;
    assert!(matches!(err, Error::MalformedResponse(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn server_error_500() {
    let s = setup().await;
    let err = sync_fails(&s, Behaviour::response("500 Internal Server Error", &[], b"oops")).await;
    assert!(matches!(err, Error::Server { status: 500 }), "{err:?}");
    assert!(err.is_transient());
}

#[tokio::test(flavor = "multi_thread")]
async fn throttled_429_carries_retry_after() {
    let s = setup().await;
    let err =
        sync_fails(&s, Behaviour::response("429 Too Many Requests", &[("Retry-After", "17")], b"")).await;
    assert!(
        matches!(err, Error::Throttled { retry_after } if retry_after == Duration::from_secs(17)),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn timeout() {
    let s = setup().await;
    let err = sync_fails(&s, Behaviour::Silent).await;
    assert!(matches!(err, Error::Timeout), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_instead_of_http() {
    let s = setup().await;
    let err = sync_fails(&s, Behaviour::Raw(b"SSH-2.0-OpenSSH_9.2\r\n".to_vec())).await;
    assert!(matches!(err, Error::Network(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn nobody_listening_is_offline() {
    let s = setup().await;
    // Bind and drop to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let core = open_against(s.dir.path(), &format!("http://127.0.0.1:{port}/"), Duration::from_secs(2));
    assert!(matches!(core.sync_guide().await, Err(Error::Offline)));
    assert_eq!(core.services(None).unwrap().len(), s.services);
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = Baladiya::open(Config::new(dir.path(), "http://api.example.org/")).err().unwrap();
    assert!(matches!(err, Error::Validation { ref field, .. } if field == "server_url"), "{err:?}");
}
