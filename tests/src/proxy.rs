//! A fault-injecting HTTP/1.1 proxy on loopback, between the app and the server.
//!
//! Every request gets its own TCP connection and its own fault decision: the proxy reads one
//! request (head and body, `Content-Length` or chunked), decides, forwards it upstream with
//! `Connection: close`, relays the answer with `Connection: close`, and closes. A client that keeps
//! connections alive therefore opens a new one per request, and a fault can never leave a
//! half-used pooled connection behind that would make the next request fail at random.
//!
//! Decisions come from a [`FaultPlan`]: a script consumed in order, a fixed fault, or a seeded
//! pseudo-random choice (same seed, same sequence of decisions in the order requests arrive). The
//! proxy never sleeps to get its timing right: it acts when bytes have arrived, and the only sleep
//! is the one a [`Fault::Delay`] asks for.
//!
//! **Round-robin** ([`FaultProxy::start_round_robin`]): several upstreams (server processes on one
//! database), each forwarded request to the next in turn, as a load balancer without health checks
//! would; one that is down answers 502 through the proxy until the client tries again.
//!
//! **Link mode** ([`FaultProxy::start_link`]) shapes bytes instead of requests: a slow mobile link
//! of a [`Link`]'s rate and delay, whose connections are cut on a schedule, and which can be made
//! to stall ([`FaultProxy::set_stalled`]). Bytes are relayed as they come (a request is not read
//! whole first), so an upload cut halfway has really delivered half its bytes to the server, as on
//! a real link; the bytes that entered the link are counted each way (the bytes on the wire).
//!
//! ```no_run
//! # async fn demo(upstream: std::net::SocketAddr) -> std::io::Result<()> {
//! use baladiya_tests::proxy::{Fault, FaultPlan, FaultProxy};
//! let faults = [Fault::Drop, Fault::DropAfterForward, Fault::Reset, Fault::Status(503)];
//! let proxy = FaultProxy::start(upstream, FaultPlan::seeded(42, 0.3, faults)).await?;
//! // ... point the app at proxy.url() ...
//! proxy.set_plan(FaultPlan::pass()); // heal the network
//! let stats = proxy.stats();
//! proxy.stop().await;
//! # let _ = stats; Ok(()) }
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;

/// What the proxy does to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Forward untouched (apart from `Connection: close`).
    Pass,
    /// Read the request, then close the client connection (FIN) without forwarding anything.
    Drop,
    /// Forward the request and read the server's whole answer, then close the client connection
    /// (FIN) before any byte of that answer reaches it: the server did the work, the client cannot
    /// know. The classic duplicate trap.
    DropAfterForward,
    /// Read the request, then reset the connection (RST, `SO_LINGER` 0) without forwarding it.
    Reset,
    /// Forward the request and read the server's whole answer, then reset the client connection
    /// instead of relaying it.
    ResetAfterForward,
    /// Read the request and never answer; the connection stays open until the proxy stops, so the
    /// client's own timeout is what ends the exchange.
    Blackhole,
    /// Forward, then hold the server's answer this long before relaying it (a slow server).
    Delay(Duration),
    /// Answer this status itself without contacting the server. 503 and 429 carry `Retry-After: 0`.
    Status(u16),
}

/// [`Fault`] without its parameter, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    Pass,
    Drop,
    DropAfterForward,
    Reset,
    ResetAfterForward,
    Blackhole,
    Delay,
    Status,
}

impl Fault {
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::Pass => FaultKind::Pass,
            Fault::Drop => FaultKind::Drop,
            Fault::DropAfterForward => FaultKind::DropAfterForward,
            Fault::Reset => FaultKind::Reset,
            Fault::ResetAfterForward => FaultKind::ResetAfterForward,
            Fault::Blackhole => FaultKind::Blackhole,
            Fault::Delay(_) => FaultKind::Delay,
            Fault::Status(_) => FaultKind::Status,
        }
    }

    /// Whether the server receives the request under this fault (if it is reachable).
    pub fn reaches_server(&self) -> bool {
        matches!(self, Fault::Pass | Fault::DropAfterForward | Fault::ResetAfterForward | Fault::Delay(_))
    }

    /// Whether the client receives the server's own answer under this fault.
    pub fn client_sees_server_answer(&self) -> bool {
        matches!(self, Fault::Pass | Fault::Delay(_))
    }
}

/// Decides the fault of each request, in the order complete requests arrive.
///
/// A script is consumed first; then the plan's mode decides: always pass, always one fault, or a
/// seeded pseudo-random choice. The same seeded plan gives the same sequence of decisions.
#[derive(Debug, Clone)]
pub struct FaultPlan {
    script: VecDeque<Fault>,
    mode: Mode,
}

