//! The HTTP client of the municipal API: rustls (TLS 1.2 minimum), timeouts on everything (that
//! measure progress, not size: [`crate::transfer`]), gzip negotiated by hand so the bytes that
//! cross the (costly) network can be counted exactly. Plain http is accepted only to loopback,
//! for tests and the demo.

use std::io::Read;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, ETAG, IF_NONE_MATCH, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::throughput::Throughput;
use crate::transfer::{ProgressFn, Watch, WatchedBody};

/// How long the network may take; defined beside the timeouts that use it.
pub use crate::transfer::HttpSettings;

/// Where the HTTP client reports an exchange's bytes ([`crate::usage::StoreMeter`] keeps them per
/// feature in the store).
pub trait Meter: Send + Sync {
    fn record(&self, path: &str, sent: u64, received: u64);
}

/// A body larger than this (after decompression) is refused: no catalogue is this big, and a
/// hostile or broken server must not exhaust a cheap phone's memory.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

pub struct ApiClient {
    /// Built on first use: loading the platform's TLS roots costs milliseconds that opening the
    /// app (which reads only the local store) should not pay.
    http: OnceLock<reqwest::Client>,
    settings: HttpSettings,
    base: Url,
    /// Told every exchange's bytes (data usage per feature); none in tests that don't care.
    meter: Option<Arc<dyn Meter>>,
    /// Told every exchange's bytes and time (the link's throughput).
    throughput: Option<Arc<Throughput>>,
}

/// A successful or not-modified answer, with what it cost on the wire.
pub enum Fetched<T> {
    NotModified { wire_bytes: u64 },
    Fresh { value: T, etag: Option<String>, wire_bytes: u64 },
}

/// Check a server URL: https anywhere, plain http only to this machine.
pub fn parse_base_url(url: &str) -> Result<Url> {
    let mut base = Url::parse(url).map_err(|e| Error::validation("server_url", e.to_string()))?;
    let loopback = matches!(base.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
        || base.host_str().is_some_and(|h| h.starts_with("127."));
    match base.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(Error::validation("server_url", "plain http is only allowed to loopback; use https"))
        }
        other => return Err(Error::validation("server_url", format!("unsupported scheme {other}"))),
    }
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    Ok(base)
}

