//! The reference server's connection limits (issue 10.1), on loopback with short limits set by
//! each test: sockets opened and left beyond the cap do not keep `/healthz` out, a head dribbled
//! byte by byte is cut at the header timeout, an idle keep-alive connection is closed at the idle
//! timeout, a body that stops arriving ends at the body timeout, and shutdown does not wait for
//! idle connections.
//!
//! This binary lowers its own open-file limit (server and clients share the process), so that the
//! file-descriptor exhaustion the cap prevents happens with a few hundred sockets.

use std::time::{Duration, Instant};

use baladiya_server::{Limits, Options};
use baladiya_tests::{TestServer, STAFF_TOKEN};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Open files this test process may hold: well under what the idle sockets below would take
/// without a cap (each one is two descriptors here, client and server side).
const FD_LIMIT: u64 = 512;
const IDLE_SOCKETS: usize = 350;

fn lower_fd_limit() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit/setrlimit with a valid pointer to an rlimit of this process.
        unsafe {
            assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
            lim.rlim_cur = FD_LIMIT.min(lim.rlim_max);
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
        }
    });
}

fn server(limits: Limits) -> TestServer {
    lower_fd_limit();
    TestServer::start_with_options(Options { limits, ..Options::default() })
}

fn short(f: impl FnOnce(&mut Limits)) -> Limits {
    let mut l = Limits {
        header_timeout: Duration::from_secs(20),
        idle_timeout: Duration::from_secs(20),
        body_timeout: Duration::from_secs(20),
        max_connections: 64,
        tcp_keepalive: Some(Duration::from_secs(30)),
    };
    f(&mut l);
    l
}

async fn healthz(url: &str) -> Result<String, String> {
    // A fresh client each time: a new connection, as a monitoring probe makes.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(0)
        .build()
        .map_err(|e| e.to_string())?;
    let resp = http.get(format!("{url}healthz")).send().await.map_err(|e| e.to_string())?;
    resp.text().await.map_err(|e| e.to_string())
}

/// Wait until the server closes `s` (EOF or reset), at most `within`; the time it took.
async fn closed_within(s: &mut TcpStream, within: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    while started.elapsed() < within {
        match tokio::time::timeout(Duration::from_millis(100), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) | Err(_) => {}
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sockets_beyond_the_cap_do_not_stop_healthz() {
    let srv = server(short(|l| l.max_connections = 64));
    let mut idle = Vec::new();
    for _ in 0..IDLE_SOCKETS {
        match TcpStream::connect(srv.addr()).await {
            Ok(s) => idle.push(s),
            Err(_) => break,
        }
    }
    assert!(idle.len() > 64, "only {} sockets could be opened", idle.len());
    // Let the server accept them all.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..3 {
        assert_eq!(healthz(&srv.url()).await.as_deref(), Ok("ok"), "with {} idle sockets open", idle.len());
    }
    drop(idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dribbled_head_is_cut_at_the_header_timeout() {
    let srv = server(short(|l| l.header_timeout = Duration::from_millis(500)));
    let mut s = TcpStream::connect(srv.addr()).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n").await.unwrap();
    let started = Instant::now();
    let mut closed = None;
    // One header line every 100 ms, for at most 4 s.
    while started.elapsed() < Duration::from_secs(4) {
        if s.write_all(b"X-Slow: 1\r\n").await.is_err() {
            closed = Some(started.elapsed());
            break;
        }
        if closed_within(&mut s, Duration::from_millis(100)).await.is_some() {
            closed = Some(started.elapsed());
            break;
        }
    }
    let after = closed.expect("a slowloris connection still open after 4 s");
    assert!(after >= Duration::from_millis(350), "closed too early: {after:?}");
    assert_eq!(healthz(&srv.url()).await.as_deref(), Ok("ok"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_at_the_idle_timeout() {
    let srv = server(short(|l| l.idle_timeout = Duration::from_millis(500)));
    let mut s = TcpStream::connect(srv.addr()).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !got.ends_with(b"ok") {
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0, "closed before answering");
        got.extend_from_slice(&buf[..n]);
    }
    assert!(got.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&got));
    let after = closed_within(&mut s, Duration::from_secs(4)).await.expect("still open after 4 s idle");
    assert!(after >= Duration::from_millis(350), "closed too early: {after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stops_arriving_ends_at_the_body_timeout() {
    let srv = server(short(|l| l.body_timeout = Duration::from_millis(500)));
    let mut s = TcpStream::connect(srv.addr()).await.unwrap();
    let head = format!(
        "POST /api/v1/staff/news HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {STAFF_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"id\": \"x"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(4), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!("no answer 4 s after the body stopped"),
        }
    }
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 4"), "{text}");
    assert!(started.elapsed() >= Duration::from_millis(350));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_does_not_wait_for_idle_connections() {
    let mut srv = server(short(|_| {}));
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(TcpStream::connect(srv.addr()).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    tokio::task::spawn_blocking(move || srv.stop()).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(3), "stop took {:?}", started.elapsed());
}