#[derive(Debug, Clone)]
enum Mode {
    Always(Fault),
    Seeded { rng: SplitMix64, rate: f64, faults: Vec<Fault> },
}

impl Default for FaultPlan {
    fn default() -> Self {
        FaultPlan::pass()
    }
}

impl FaultPlan {
    /// Every request passes.
    pub fn pass() -> Self {
        FaultPlan::always(Fault::Pass)
    }

    /// Every request gets `fault` (e.g. `Fault::Delay(..)` for a slow server).
    pub fn always(fault: Fault) -> Self {
        FaultPlan { script: VecDeque::new(), mode: Mode::Always(fault) }
    }

    /// These faults, one per request in order, then every request passes.
    pub fn scripted(faults: impl IntoIterator<Item = Fault>) -> Self {
        FaultPlan { script: faults.into_iter().collect(), mode: Mode::Always(Fault::Pass) }
    }

    /// Each request independently: with probability `rate` (clamped to 0..=1) a fault drawn
    /// uniformly from `faults`, otherwise [`Fault::Pass`]. Reproducible from `seed`.
    pub fn seeded(seed: u64, rate: f64, faults: impl IntoIterator<Item = Fault>) -> Self {
        let rate = if rate.is_nan() { 0.0 } else { rate.clamp(0.0, 1.0) };
        FaultPlan {
            script: VecDeque::new(),
            mode: Mode::Seeded { rng: SplitMix64(seed), rate, faults: faults.into_iter().collect() },
        }
    }

    /// This plan's script, then `after` (its script, then its mode).
    pub fn then(mut self, after: FaultPlan) -> Self {
        self.script.extend(after.script);
        self.mode = after.mode;
        self
    }

    /// The next decision (advances the plan).
    pub fn next_fault(&mut self) -> Fault {
        if let Some(f) = self.script.pop_front() {
            return f;
        }
        match &mut self.mode {
            Mode::Always(f) => f.clone(),
            Mode::Seeded { rng, rate, faults } => {
                // Always draw twice, so a decision consumes the same amount of the stream whatever
                // the rate or the set of faults.
                let roll = rng.next_f64();
                let pick = rng.next_u64();
                if faults.is_empty() || roll >= *rate {
                    Fault::Pass
                } else {
                    faults[(pick % faults.len() as u64) as usize].clone()
                }
            }
        }
    }

    /// The next `n` decisions of a copy of this plan (this plan is not advanced).
    pub fn preview(&self, n: usize) -> Vec<Fault> {
        let mut copy = self.clone();
        (0..n).map(|_| copy.next_fault()).collect()
    }
}

/// splitmix64: tiny, fast, good enough to pick faults, and identical on every platform.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One decision: which request (`"METHOD /target"`) got which fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub request: String,
    pub fault: Fault,
}

/// What the proxy has seen so far.
#[derive(Debug, Clone, Default)]
pub struct ProxyStats {
    /// TCP connections accepted from clients.
    pub connections: u64,
    /// Connections closed (or unreadable) before a complete request arrived; no decision was made.
    pub incomplete: u64,
    /// Requests whose whole head and body were written to the server.
    pub forwarded: u64,
    /// Requests that could not be delivered to or answered by the server (a `Pass` or `Delay`
    /// then gets a 502 from the proxy).
    pub upstream_errors: u64,
    /// Every decision, in the order made (one per complete request).
    pub decisions: Vec<Decision>,
    /// Link mode: bytes that entered the link from the client (up) and from the server (down).
    pub link_up: u64,
    pub link_down: u64,
    /// Link mode: connections cut by the schedule.
    pub cuts: u64,
    /// Requests forwarded (whole) to each upstream, by its index ([`FaultProxy::start_round_robin`]).
    pub forwarded_to: Vec<u64>,
}

impl ProxyStats {
    /// Complete requests received (one decision each).
    pub fn requests(&self) -> usize {
        self.decisions.len()
    }

    /// Decisions of this kind.
    pub fn count(&self, kind: FaultKind) -> usize {
        self.decisions.iter().filter(|d| d.fault.kind() == kind).count()
    }

    /// Decisions per kind (kinds never chosen are absent).
    pub fn counts(&self) -> BTreeMap<FaultKind, usize> {
        let mut m = BTreeMap::new();
        for d in &self.decisions {
            *m.entry(d.fault.kind()).or_insert(0) += 1;
        }
        m
    }

    /// Decisions other than [`Fault::Pass`].
    pub fn faults(&self) -> usize {
        self.decisions.iter().filter(|d| d.fault != Fault::Pass).count()
    }

