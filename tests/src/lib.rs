//! Shared pieces of the end-to-end tests: the real reference server on a loopback port, a scripted
//! misbehaving server, a strict GeoReport v2 server of another city, and an app instance on a real
//! SQLite file.

pub mod proxy;
pub mod scripted;
pub mod strict_georeport;

use std::net::SocketAddr;
use std::path::Path;

use baladiya_core::wire::{GuideResponse, Service};
use baladiya_core::{Baladiya, Config};
use baladiya_server::{Options, RunningServer, ServerConfig};
use tempfile::TempDir;

pub const STAFF_TOKEN: &str = "test-staff-token";

/// The reference server with the sample catalogue, on 127.0.0.1 and a free port, with its own
/// temporary data directory.
pub struct TestServer {
    pub server: Option<RunningServer>,
    pub dir: TempDir,
    http: reqwest::Client,
}

impl TestServer {
    pub fn start() -> Self {
        Self::start_at("127.0.0.1:0".parse().expect("addr"))
    }

    /// Start on a given address (to bring a server up later where a client already points).
    pub fn start_at(addr: SocketAddr) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let server = RunningServer::start(server_config(dir.path()), addr).expect("server starts");
        TestServer { server: Some(server), dir, http: http_client() }
    }

    /// Start with settings of its own (limits, bills, Open311) on a free loopback port.
    pub fn start_with_options(options: Options) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let server = RunningServer::start_with_options(
            server_config(dir.path()),
            options,
            "127.0.0.1:0".parse().expect("addr"),
        )
        .expect("server starts");
        TestServer { server: Some(server), dir, http: http_client() }
    }

    /// Start again on the same address and data directory after `stop`.
    pub fn restart(&mut self, addr: SocketAddr) {
        self.server =
            Some(RunningServer::start(server_config(self.dir.path()), addr).expect("server restarts"));
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.as_ref().expect("running").addr()
    }

    /// Staff view of the requests, filtered by `query` (`a=b&c=d`). The list carries no contact
    /// fields; `staff_request` has them.
    pub async fn staff_requests(&self, query: &str) -> Vec<serde_json::Value> {
        let resp = self
            .http
            .get(format!("{}api/v1/staff/requests?page_size=200&{query}", self.url()))
            .bearer_auth(STAFF_TOKEN)
            .send()
            .await
            .expect("staff list");
        assert!(resp.status().is_success(), "staff list failed: {}", resp.status());
        let v: serde_json::Value = resp.json().await.expect("staff list json");
        match v {
            serde_json::Value::Array(items) => items,
            serde_json::Value::Object(mut o) => {
                o.remove("requests").and_then(|r| r.as_array().cloned()).expect("a requests array")
            }
            other => panic!("unexpected staff list: {other}"),
        }
    }

    /// One request as staff see it, contact fields included.
    pub async fn staff_request(&self, id: &str) -> serde_json::Value {
        let resp = self
            .http
            .get(format!("{}api/v1/staff/requests/{id}", self.url()))
            .bearer_auth(STAFF_TOKEN)
            .send()
            .await
            .expect("staff get");
        assert!(resp.status().is_success(), "staff get failed: {}", resp.status());
        resp.json().await.expect("staff get json")
    }

    /// A staff action on a request as the dispatcher (`{"action": ..., ...}`).
    pub async fn staff_action(&self, id: &str, action: serde_json::Value) {
        let resp = self
            .http
            .post(format!("{}api/v1/staff/requests/{id}/actions", self.url()))
            .bearer_auth(STAFF_TOKEN)
            .json(&action)
            .send()
            .await
            .expect("staff action");
        let status = resp.status();
        assert!(
            status.is_success(),
            "staff action {action} failed: {status} {}",
            resp.text().await.unwrap_or_default()
        );
    }

    pub fn url(&self) -> String {
        self.server.as_ref().expect("running").url()
    }

    pub fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop().expect("server stops cleanly");
        }
    }

    /// The whole catalogue as the server sends it, without compression.
    pub async fn catalogue(&self) -> GuideResponse {
        self.http
            .get(format!("{}api/v1/guide", self.url()))
            .send()
            .await
            .expect("guide request")
            .json()
            .await
            .expect("guide json")
    }

    pub async fn put_service(&self, s: &Service) {
        let resp = self
            .http
            .put(format!("{}api/v1/staff/guide/services/{}", self.url(), s.id))
            .bearer_auth(STAFF_TOKEN)
            .json(s)
            .send()
            .await
            .expect("staff put");
        assert!(resp.status().is_success(), "staff put failed: {}", resp.status());
    }

    pub async fn delete(&self, kind: &str, id: &str) {
        let resp = self
            .http
            .delete(format!("{}api/v1/staff/guide/{kind}/{id}", self.url()))
            .bearer_auth(STAFF_TOKEN)
            .send()
            .await
            .expect("staff delete");
        assert!(resp.status().is_success(), "staff delete failed: {}", resp.status());
    }
}

fn server_config(dir: &Path) -> ServerConfig {
    ServerConfig { data_dir: dir.to_owned(), demo: true, staff_token: Some(STAFF_TOKEN.into()) }
}

/// A loopback address nobody listens on yet (bound, then released).
pub fn free_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr")
}

/// The api_key the reference server accepts with `--demo` (defined by the server).
pub use baladiya_server::open311::DEMO_API_KEY;

/// An app configured to file complaints with the reference server at `url` (its Open311 endpoint).
pub fn complaints_app(dir: &Path, url: &str, timeout: std::time::Duration) -> Baladiya {
    let mut config = Config::new(dir, url);
    config.open311.api_key = Some(DEMO_API_KEY.into());
    config.http = baladiya_core::api::HttpSettings {
        connect_timeout: timeout,
        request_timeout: timeout,
        inactivity_timeout: timeout,
        ..Default::default()
    };
    Baladiya::open(config).expect("core opens")
}

/// A plain HTTP client for talking to servers directly in tests.
pub fn http_client() -> reqwest::Client {
    baladiya_core::api::install_crypto_provider();
    reqwest::Client::builder().build().expect("http client")
}

/// An app instance on a real SQLite file in `dir`, talking to `url`.
pub fn app(dir: &Path, url: &str) -> Baladiya {
    Baladiya::open(Config::new(dir, url)).expect("core opens")
}