/// rustls needs a process-wide crypto provider before any client is built; ring builds everywhere
/// the app ships (Android NDK, iOS) without cmake. Installing twice is a harmless no-op.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl ApiClient {
    pub fn new(server_url: &str, settings: &HttpSettings) -> Result<Self> {
        let base = parse_base_url(server_url)?;
        Ok(ApiClient {
            http: OnceLock::new(),
            settings: settings.clone(),
            base,
            meter: None,
            throughput: None,
        })
    }

    /// Report every exchange's bytes to `meter`.
    pub fn with_meter(mut self, meter: Arc<dyn Meter>) -> Self {
        self.meter = Some(meter);
        self
    }

    /// Report every exchange's bytes and time to `throughput`.
    pub fn with_throughput(mut self, throughput: Arc<Throughput>) -> Self {
        self.throughput = Some(throughput);
        self
    }

    fn http(&self) -> Result<&reqwest::Client> {
        if let Some(client) = self.http.get() {
            return Ok(client);
        }
        install_crypto_provider();
        let builder = reqwest::Client::builder();
        // Android: the platform verifier would need the app's Context over JNI before the first
        // request; Mozilla's roots need no set-up. Elsewhere the platform's own trust store.
        #[cfg(target_os = "android")]
        let builder = builder.tls_certs_only(bundled_roots());
        let client = builder
            .connect_timeout(self.settings.connect_timeout)
            // Below the reference server's 30 s idle timeout, so a kept-alive connection is not
            // reused just as the server closes it (on a slow link its goodbye takes a while).
            .pool_idle_timeout(Duration::from_secs(20))
            .tls_version_min(reqwest::tls::Version::TLS_1_2)
            .user_agent(concat!("baladiya-core/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Network(format!("cannot set up the HTTP client: {}", causes(&e))))?;
        Ok(self.http.get_or_init(|| client))
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// A request to `path` (relative to the base URL, query string allowed).
    pub fn request(&self, method: reqwest::Method, path: &str) -> Result<reqwest::RequestBuilder> {
        let url = self.base.join(path).map_err(|e| Error::validation("path", e.to_string()))?;
        Ok(self.http()?.request(method, url).header(ACCEPT_ENCODING, "gzip"))
    }

    /// Send `req` and read the whole answer, whatever its status; transport failures are errors.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Result<RawResponse> {
        self.send_watched(req, None).await
    }

    /// [`ApiClient::send`], telling `progress` how much of the body has been handed over. The
    /// exchange is given up when it stalls or outlives its budget ([`crate::transfer`]).
    pub async fn send_watched(
        &self,
        req: reqwest::RequestBuilder,
        progress: Option<ProgressFn>,
    ) -> Result<RawResponse> {
        let mut request = req.build().map_err(transport_error)?;
        let path = request.url().path().to_owned();
        let sent = request_bytes(&request);
        let watch = Watch::new(&self.settings, sent);
        let started = std::time::Instant::now();
        let body_len = request.body().and_then(|b| b.as_bytes()).map_or(0, |b| b.len() as u64);
        if let Some(body) = request.body().and_then(|b| b.as_bytes()).map(Bytes::copy_from_slice) {
            *request.body_mut() = Some(reqwest::Body::wrap(WatchedBody::new(body, watch.clone(), progress)));
        }
        let result = tokio::select! {
            r = self.exchange(request, &watch) => r,
            stall = watch.expired() => {
                tracing::debug!(?stall, path = %path, "exchange given up");
                Err(Error::Timeout)
            }
        };
        if let Some(meter) = &self.meter {
            meter.record(&path, sent, result.as_ref().map_or(0, |r| r.wire_bytes));
        }
        // A sample of the link: a whole exchange that succeeded, counting the body bytes really
        // handed over (a server may answer early, before taking a body it does not want).
        if let (Some(t), Ok(r)) = (&self.throughput, &result) {
            if r.status.is_success() {
                let unsent = body_len.saturating_sub(watch.handed());
                t.record(sent.saturating_sub(unsent) + r.wire_bytes, started.elapsed());
            }
        }
        result
    }

    async fn exchange(&self, request: reqwest::Request, watch: &Watch) -> Result<RawResponse> {
        let mut resp = self.http()?.execute(request).await.map_err(transport_error)?;
        watch.touch();
        if let Some(n) = resp.content_length() {
            watch.expect(n);
        }
        let mut wire_bytes = head_bytes(&resp);
        let status = resp.status();
        let headers = resp.headers().clone();
        let gzipped = headers
            .get(CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport_error)? {
            watch.touch();
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(Error::MalformedResponse("response body too large".into()));
            }
            body.extend_from_slice(&chunk);
        }
        wire_bytes += body.len() as u64;
        if gzipped {
            body = gunzip(&body)?;
        }
        Ok(RawResponse { status, headers, body, wire_bytes })
    }

    /// GET `path` (relative to the base URL) as JSON, conditional on `etag` when given.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str, etag: Option<&str>) -> Result<Fetched<T>> {
        let mut req = self.request(reqwest::Method::GET, path)?;
        if let Some(tag) = etag {
            req = req.header(IF_NONE_MATCH, tag);
        }
        let resp = self.send(req).await?;
        if resp.status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified { wire_bytes: resp.wire_bytes });
        }
        resp.check_status()?;
        let etag = resp.headers.get(ETAG).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let value = resp.json()?;
        Ok(Fetched::Fresh { value, etag, wire_bytes: resp.wire_bytes })
    }
}

/// A whole HTTP answer, body decompressed.
pub struct RawResponse {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
    /// Status line, headers and body as they crossed the network.
    pub wire_bytes: u64,
}