    /// The faults in decision order.
    pub fn sequence(&self) -> Vec<Fault> {
        self.decisions.iter().map(|d| d.fault.clone()).collect()
    }
}

struct Shared {
    upstream: SocketAddr,
    /// Where requests go, in turn (`[upstream]` unless round-robin).
    upstreams: Vec<SocketAddr>,
    turn: AtomicUsize,
    plan: Mutex<FaultPlan>,
    stats: Mutex<ProxyStats>,
    /// Link mode: nothing crosses while set.
    stalled: AtomicBool,
}

impl Shared {
    fn stats(&self) -> MutexGuard<'_, ProxyStats> {
        self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn decide(&self, request: String) -> Fault {
        // Hold the plan while recording, so the log has the plan's order.
        let mut plan = self.plan.lock().unwrap_or_else(|e| e.into_inner());
        let fault = plan.next_fault();
        self.stats().decisions.push(Decision { request, fault: fault.clone() });
        fault
    }
}

/// The proxy, listening on `127.0.0.1` and a free port.
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    /// Resolves once the accept loop and every connection have ended.
    done: Option<oneshot::Receiver<()>>,
    /// Set when the proxy runs on its own thread ([`FaultProxy::start_blocking`]).
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultProxy")
            .field("addr", &self.addr)
            .field("upstream", &self.shared.upstream)
            .finish()
    }
}

