//! The accept loop: HTTP/1.1 connections under time limits and a cap, so that idle, slow or
//! dead clients cannot hold the server's sockets, memory or file descriptors.
//!
//! Every connection is in one of three phases, and each phase has its own bound:
//!
//! - **idle**: no request running and no byte of the next one received. Closed after
//!   [`Limits::idle_timeout`] (a keep-alive connection nobody uses, or a socket opened and left).
//! - **head**: the first bytes of a request have arrived but not the whole head (request line and
//!   headers). Closed [`Limits::header_timeout`] after its first byte (slowloris).
//! - **busy**: a request is in the handler or its response is being sent. Never closed for time
//!   here; its body must arrive within [`Limits::body_timeout`] of its head ([`DeadlineBody`]), so a
//!   stalled upload ends with an error in the handler, which releases what it held.
//!
//! hyper's own `header_read_timeout` starts when the connection becomes ready for the next
//! request, so it is one timer for idle and head together; timing the phases here lets a
//! keep-alive connection wait longer than a half-sent head.
//!
//! **Cap.** At most [`Limits::max_connections`] connections are open. A connection accepted at
//! the cap closes the longest-waiting connection that is not busy (idle or head), so sockets
//! opened and left can never keep `/healthz` or anyone else out; when every connection is busy,
//! the new one is closed at once (its client sees a reset and retries), instead of the server
//! running out of file descriptors. The cap must stay below the process's open-file limit
//! (`ulimit -n`) with room for the database.
//!
//! **TCP keepalive** on every accepted socket finds peers that vanished (a phone that lost its
//! network) even while a request waits on them.
//!
//! **Shutdown**: stop accepting, let busy connections finish their request, close the rest.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use axum::Router;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tower_service::Service;

/// Time and count limits of the HTTP server. Every one has a command-line flag (see `main.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// From the first byte of a request to the end of its headers.
    pub header_timeout: Duration,
    /// A connection with no request running and none arriving.
    pub idle_timeout: Duration,
    /// From the end of a request's headers to the end of its body.
    pub body_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
    /// Idle time before the first TCP keepalive probe; `None` turns keepalive off.
    pub tcp_keepalive: Option<Duration>,
}

pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(15);
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Three prepared photos (~1.2 MB) at 20 KB/s, with room to spare.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(120);
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
pub const DEFAULT_TCP_KEEPALIVE: Duration = Duration::from_secs(60);
/// Between keepalive probes once they start (a dead peer is found ~`keepalive + 5 × 10 s`).
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
const KEEPALIVE_RETRIES: u32 = 5;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            tcp_keepalive: Some(DEFAULT_TCP_KEEPALIVE),
        }
    }
}

/// When the body of the current request must have arrived (a request extension, so handlers can
/// tell a body that ran out of time from a malformed one).
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline(pub Instant);

impl BodyDeadline {
    pub fn passed(&self) -> bool {
        Instant::now() >= self.0
    }
}

