//! Shared pieces of the end-to-end tests: the real reference server on a loopback port, a scripted
//! misbehaving server, and an app instance on a real SQLite file.

pub mod scripted;

use std::path::Path;

use baladiya_core::wire::{GuideResponse, Service};
use baladiya_core::{Baladiya, Config};
use baladiya_server::{RunningServer, ServerConfig};
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
        let dir = tempfile::tempdir().expect("temp dir");
        let server = RunningServer::start(
            ServerConfig {
                data_dir: dir.path().to_owned(),
                demo: true,
                staff_token: Some(STAFF_TOKEN.into()),
            },
            "127.0.0.1:0".parse().expect("addr"),
        )
        .expect("server starts");
        TestServer { server: Some(server), dir, http: http_client() }
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

/// A plain HTTP client for talking to servers directly in tests.
pub fn http_client() -> reqwest::Client {
    baladiya_core::api::install_crypto_provider();
    reqwest::Client::builder().build().expect("http client")
}

/// An app instance on a real SQLite file in `dir`, talking to `url`.
pub fn app(dir: &Path, url: &str) -> Baladiya {
    Baladiya::open(Config::new(dir, url)).expect("core opens")
}
