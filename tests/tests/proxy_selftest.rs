//! The fault-injecting proxy does what each fault says, reproducibly, and carries large bodies.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use baladiya_server::{RunningServer, ServerConfig};
use baladiya_tests::proxy::{Fault, FaultKind, FaultPlan, FaultProxy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn client(timeout: Duration) -> reqwest::Client {
    baladiya_core::api::install_crypto_provider();
    reqwest::Client::builder().timeout(timeout).build().expect("http client")
}

fn real_server() -> (RunningServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = RunningServer::start(
        ServerConfig { data_dir: dir.path().to_owned(), demo: true, staff_token: None },
        "127.0.0.1:0".parse().expect("addr"),
    )
    .expect("server starts");
    (server, dir)
}

/// A minimal upstream on the current runtime: counts complete requests and answers each with
/// `200` and the length of the body it received, then closes.
struct CountingUpstream {
    addr: SocketAddr,
    count: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl CountingUpstream {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let count = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&count);
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut s, _)) = listener.accept().await else { return };
                let counter = Arc::clone(&counter);
                tokio::spawn(async move {
                    let Some(len) = read_body_len(&mut s).await else { return };
                    counter.fetch_add(1, Ordering::SeqCst);
                    let body = len.to_string();
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = s.write_all(resp.as_bytes()).await;
                    let _ = s.shutdown().await;
                });
            }
        });
        CountingUpstream { addr, count, task }
    }

    fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

impl Drop for CountingUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Read a request with a `Content-Length` body (or none); the body's length.
async fn read_body_len(s: &mut tokio::net::TcpStream) -> Option<usize> {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().expect("length"))
        .unwrap_or(0);
    let mut have = buf.len() - head_end;
    while have < len {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        have += n;
    }
    Some(have)
}

/// The first `std::io::Error` in an error's chain.
fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cur = err.source();
    }
    None
}