/// A request body that fails once its deadline has passed.
pub struct DeadlineBody<B> {
    inner: B,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl<B> DeadlineBody<B> {
    pub fn new(inner: B, deadline: Instant) -> Self {
        DeadlineBody { inner, sleep: Box::pin(tokio::time::sleep_until(deadline.into())) }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
pub struct BodyTimedOut;

impl<B> http_body::Body for DeadlineBody<B>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        match self.sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimedOut)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// What one connection is doing, shared by its socket, its requests and its supervisor.
struct Conn {
    phase: Mutex<Phase>,
    /// Wakes the supervisor to recompute its deadline (a phase changed, or eviction).
    wake: Notify,
    evicted: AtomicBool,
}

#[derive(Debug)]
struct Phase {
    /// Requests in the handler or whose response is still being sent.
    busy: usize,
    /// When the connection last became idle (accepted, or its last response sent).
    idle_since: Instant,
    /// The first byte of the next request, while not busy.
    head_since: Option<Instant>,
}

impl Conn {
    fn new(now: Instant) -> Self {
        Conn {
            phase: Mutex::new(Phase { busy: 0, idle_since: now, head_since: None }),
            wake: Notify::new(),
            evicted: AtomicBool::new(false),
        }
    }

    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// When the connection must close unless something happens first; `None` while busy.
    fn deadline(&self, limits: &Limits) -> Option<Instant> {
        let p = self.phase();
        if p.busy > 0 {
            return None;
        }
        Some(match p.head_since {
            Some(t) => t + limits.header_timeout,
            None => p.idle_since + limits.idle_timeout,
        })
    }

    /// Not busy, and waiting since: a candidate for eviction.
    fn waiting_since(&self) -> Option<Instant> {
        let p = self.phase();
        (p.busy == 0).then_some(p.idle_since)
    }

    fn bytes_read(&self) {
        let mut p = self.phase();
        if p.busy == 0 && p.head_since.is_none() {
            p.head_since = Some(Instant::now());
            drop(p);
            self.wake.notify_one();
        }
    }

    fn request_started(self: &Arc<Self>) -> BusyGuard {
        let mut p = self.phase();
        p.busy += 1;
        p.head_since = None;
        BusyGuard(Arc::clone(self))
    }

    fn evict(&self) {
        self.evicted.store(true, Ordering::Relaxed);
        self.wake.notify_one();
    }
}

/// Held by a request until its response has been sent (or dropped).
struct BusyGuard(Arc<Conn>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        let mut p = self.0.phase();
        p.busy = p.busy.saturating_sub(1);
        if p.busy == 0 {
            p.idle_since = Instant::now();
            p.head_since = None;
        }
        drop(p);
        self.0.wake.notify_one();
    }
}

/// A response body that keeps its connection busy until it is sent.
struct Tracked {
    inner: Body,
    _busy: BusyGuard,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The socket, telling its connection when bytes arrive.
struct Watched {
    stream: TcpStream,
    conn: Arc<Conn>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.conn.bytes_read();
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// Open connections by number, for the cap and eviction.
#[derive(Default)]
struct Registry {
    open: Mutex<HashMap<u64, Arc<Conn>>>,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Make room for one more connection: `false` when every open connection is busy.
    fn make_room(&self, max: usize) -> bool {
        let open = self.lock();
        let live = open.values().filter(|c| !c.evicted.load(Ordering::Relaxed)).count();
        if live < max {
            return true;
        }
        let oldest = open
            .values()
            .filter(|c| !c.evicted.load(Ordering::Relaxed))
            .filter_map(|c| c.waiting_since().map(|t| (t, c)))
            .min_by_key(|(t, _)| *t);
        match oldest {
            Some((_, c)) => {
                c.evict();
                true
            }
            None => false,
        }
    }
}

/// TCP keepalive (and no Nagle delay: answers are small and whole).
pub fn configure_socket(stream: &TcpStream, keepalive: Option<Duration>) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    if let Some(time) = keepalive {
        let params = socket2::TcpKeepalive::new()
            .with_time(time)
            .with_interval(KEEPALIVE_INTERVAL)
            .with_retries(KEEPALIVE_RETRIES);
        socket2::SockRef::from(stream).set_tcp_keepalive(&params)?;
    }
    Ok(())
}

/// Serve `router` on `listener` under `limits` until `shutdown` resolves; then stop accepting,
/// let running requests finish and close idle connections.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let registry = Arc::new(Registry::default());
    // Every connection task holds a receiver: `closed()` tells when all are gone.
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut next_id: u64 = 0;
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors or similar: wait instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        if !registry.make_room(limits.max_connections) {
            tracing::warn!(max = limits.max_connections, "every connection is busy: refusing one");
            drop(stream);
            continue;
        }
        if let Err(e) = configure_socket(&stream, limits.tcp_keepalive) {
            tracing::debug!(error = %e, "socket options");
        }
        next_id += 1;
        let id = next_id;
        let conn = Arc::new(Conn::new(Instant::now()));
        registry.lock().insert(id, Arc::clone(&conn));
        let registry = Arc::clone(&registry);
        let router = router.clone();
        let stop = stop_rx.clone();
        tokio::spawn(async move {
            run_connection(stream, peer, router, limits, Arc::clone(&conn), stop).await;
            registry.lock().remove(&id);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(stop_rx);
    stop_tx.closed().await;
    Ok(())
}

async fn run_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
    conn: Arc<Conn>,
    mut stop: watch::Receiver<bool>,
) {
    let io = TokioIo::new(Watched { stream, conn: Arc::clone(&conn) });
    let for_requests = Arc::clone(&conn);
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let busy = for_requests.request_started();
        let mut router = router.clone();
        async move {
            let deadline = Instant::now() + limits.body_timeout;
            let (mut parts, body) = req.into_parts();
            parts.extensions.insert(ConnectInfo(peer));
            parts.extensions.insert(BodyDeadline(deadline));
            let req = Request::from_parts(parts, DeadlineBody::new(body, deadline));
            let resp = match router.call(req).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            let (parts, body) = resp.into_parts();
            Ok::<_, Infallible>(Response::from_parts(parts, Tracked { inner: body, _busy: busy }))
        }
    });
    let http = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
    tokio::pin!(http);
    let mut stopping = *stop.borrow();
    if stopping {
        http.as_mut().graceful_shutdown();
    }
    loop {
        if conn.evicted.load(Ordering::Relaxed) {
            tracing::debug!("connection closed to make room for a new one");
            return;
        }
        let deadline = conn.deadline(&limits);
        let expired = async move {
            match deadline {
                Some(d) => tokio::time::sleep_until(d.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            result = http.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = expired => {
                // The phase may have changed since the deadline was computed.
                if conn.deadline(&limits).is_some_and(|d| d <= Instant::now()) {
                    tracing::debug!("connection closed: idle or header timeout");
                    return;
                }
            }
            () = conn.wake.notified() => {}
            changed = stop.changed(), if !stopping => {
                if changed.is_err() || *stop.borrow() {
                    stopping = true;
                    http.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_have_their_own_deadlines() {
        let limits = Limits {
            header_timeout: Duration::from_secs(2),
            idle_timeout: Duration::from_secs(10),
            ..Limits::default()
        };
        let t0 = Instant::now();
        let conn = Arc::new(Conn::new(t0));
        assert_eq!(conn.deadline(&limits), Some(t0 + limits.idle_timeout));
        conn.bytes_read();
        let head = conn.deadline(&limits).expect("a head deadline");
        assert!(head < t0 + limits.idle_timeout && head >= t0 + limits.header_timeout);
        let busy = conn.request_started();
        assert_eq!(conn.deadline(&limits), None);
        assert_eq!(conn.waiting_since(), None);
        drop(busy);
        let idle = conn.deadline(&limits).expect("idle again");
        assert!(idle >= t0 + limits.idle_timeout);
    }

    #[test]
    fn at_the_cap_the_longest_waiting_idle_connection_makes_room() {
        let reg = Registry::default();
        let t0 = Instant::now();
        let old = Arc::new(Conn::new(t0));
        let young = Arc::new(Conn::new(t0 + Duration::from_secs(1)));
        let busy = Arc::new(Conn::new(t0 - Duration::from_secs(5)));
        let _running = busy.request_started();
        reg.lock().insert(1, Arc::clone(&old));
        reg.lock().insert(2, Arc::clone(&young));
        reg.lock().insert(3, Arc::clone(&busy));
        assert!(reg.make_room(4));
        assert!(reg.make_room(3));
        assert!(old.evicted.load(Ordering::Relaxed));
        assert!(!young.evicted.load(Ordering::Relaxed) && !busy.evicted.load(Ordering::Relaxed));
        // The evicted one no longer counts.
        assert!(reg.make_room(3));
        assert!(!young.evicted.load(Ordering::Relaxed));
        assert!(reg.make_room(2));
        assert!(young.evicted.load(Ordering::Relaxed));
        // Only the busy one is left: no room.
        assert!(!reg.make_room(1));
        assert!(!busy.evicted.load(Ordering::Relaxed));
    }

    #[tokio::test]
    async fn accepted_sockets_get_keepalive() {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = l.local_addr().expect("addr");
        let _client = TcpStream::connect(addr).await.expect("connect");
        let (s, _) = l.accept().await.expect("accept");
        configure_socket(&s, Some(Duration::from_secs(30))).expect("options");
        let sock = socket2::SockRef::from(&s);
        assert!(sock.keepalive().expect("SO_KEEPALIVE"));
    }
}