impl RawResponse {
    /// The typed error for a non-success status.
    pub fn check_status(&self) -> Result<()> {
        if self.status.is_success() {
            return Ok(());
        }
        Err(match self.status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::Unauthorized,
            StatusCode::NOT_FOUND => Error::NotFound("the requested resource".into()),
            StatusCode::TOO_MANY_REQUESTS => Error::Throttled { retry_after: self.retry_after() },
            s => Error::Server { status: s.as_u16() },
        })
    }

    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| json_error(&e))
    }

    /// `Retry-After` in seconds (the HTTP-date form is rare from our servers; a minute is assumed).
    pub fn retry_after(&self) -> Duration {
        self.retry_after_header().unwrap_or(Duration::from_secs(60))
    }

    /// `Retry-After` when the server sent it in seconds.
    pub fn retry_after_header(&self) -> Option<Duration> {
        self.headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs)
    }
}

/// Mozilla's root certificates as reqwest certificates (every one of them parses: tested).
#[cfg_attr(not(any(target_os = "android", test)), allow(dead_code))]
fn bundled_roots() -> Vec<reqwest::Certificate> {
    webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .filter_map(|der| reqwest::Certificate::from_der(der.as_ref()).ok())
        .collect()
}

/// An error and its sources on one line ("builder error" alone says nothing).
fn causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Bytes of the status line and headers as HTTP/1.1 sends them.
/// A request's size as built: request line, headers, body (a streamed body by its declared
/// length). The transport adds `Host` and framing, a few dozen bytes.
fn request_bytes(req: &reqwest::Request) -> u64 {
    let target = req.url().path().len() + req.url().query().map_or(0, |q| q.len() + 1);
    let line = req.method().as_str().len() + 1 + target + " HTTP/1.1\r\n".len();
    let headers: usize = req.headers().iter().map(|(k, v)| k.as_str().len() + 2 + v.len() + 2).sum();
    let body = req
        .body()
        .and_then(|b| b.as_bytes())
        .map(|b| b.len() as u64)
        .or_else(|| req.headers().get(reqwest::header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok());
    (line + headers + 2) as u64 + body.unwrap_or(0)
}

fn head_bytes(resp: &reqwest::Response) -> u64 {
    let status = resp.status();
    let line = "HTTP/1.1 ".len() + 3 + 1 + status.canonical_reason().unwrap_or("").len() + 2;
    let headers: usize = resp.headers().iter().map(|(k, v)| k.as_str().len() + 2 + v.len() + 2).sum();
    (line + headers + 2) as u64
}

fn gunzip(body: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .take(MAX_BODY_BYTES as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| Error::MalformedResponse("corrupt gzip body".into()))?;
    if out.len() > MAX_BODY_BYTES {
        return Err(Error::MalformedResponse("response body too large".into()));
    }
    Ok(out)
}

/// serde_json's message may quote the offending value; keep only the kind of fault and where.
fn json_error(e: &serde_json::Error) -> Error {
    let kind = match e.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "invalid JSON",
        serde_json::error::Category::Data => "unexpected JSON shape",
        serde_json::error::Category::Eof => "truncated JSON",
    };
    Error::MalformedResponse(format!("{kind} at line {} column {}", e.line(), e.column()))
}

fn transport_error(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::Timeout
    } else if e.is_connect() {
        Error::Offline
    } else {
        // With its causes: "error sending request" alone does not say what broke.
        Error::Network(causes(&e.without_url()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_roots_all_parse_and_build_a_client() {
        let roots = bundled_roots();
        assert_eq!(roots.len(), webpki_root_certs::TLS_SERVER_ROOT_CERTS.len());
        assert!(roots.len() > 100);
        install_crypto_provider();
        assert!(reqwest::Client::builder().tls_certs_only(roots).build().is_ok());
    }

    #[test]
    fn only_loopback_may_use_plain_http() {
        assert!(parse_base_url("https://api.gaza-city.org").is_ok());
        assert!(parse_base_url("http://127.0.0.1:8080").is_ok());
        assert!(parse_base_url("http://localhost:1").is_ok());
        assert!(matches!(parse_base_url("http://example.org"), Err(Error::Validation { .. })));
        assert!(matches!(parse_base_url("ftp://127.0.0.1"), Err(Error::Validation { .. })));
        assert!(matches!(parse_base_url("not a url"), Err(Error::Validation { .. })));
        assert_eq!(parse_base_url("https://x.org/api").unwrap().as_str(), "https://x.org/api/");
    }
}