impl FaultProxy {
    /// Start on the current tokio runtime (call from inside one). With a current-thread runtime
    /// the proxy only makes progress while the test awaits; a test that blocks its thread should
    /// use [`FaultProxy::start_blocking`].
    pub async fn start(upstream: SocketAddr, plan: FaultPlan) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(upstream, plan));
        let (stop, stopping) = watch::channel(false);
        let (finished, done) = oneshot::channel();
        tokio::spawn(accept_loop(listener, Arc::clone(&shared), stopping, finished));
        Ok(FaultProxy { addr, shared, stop, done: Some(done), thread: None })
    }

    /// Start on the current tokio runtime in front of several upstreams: each request goes to the
    /// next one in turn (a new connection each time), whether or not it is up.
    pub async fn start_round_robin(upstreams: Vec<SocketAddr>, plan: FaultPlan) -> std::io::Result<Self> {
        if upstreams.is_empty() {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "no upstream"));
        }
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::round_robin(upstreams, plan));
        let (stop, stopping) = watch::channel(false);
        let (finished, done) = oneshot::channel();
        tokio::spawn(accept_loop(listener, Arc::clone(&shared), stopping, finished));
        Ok(FaultProxy { addr, shared, stop, done: Some(done), thread: None })
    }

    /// Start on a thread of its own with its own runtime; usable from a plain `#[test]` and from
    /// any runtime. Returns once the proxy accepts connections.
    pub fn start_blocking(upstream: SocketAddr, plan: FaultPlan) -> std::io::Result<Self> {
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let shared = Arc::new(Shared::new(upstream, plan));
        let (stop, stopping) = watch::channel(false);
        let (finished, done) = oneshot::channel();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let loop_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new().name("fault-proxy".into()).spawn(move || {
            rt.block_on(async move {
                match TcpListener::from_std(std_listener) {
                    Ok(listener) => accept_loop(listener, loop_shared, stopping, finished).await,
                    Err(e) => panic!("fault proxy: listener: {e}"),
                }
            })
        })?;
        Ok(FaultProxy { addr, shared, stop, done: Some(done), thread: Some(thread) })
    }

    /// Start in link mode on the current tokio runtime: every connection's bytes cross `link`.
    pub async fn start_link(upstream: SocketAddr, link: Link) -> std::io::Result<Self> {
        use socket2::{Domain, Protocol, Socket, Type};
        let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
        // A small receive buffer, inherited by accepted sockets: the client's bytes wait in its own
        // buffers, not in ours, as they would before a slow radio link. And a mobile network's
        // segment size: loopback's 64 KB segments would make the client's socket buffer ~2.6 MB
        // (Linux sizes it from the segment size), where a phone's holds some tens of KB.
        socket.set_recv_buffer_size(LINK_RECV_BUFFER)?;
        socket.set_tcp_mss(LINK_MSS)?;
        socket.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
        socket.listen(128)?;
        socket.set_nonblocking(true)?;
        let listener = TcpListener::from_std(socket.into())?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(upstream, FaultPlan::pass()));
        let (stop, stopping) = watch::channel(false);
        let (finished, done) = oneshot::channel();
        let shaped = Arc::new(Shaped::new(link));
        tokio::spawn(link_accept_loop(listener, Arc::clone(&shared), shaped, stopping, finished));
        Ok(FaultProxy { addr, shared, stop, done: Some(done), thread: None })
    }

    /// Link mode: stop every byte from crossing (connections stay open), or let them go again.
    pub fn set_stalled(&self, stalled: bool) {
        self.stall_switch().set_stalled(stalled);
    }

    /// [`FaultProxy::set_stalled`] as a handle of its own (for an event listener, say).
    pub fn stall_switch(&self) -> StallSwitch {
        StallSwitch(Arc::clone(&self.shared))
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/`
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn upstream(&self) -> SocketAddr {
        self.shared.upstream
    }

    /// A snapshot of what the proxy has seen so far.
    pub fn stats(&self) -> ProxyStats {
        self.shared.stats().clone()
    }

    /// Decide the following requests with `plan` (e.g. heal the network with `FaultPlan::pass()`).
    /// Requests already decided keep their fault.
    pub fn set_plan(&self, plan: FaultPlan) {
        *self.shared.plan.lock().unwrap_or_else(|e| e.into_inner()) = plan;
    }

    /// Stop accepting, drop every open connection (blackholed ones included), and wait until all
    /// of them are closed.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
        self.join_thread();
    }

    /// [`FaultProxy::stop`] for a test without a runtime. For a proxy made by
    /// [`FaultProxy::start`] this cannot wait, so it only signals the stop.
    pub fn stop_blocking(mut self) {
        let _ = self.stop.send(true);
        self.join_thread();
    }

    fn join_thread(&mut self) {
        if let Some(t) = self.thread.take() {
            // The loop has ended or is ending: this waits for the runtime to drop, briefly.
            if t.join().is_err() {
                panic!("fault proxy thread panicked");
            }
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Shared {
    fn new(upstream: SocketAddr, plan: FaultPlan) -> Self {
        Self::round_robin(vec![upstream], plan)
    }

    fn round_robin(upstreams: Vec<SocketAddr>, plan: FaultPlan) -> Self {
        Shared {
            upstream: upstreams[0],
            upstreams,
            turn: AtomicUsize::new(0),
            plan: Mutex::new(plan),
            stats: Mutex::new(ProxyStats::default()),
            stalled: AtomicBool::new(false),
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stopping: watch::Receiver<bool>,
    finished: oneshot::Sender<()>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            // `wait_for` fails when the sender is gone: the proxy was dropped, which also means stop.
            () = async { let _ = stopping.wait_for(|stop| *stop).await; } => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    shared.stats().connections += 1;
                    conns.spawn(handle(stream, Arc::clone(&shared)));
                }
                // Out of descriptors and the like: keep serving the connections already open.
                Err(_) => tokio::task::yield_now().await,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    // Aborts every connection task (blackholed and delayed ones included) and waits for them, so
    // their sockets are closed when `stop` returns.
    conns.shutdown().await;
    let _ = finished.send(());
}

/// Stalls a link-mode proxy or frees it; cheap to clone, usable from any thread.
#[derive(Clone)]
pub struct StallSwitch(Arc<Shared>);

impl StallSwitch {
    pub fn set_stalled(&self, stalled: bool) {
        self.0.stalled.store(stalled, Ordering::SeqCst);
    }
}

// --- Link mode -------------------------------------------------------------------------------

/// A slow link: its rate each way, its one-way delay, and when it drops its connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Bytes per second in each direction (50 kbit/s is 6,250).
    pub rate: u64,
    /// One-way delay (half the round trip).
    pub delay: Duration,
    /// Every connection open is cut (reset) at each multiple of this since the proxy started.
    pub cut_every: Option<Duration>,
}

impl Link {
    /// `kbit` kbit/s each way and `rtt` of round trip, never cut.
    pub fn kbits(kbit: u64, rtt: Duration) -> Link {
        Link { rate: kbit * 1000 / 8, delay: rtt / 2, cut_every: None }
    }

    pub fn cut_every(mut self, every: Duration) -> Link {
        self.cut_every = Some(every);
        self
    }
}

/// The proxy's receive buffer in link mode.
const LINK_RECV_BUFFER: usize = 4 * 1024;
/// The segment size in link mode (a mobile network's MTU of 1,500 less the headers).
const LINK_MSS: u32 = 1_400;
/// Bytes read from a socket at a time in link mode: the pacing's grain.
const LINK_GRAIN: usize = 512;

/// The link's state: one serialiser per direction, shared by every connection (one radio).
struct Shaped {
    link: Link,
    start: tokio::time::Instant,
    up: Mutex<tokio::time::Instant>,
    down: Mutex<tokio::time::Instant>,
}

impl Shaped {
    fn new(link: Link) -> Shaped {
        let now = tokio::time::Instant::now();
        Shaped { link, start: now, up: Mutex::new(now), down: Mutex::new(now) }
    }

    /// When `n` bytes entering the link now have crossed it in that direction (serialised at the
    /// rate behind what is already on its way).
    fn reserve(&self, up: bool, n: usize) -> tokio::time::Instant {
        let mut next = if up { &self.up } else { &self.down }.lock().unwrap_or_else(|e| e.into_inner());
        let now = tokio::time::Instant::now();
        let start = (*next).max(now);
        *next = start + Duration::from_micros(n as u64 * 1_000_000 / self.link.rate.max(1));
        *next
    }

    /// The next scheduled cut after now.
    fn next_cut(&self) -> Option<tokio::time::Instant> {
        let every = self.link.cut_every?;
        let since = self.start.elapsed();
        let n = since.as_nanos() / every.as_nanos().max(1) + 1;
        Some(self.start + every * n as u32)
    }
}

async fn link_accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    shaped: Arc<Shaped>,
    mut stopping: watch::Receiver<bool>,
    finished: oneshot::Sender<()>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            () = async { let _ = stopping.wait_for(|stop| *stop).await; } => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    shared.stats().connections += 1;
                    conns.spawn(link_relay(stream, Arc::clone(&shared), Arc::clone(&shaped)));
                }
                Err(_) => tokio::task::yield_now().await,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    conns.shutdown().await;
    let _ = finished.send(());
}

/// One connection across the link, until either side ends it or the schedule cuts it.
async fn link_relay(mut client: TcpStream, shared: Arc<Shared>, shaped: Arc<Shaped>) {
    let _ = client.set_nodelay(true);
    let Ok(mut upstream) = TcpStream::connect(shared.upstream).await else {
        reset(client);
        return;
    };
    let _ = upstream.set_nodelay(true);
    // The handshake's round trip.
    tokio::time::sleep(shaped.link.delay * 2).await;
    let cut = shaped.next_cut();
    let cut_now = {
        let (cr, cw) = client.split();
        let (ur, uw) = upstream.split();
        let both = async {
            tokio::join!(
                link_pipe(cr, uw, true, &shared, &shaped),
                link_pipe(ur, cw, false, &shared, &shaped)
            )
        };
        tokio::select! {
            _ = both => false,
            () = async {
                match cut {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            } => true,
        }
    };
    if cut_now {
        shared.stats().cuts += 1;
        reset(client);
        reset(upstream);
    }
}

/// Bytes one way: read a grain, let it cross at the link's rate, deliver it a delay later.
async fn link_pipe(
    mut from: tokio::net::tcp::ReadHalf<'_>,
    mut to: tokio::net::tcp::WriteHalf<'_>,
    up: bool,
    shared: &Shared,
    shaped: &Shaped,
) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(tokio::time::Instant, Option<Vec<u8>>)>();
    let reader = async move {
        let mut buf = [0u8; LINK_GRAIN];
        loop {
            while shared.stalled.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let n = match from.read(&mut buf).await {
                Ok(0) | Err(_) => 0,
                Ok(n) => n,
            };
            if n == 0 {
                let _ = tx.send((tokio::time::Instant::now() + shaped.link.delay, None));
                return;
            }
            {
                let mut stats = shared.stats();
                if up {
                    stats.link_up += n as u64;
                } else {
                    stats.link_down += n as u64;
                }
            }
            let crossed = shaped.reserve(up, n);
            tokio::time::sleep_until(crossed).await;
            if tx.send((crossed + shaped.link.delay, Some(buf[..n].to_vec()))).is_err() {
                return;
            }
        }
    };
    let writer = async move {
        while let Some((at, bytes)) = rx.recv().await {
            tokio::time::sleep_until(at).await;
            match bytes {
                Some(b) => {
                    if to.write_all(&b).await.is_err() {
                        return;
                    }
                }
                None => {
                    let _ = to.shutdown().await;
                    return;
                }
            }
        }
    };
    tokio::join!(reader, writer);
}

/// A complete request as read from the client, ready to forward.
struct Request {
    /// `METHOD /target`, for the decision log.
    summary: String,
    is_head: bool,
    /// Head as forwarded: hop-by-hop headers removed, `Connection: close` added.
    head: Vec<u8>,
    /// Body bytes exactly as received (chunked framing included).
    body: Vec<u8>,
}

/// A complete response as read from the server, ready to relay.
struct Response {
    head: Vec<u8>,
    body: Vec<u8>,
}

async fn handle(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let mut client = Conn::new(stream);
    let request = match read_request(&mut client).await {
        Ok(Some(r)) => r,
        Ok(None) | Err(_) => {
            shared.stats().incomplete += 1;
            return;
        }
    };
    let fault = shared.decide(request.summary.clone());
    let mut client = client.into_inner();
    match fault {
        Fault::Pass => {
            let answer = answer_from_upstream(&shared, &request).await;
            send_and_close(&mut client, &answer).await;
        }
        Fault::Delay(d) => {
            let answer = answer_from_upstream(&shared, &request).await;
            tokio::time::sleep(d).await;
            send_and_close(&mut client, &answer).await;
        }
        Fault::Status(status) => send_and_close(&mut client, &status_response(status)).await,
        Fault::Drop => {
            let _ = client.shutdown().await;
        }
        Fault::DropAfterForward => {
            let _ = forward(&shared, &request).await;
            let _ = client.shutdown().await;
        }
        Fault::Reset => reset(client),
        Fault::ResetAfterForward => {
            let _ = forward(&shared, &request).await;
            reset(client);
        }
        Fault::Blackhole => {
            // Hold the socket (and never read more) until the proxy stops and aborts this task.
            std::future::pending::<()>().await;
            drop(client);
        }
    }
}

/// Close with RST instead of FIN.
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

async fn send_and_close(client: &mut TcpStream, bytes: &[u8]) {
    if client.write_all(bytes).await.is_ok() {
        let _ = client.shutdown().await;
    }
}

/// The server's answer, serialised for the client; a 502 from the proxy if there is none.
async fn answer_from_upstream(shared: &Shared, request: &Request) -> Vec<u8> {
    match forward(shared, request).await {
        Ok(resp) => {
            let mut out = resp.head;
            out.extend_from_slice(&resp.body);
            out
        }
        Err(_) => status_response(502),
    }
}

/// Send the request upstream on a new connection and read the whole answer.
async fn forward(shared: &Shared, request: &Request) -> std::io::Result<Response> {
    let turn = shared.turn.fetch_add(1, Ordering::Relaxed) % shared.upstreams.len();
    let result = async {
        let mut upstream = TcpStream::connect(shared.upstreams[turn]).await?;
        let _ = upstream.set_nodelay(true);
        upstream.write_all(&request.head).await?;
        upstream.write_all(&request.body).await?;
        upstream.flush().await?;
        {
            let mut stats = shared.stats();
            stats.forwarded += 1;
            if stats.forwarded_to.len() < shared.upstreams.len() {
                stats.forwarded_to.resize(shared.upstreams.len(), 0);
            }
            stats.forwarded_to[turn] += 1;
        }
        let mut conn = Conn::new(upstream);
        read_response(&mut conn, request.is_head).await
    }
    .await;
    if result.is_err() {
        shared.stats().upstream_errors += 1;
    }
    result
}

/// An answer made by the proxy itself.
fn status_response(status: u16) -> Vec<u8> {
    let reason = match status {
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Fault",
    };
    let body = format!("fault proxy: {status}\n");
    let retry = if status == 503 || status == 429 { "Retry-After: 0\r\n" } else { "" };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\n{retry}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

// --- Just enough HTTP/1.1 -------------------------------------------------------------------------

/// Longest request or response head accepted.
const MAX_HEAD: usize = 64 * 1024;

fn invalid(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned())
}

/// A head split into its first line and headers (values kept as bytes).
struct Head {
    first_line: String,
    headers: Vec<(String, Vec<u8>)>,
}

impl Head {
    fn parse(raw: &[u8]) -> std::io::Result<Head> {
        let raw = raw.strip_suffix(b"\r\n\r\n").ok_or_else(|| invalid("head not terminated"))?;
        let mut lines = raw.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l));
        let first_line = String::from_utf8(lines.next().unwrap_or_default().to_vec())
            .map_err(|_| invalid("first line"))?;
        let mut headers = Vec::new();
        for line in lines {
            let colon = line.iter().position(|&b| b == b':').ok_or_else(|| invalid("header line"))?;
            let name = String::from_utf8(line[..colon].to_vec()).map_err(|_| invalid("header name"))?;
            headers.push((name.trim().to_owned(), line[colon + 1..].trim_ascii().to_vec()));
        }
        Ok(Head { first_line, headers })
    }

    fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_slice())
    }

    fn has_token(&self, name: &str, token: &str) -> bool {
        self.values(name)
            .any(|v| v.split(|&b| b == b',').any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes())))
    }

    /// Body framing: chunked, or a length (absent means none for a request, to EOF for a response).
    fn framing(&self) -> std::io::Result<Option<Framing>> {
        if let Some(te) = self.values("transfer-encoding").last() {
            let last = te.split(|&b| b == b',').next_back().unwrap_or_default().trim_ascii();
            return if last.eq_ignore_ascii_case(b"chunked") {
                Ok(Some(Framing::Chunked))
            } else {
                Err(invalid("transfer-encoding without chunked"))
            };
        }
        let mut length = None;
        for v in self.values("content-length") {
            let n: usize = std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .ok_or_else(|| invalid("content-length"))?;
            if length.is_some_and(|l| l != n) {
                return Err(invalid("conflicting content-length"));
            }
            length = Some(n);
        }
        Ok(length.map(Framing::Length))
    }

    /// Serialise without hop-by-hop connection headers, with `Connection: close`.
    fn to_bytes_closing(&self, also_drop: &[&str]) -> Vec<u8> {
        const HOP: [&str; 3] = ["connection", "keep-alive", "proxy-connection"];
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(self.first_line.as_bytes());
        out.extend_from_slice(b"\r\n");
        for (name, value) in &self.headers {
            if HOP.iter().chain(also_drop).any(|h| name.eq_ignore_ascii_case(h)) {
                continue;
            }
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"Connection: close\r\n\r\n");
        out
    }
}

enum Framing {
    Chunked,
    Length(usize),
}

/// One request from the client; `None` if the connection closed before one began.
async fn read_request(client: &mut Conn) -> std::io::Result<Option<Request>> {
    let Some(raw) = client.read_head().await? else { return Ok(None) };
    let head = Head::parse(&raw)?;
    let mut parts = head.first_line.split_ascii_whitespace();
    let (method, target) = match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v)) if v.starts_with("HTTP/1.") => (m.to_owned(), t.to_owned()),
        _ => return Err(invalid("request line")),
    };
    let expects_continue = head.has_token("expect", "100-continue");
    if expects_continue {
        // The server never sees the `Expect`; the proxy wants the whole body before deciding.
        client.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
    }
    let mut body = Vec::new();
    match head.framing()? {
        Some(Framing::Chunked) => client.read_chunked(&mut body).await?,
        Some(Framing::Length(n)) => client.read_exact_into(n, &mut body).await?,
        None => {}
    }
    let drop_expect: &[&str] = if expects_continue { &["expect"] } else { &[] };
    Ok(Some(Request {
        summary: format!("{method} {target}"),
        is_head: method.eq_ignore_ascii_case("HEAD"),
        head: head.to_bytes_closing(drop_expect),
        body,
    }))
}

/// The server's final answer (interim 1xx answers are skipped).
async fn read_response(upstream: &mut Conn, is_head: bool) -> std::io::Result<Response> {
    loop {
        let raw = upstream.read_head().await?.ok_or_else(|| invalid("no response"))?;
        let head = Head::parse(&raw)?;
        let status: u16 = head
            .first_line
            .split_ascii_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid("status line"))?;
        if (100..200).contains(&status) && status != 101 {
            continue;
        }
        let mut body = Vec::new();
        if !(is_head || status == 204 || status == 304 || (100..200).contains(&status)) {
            match head.framing()? {
                Some(Framing::Chunked) => upstream.read_chunked(&mut body).await?,
                Some(Framing::Length(n)) => upstream.read_exact_into(n, &mut body).await?,
                None => upstream.read_to_end_into(&mut body).await?,
            }
        }
        return Ok(Response { head: head.to_bytes_closing(&[]), body });
    }
}

/// A TCP stream with a read buffer.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    fn new(stream: TcpStream) -> Self {
        Conn { stream, buf: Vec::with_capacity(8 * 1024) }
    }

    fn into_inner(self) -> TcpStream {
        self.stream
    }

    /// Read more into the buffer; false at end of stream.
    async fn fill(&mut self) -> std::io::Result<bool> {
        fill(&mut self.stream, &mut self.buf).await
    }

    /// Bytes up to and including the blank line ending a head; `None` on a clean EOF before any.
    async fn read_head(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        let mut searched = 0;
        loop {
            if let Some(i) = find(&self.buf[searched..], b"\r\n\r\n") {
                let end = searched + i + 4;
                return Ok(Some(self.buf.drain(..end).collect()));
            }
            searched = self.buf.len().saturating_sub(3);
            if self.buf.len() > MAX_HEAD {
                return Err(invalid("head too large"));
            }
            if !self.fill().await? {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    Err(std::io::ErrorKind::UnexpectedEof.into())
                };
            }
        }
    }

    /// Move `n` body bytes to `out`.
    async fn read_exact_into(&mut self, n: usize, out: &mut Vec<u8>) -> std::io::Result<()> {
        out.reserve(n);
        let mut left = n;
        loop {
            let take = left.min(self.buf.len());
            out.extend(self.buf.drain(..take));
            left -= take;
            if left == 0 {
                return Ok(());
            }
            if !self.fill().await? {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
    }

    /// Move one CRLF-terminated line (terminator included) to `out`; return the line without it.
    async fn read_line_into(&mut self, out: &mut Vec<u8>) -> std::io::Result<Vec<u8>> {
        let mut searched = 0;
        loop {
            if let Some(i) = find(&self.buf[searched..], b"\r\n") {
                let end = searched + i + 2;
                let line: Vec<u8> = self.buf.drain(..end).collect();
                out.extend_from_slice(&line);
                return Ok(line[..line.len() - 2].to_vec());
            }
            searched = self.buf.len().saturating_sub(1);
            if self.buf.len() > MAX_HEAD {
                return Err(invalid("line too long"));
            }
            if !self.fill().await? {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
    }

    /// Move a whole chunked body (sizes, data, last chunk and trailers) to `out`, unchanged.
    async fn read_chunked(&mut self, out: &mut Vec<u8>) -> std::io::Result<()> {
        loop {
            let line = self.read_line_into(out).await?;
            let size = line.split(|&b| b == b';').next().unwrap_or_default().trim_ascii();
            let size = std::str::from_utf8(size)
                .ok()
                .and_then(|s| usize::from_str_radix(s, 16).ok())
                .ok_or_else(|| invalid("chunk size"))?;
            if size == 0 {
                // Trailers, ended by an empty line.
                while !self.read_line_into(out).await?.is_empty() {}
                return Ok(());
            }
            self.read_exact_into(size, out).await?;
            if !self.read_line_into(out).await?.is_empty() {
                return Err(invalid("chunk not followed by CRLF"));
            }
        }
    }

    async fn read_to_end_into(&mut self, out: &mut Vec<u8>) -> std::io::Result<()> {
        out.append(&mut self.buf);
        self.stream.read_to_end(out).await?;
        Ok(())
    }
}

async fn fill<R: AsyncRead + Unpin>(r: &mut R, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    let mut chunk = [0u8; 16 * 1024];
    let n = r.read(&mut chunk).await?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n > 0)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_is_the_reference_sequence() {
        // First outputs of splitmix64 seeded with 1234567 (reference implementation by Vigna).
        let mut r = SplitMix64(1234567);
        assert_eq!(r.next_u64(), 6457827717110365317);
        assert_eq!(r.next_u64(), 3203168211198807973);
    }

    #[test]
    fn script_then_mode() {
        let mut p =
            FaultPlan::scripted([Fault::Drop, Fault::Status(503)]).then(FaultPlan::always(Fault::Reset));
        assert_eq!(p.preview(4), [Fault::Drop, Fault::Status(503), Fault::Reset, Fault::Reset]);
        assert_eq!(p.next_fault(), Fault::Drop);
        let mut s = FaultPlan::scripted([Fault::Blackhole]);
        assert_eq!(s.next_fault(), Fault::Blackhole);
        assert_eq!(s.next_fault(), Fault::Pass);
    }

    #[test]
    fn seeded_edges() {
        assert!(FaultPlan::seeded(1, 0.0, [Fault::Drop]).preview(50).iter().all(|f| *f == Fault::Pass));
        assert!(FaultPlan::seeded(1, 1.0, [Fault::Drop]).preview(50).iter().all(|f| *f == Fault::Drop));
        assert!(FaultPlan::seeded(1, 1.0, []).preview(50).iter().all(|f| *f == Fault::Pass));
        assert!(FaultPlan::seeded(1, f64::NAN, [Fault::Drop]).preview(50).iter().all(|f| *f == Fault::Pass));
    }

    #[test]
    fn heads_are_rewritten_to_close() {
        let raw = b"POST /x HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nKeep-Alive: 5\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
        let head = Head::parse(raw).unwrap();
        assert!(head.has_token("expect", "100-continue"));
        assert!(matches!(head.framing().unwrap(), Some(Framing::Length(3))));
        let out = String::from_utf8(head.to_bytes_closing(&["expect"])).unwrap();
        assert_eq!(out, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nConnection: close\r\n\r\n");
        let chunked = Head::parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").unwrap();
        assert!(matches!(chunked.framing().unwrap(), Some(Framing::Chunked)));
        let conflict =
            Head::parse(b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").unwrap();
        assert!(conflict.framing().is_err());
    }
}