/// How the core would classify this reqwest error (mirrors `core::api::transport_error`).
fn core_class(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "Timeout"
    } else if e.is_connect() {
        "Offline"
    } else {
        "Network"
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pass_relays_the_real_server() {
    let (server, _dir) = real_server();
    let proxy = FaultProxy::start(server.addr(), FaultPlan::pass()).await.unwrap();
    let http = client(Duration::from_secs(10));
    // The same client twice: the proxy closes each connection, so the second request gets its own.
    for _ in 0..2 {
        let resp = http.get(format!("{}healthz", proxy.url())).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["connection"], "close");
        assert_eq!(resp.text().await.unwrap(), "ok");
    }
    let stats = proxy.stats();
    assert_eq!((stats.connections, stats.requests(), stats.forwarded), (2, 2, 2));
    assert_eq!(stats.decisions[0].request, "GET /healthz");
    assert_eq!(stats.count(FaultKind::Pass), 2);
    // The real catalogue, larger and gzip-negotiated, also passes.
    let guide = http.get(format!("{}api/v1/guide", proxy.url())).send().await.unwrap();
    assert_eq!(guide.status(), 200);
    let body: serde_json::Value = guide.json().await.unwrap();
    assert!(body.is_object());
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn status_is_answered_without_touching_upstream() {
    let up = CountingUpstream::start().await;
    let plan = FaultPlan::scripted([Fault::Status(503), Fault::Status(429), Fault::Status(500)]);
    let proxy = FaultProxy::start(up.addr, plan).await.unwrap();
    let http = client(Duration::from_secs(10));
    let url = format!("{}x", proxy.url());
    let r = http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "0");
    let r = http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "0");
    let r = http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 500);
    assert!(r.headers().get("retry-after").is_none());
    assert_eq!(up.count(), 0, "a status fault must not reach the server");
    assert_eq!(proxy.stats().forwarded, 0);
    // Script exhausted: passes.
    let r = http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(up.count(), 1);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn drop_and_reset_fail_the_client_without_reaching_upstream() {
    let up = CountingUpstream::start().await;
    let proxy = FaultProxy::start(up.addr, FaultPlan::scripted([Fault::Drop, Fault::Reset])).await.unwrap();
    let http = client(Duration::from_secs(10));
    let url = format!("{}x", proxy.url());

    let dropped = http.post(&url).body("hello").send().await.expect_err("drop must fail");
    eprintln!("Drop: {dropped:?} -> {}", core_class(&dropped));
    assert_eq!(core_class(&dropped), "Network");

    let reset = http.post(&url).body("hello").send().await.expect_err("reset must fail");
    eprintln!("Reset: {reset:?} -> {}", core_class(&reset));
    assert_eq!(core_class(&reset), "Network");
    assert_eq!(io_kind(&reset), Some(std::io::ErrorKind::ConnectionReset), "{reset:?}");

    assert_eq!(up.count(), 0);
    assert_eq!(http.post(&url).body("hello").send().await.unwrap().text().await.unwrap(), "5");
    assert_eq!(up.count(), 1);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn after_forward_faults_reach_upstream_but_fail_the_client() {
    let up = CountingUpstream::start().await;
    let plan = FaultPlan::scripted([Fault::DropAfterForward, Fault::ResetAfterForward]);
    let proxy = FaultProxy::start(up.addr, plan).await.unwrap();
    let http = client(Duration::from_secs(10));
    let url = format!("{}submit", proxy.url());

    let dropped = http.post(&url).body("report").send().await.expect_err("must fail");
    eprintln!("DropAfterForward: {dropped:?} -> {}", core_class(&dropped));
    assert_eq!(core_class(&dropped), "Network");
    // The proxy waits for the server's whole answer before closing: counted already, no sleep.
    assert_eq!(up.count(), 1, "the server did the work");

    let reset = http.post(&url).body("report").send().await.expect_err("must fail");
    eprintln!("ResetAfterForward: {reset:?} -> {}", core_class(&reset));
    assert_eq!(core_class(&reset), "Network");
    assert_eq!(io_kind(&reset), Some(std::io::ErrorKind::ConnectionReset), "{reset:?}");
    assert_eq!(up.count(), 2);

    let stats = proxy.stats();
    assert_eq!(stats.forwarded, 2);
    assert_eq!(stats.count(FaultKind::DropAfterForward), 1);
    assert_eq!(stats.count(FaultKind::ResetAfterForward), 1);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn blackhole_makes_the_client_time_out_and_stop_releases_it() {
    let up = CountingUpstream::start().await;
    let proxy = FaultProxy::start(up.addr, FaultPlan::scripted([Fault::Blackhole])).await.unwrap();
    let http = client(Duration::from_millis(300));
    let started = Instant::now();
    let err = http.get(format!("{}x", proxy.url())).send().await.expect_err("must time out");
    eprintln!("Blackhole: {err:?} -> {}", core_class(&err));
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(core_class(&err), "Timeout");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(up.count(), 0);

    // A raw socket held in the blackhole sees the connection close when the proxy stops.
    proxy.set_plan(FaultPlan::always(Fault::Blackhole));
    let mut held = tokio::net::TcpStream::connect(proxy.addr()).await.unwrap();
    held.write_all(b"GET /y HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    // Wait (by the proxy's own accounting, not a clock) until the request is decided and held.
    let stop_after = tokio::time::timeout(Duration::from_secs(10), async {
        while proxy.stats().requests() < 2 {
            tokio::task::yield_now().await;
        }
    });
    stop_after.await.expect("request decided");
    let stopped = Instant::now();
    proxy.stop().await;
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), held.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the blackholed socket must be closed by stop");
    assert!(rest.is_empty(), "a blackhole never answers");
    assert!(stopped.elapsed() < Duration::from_secs(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn delay_holds_the_answer() {
    let (server, _dir) = real_server();
    let proxy = FaultProxy::start(server.addr(), FaultPlan::always(Fault::Delay(Duration::from_millis(200))))
        .await
        .unwrap();
    let http = client(Duration::from_secs(10));
    let started = Instant::now();
    let resp = http.get(format!("{}healthz", proxy.url())).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "ok");
    assert!(started.elapsed() >= Duration::from_millis(200), "{:?}", started.elapsed());
    // Slower than the client will wait: a timeout, with the server having answered.
    let impatient = client(Duration::from_millis(100));
    let err = impatient.get(format!("{}healthz", proxy.url())).send().await.expect_err("times out");
    assert!(err.is_timeout(), "{err:?}");
    proxy.stop().await;
}

/// The faults a run of "~30% faults, each submission arrives exactly once" draws from.
fn chaos() -> Vec<Fault> {
    vec![
        Fault::Drop,
        Fault::DropAfterForward,
        Fault::Reset,
        Fault::ResetAfterForward,
        Fault::Status(500),
        Fault::Status(502),
        Fault::Status(503),
        Fault::Status(429),
    ]
}

#[test]
fn seeded_plan_is_reproducible() {
    let a = FaultPlan::seeded(7, 0.3, chaos()).preview(100);
    let b = FaultPlan::seeded(7, 0.3, chaos()).preview(100);
    assert_eq!(a, b);
    let faults = a.iter().filter(|f| **f != Fault::Pass).count();
    assert!((18..=42).contains(&faults), "{faults} faults in 100 at rate 0.3");
    assert_ne!(a, FaultPlan::seeded(8, 0.3, chaos()).preview(100), "another seed, another sequence");
    // Every kind of the set shows up over enough draws.
    let many = FaultPlan::seeded(7, 0.3, chaos()).preview(2000);
    for f in chaos() {
        assert!(many.contains(&f), "{f:?} never drawn");
    }
}

/// 100 requests through a seeded proxy: what the client sees matches each decision, the server
/// sees exactly the requests that reach it, and a second run decides identically.
async fn seeded_run(up: &CountingUpstream) -> (Vec<Fault>, usize) {
    let before = up.count();
    let proxy = FaultProxy::start(up.addr, FaultPlan::seeded(7, 0.3, chaos())).await.unwrap();
    let http = client(Duration::from_secs(10));
    for i in 0..100 {
        let result = http.post(format!("{}r/{i}", proxy.url())).body(vec![b'x'; i]).send().await;
        let decided = proxy.stats().decisions[i].clone();
        assert_eq!(decided.request, format!("POST /r/{i}"));
        match (&decided.fault, result) {
            (Fault::Pass, Ok(r)) => assert_eq!(r.text().await.unwrap(), i.to_string()),
            (Fault::Status(s), Ok(r)) => assert_eq!(r.status().as_u16(), *s),
            (f, Err(e)) if !f.client_sees_server_answer() && !matches!(f, Fault::Status(_)) => {
                assert_eq!(core_class(&e), "Network", "{f:?}: {e:?}")
            }
            (f, r) => panic!("request {i}: {f:?} gave {r:?}"),
        }
    }
    let stats = proxy.stats();
    assert_eq!(stats.requests(), 100);
    assert_eq!(stats.connections, 100);
    let reaching = stats.decisions.iter().filter(|d| d.fault.reaches_server()).count();
    assert_eq!(up.count() - before, reaching);
    assert_eq!(stats.forwarded as usize, reaching);
    proxy.stop().await;
    (stats.sequence(), stats.faults())
}

#[tokio::test(flavor = "multi_thread")]
async fn seeded_proxy_runs_are_identical() {
    let up = CountingUpstream::start().await;
    let (first, faults) = seeded_run(&up).await;
    let (second, _) = seeded_run(&up).await;
    assert_eq!(first, second);
    assert_eq!(first, FaultPlan::seeded(7, 0.3, chaos()).preview(100));
    assert!((18..=42).contains(&faults), "{faults}");
    eprintln!("seed 7, rate 0.3: {faults} faults in 100: {first:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn large_bodies_pass_intact() {
    let up = CountingUpstream::start().await;
    let proxy = FaultProxy::start(up.addr, FaultPlan::pass()).await.unwrap();
    let http = client(Duration::from_secs(30));
    let body: Vec<u8> = (0..5 * 1024 * 1024).map(|i: u32| (i % 251) as u8).collect();
    let resp = http.post(format!("{}upload", proxy.url())).body(body.clone()).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), body.len().to_string());
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn multipart_photos_pass_intact() {
    let up = CountingUpstream::start().await;
    let proxy = FaultProxy::start(up.addr, FaultPlan::pass()).await.unwrap();
    let http = client(Duration::from_secs(30));
    let form = || {
        let photo = vec![0xA5u8; 3 * 1024 * 1024];
        reqwest::multipart::Form::new()
            .text("description", "حفرة في الشارع")
            .part("media", reqwest::multipart::Part::bytes(photo.clone()).file_name("a.jpg"))
            .part("media2", reqwest::multipart::Part::bytes(photo).file_name("b.jpg"))
    };
    // The same form straight to the server and through the proxy: the server counts the same bytes.
    let direct = http.post(format!("http://{}/requests", up.addr)).multipart(form()).send().await.unwrap();
    let direct: usize = direct.text().await.unwrap().parse().unwrap();
    assert!(direct > 6 * 1024 * 1024, "{direct}");
    let proxied = http.post(format!("{}requests", proxy.url())).multipart(form()).send().await.unwrap();
    assert_eq!(proxied.text().await.unwrap().parse::<usize>().unwrap(), direct);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn chunked_requests_and_responses_are_relayed_byte_for_byte() {
    // An upstream that echoes the raw request it got (with a chunked answer), to check framing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let up = listener.local_addr().unwrap();
    let echo = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut got = Vec::new();
        let mut chunk = [0u8; 4096];
        while !got.ends_with(b"0\r\n\r\n") {
            let n = s.read(&mut chunk).await.unwrap();
            assert!(n > 0, "upstream saw EOF early");
            got.extend_from_slice(&chunk[..n]);
        }
        let mut resp = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        resp.extend_from_slice(format!("{:x}\r\n", got.len()).as_bytes());
        resp.extend_from_slice(&got);
        resp.extend_from_slice(b"\r\n0\r\n\r\n");
        s.write_all(&resp).await.unwrap();
        got
    });
    let proxy = FaultProxy::start(up, FaultPlan::pass()).await.unwrap();
    let mut c = tokio::net::TcpStream::connect(proxy.addr()).await.unwrap();
    c.write_all(
        b"POST /c HTTP/1.1\r\nHost: p\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n\
          5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n",
    )
    .await
    .unwrap();
    let mut answer = Vec::new();
    c.read_to_end(&mut answer).await.unwrap();
    let got = echo.await.unwrap();
    let got = String::from_utf8(got).unwrap();
    assert!(got.starts_with("POST /c HTTP/1.1\r\nHost: p\r\n"), "{got}");
    assert!(got.contains("Connection: close\r\n") && !got.contains("keep-alive"), "{got}");
    assert!(got.ends_with("\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n"), "{got}");
    let answer = String::from_utf8(answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"));
    assert!(answer.ends_with(&format!("{}\r\n0\r\n\r\n", got)), "{answer}");
    proxy.stop().await;
}

/// From a plain `#[test]`, with no runtime: start on the proxy's own thread, fail, heal, pass.
#[test]
fn blocking_proxy_works_without_a_runtime() {
    let (server, _dir) = real_server();
    let proxy = FaultProxy::start_blocking(server.addr(), FaultPlan::always(Fault::Status(503))).unwrap();
    let get = |addr: SocketAddr| {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    assert!(get(proxy.addr()).starts_with("HTTP/1.1 503 "));
    proxy.set_plan(FaultPlan::pass());
    let healed = get(proxy.addr());
    assert!(healed.starts_with("HTTP/1.1 200 "), "{healed}");
    assert!(healed.ends_with("\r\n\r\nok"), "{healed}");
    let stats = proxy.stats();
    assert_eq!(stats.count(FaultKind::Status), 1);
    assert_eq!(stats.count(FaultKind::Pass), 1);
    proxy.stop_blocking();
}

/// A blocking proxy also serves a test running on a runtime, and `stop` can be awaited.
#[tokio::test]
async fn blocking_proxy_inside_a_current_thread_runtime() {
    let (server, _dir) = real_server();
    let proxy = FaultProxy::start_blocking(server.addr(), FaultPlan::pass()).unwrap();
    let resp = client(Duration::from_secs(10)).get(format!("{}healthz", proxy.url())).send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "ok");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn upstream_down_is_a_502_from_the_proxy() {
    // A port with nothing listening.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let proxy = FaultProxy::start(dead, FaultPlan::pass()).await.unwrap();
    let resp = client(Duration::from_secs(10)).get(format!("{}x", proxy.url())).send().await.unwrap();
    assert_eq!(resp.status(), 502);
    assert_eq!(proxy.stats().upstream_errors, 1);
    proxy.stop().await;
}
