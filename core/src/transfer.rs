//! Timeouts that measure progress, not size.
//!
//! A whole-request deadline kills a slow upload that is moving perfectly well (a 320 KB photo
//! needs ~52 s at 50 kbit/s) and, retried, kills it again forever. So an exchange is judged on
//! three limits instead:
//!
//! - **connect**: as before, the transport's own connect timeout;
//! - **inactivity**: no byte handed to the transport and no byte of the answer received for
//!   [`HttpSettings::inactivity_timeout`]: the link is stalled, whatever the size;
//! - **total budget**: [`HttpSettings::request_timeout`] plus the bytes to move at the slowest link
//!   served ([`HttpSettings::floor_rate`]), so a transfer that moves, however slowly, above the
//!   floor is never killed, and one that trickles below it forever still ends. The bytes of an
//!   answer are added to the budget when its `Content-Length` arrives.
//!
//! The request body goes to the transport in small frames ([`FRAME`]): the transport asks for the
//! next frame only once it has room, so "a frame was taken" is the client's view of bytes
//! moving. Between the transport and the wire sit buffers (the HTTP stack's queue and the
//! socket's), which fill at local speed: during a body larger than them a stall is seen within the
//! inactivity timeout; once the whole body has been handed over, the wait for the answer is also
//! allowed the time those buffers ([`IN_FLIGHT_ALLOWANCE`] at most) take to drain at the rate the
//! body was taken ([`Watch::body_done`]).
//! Progress reported to the citizen is what was handed over (the last few KB may still be in
//! those buffers).

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::Instant;

/// How long the network may take (the module's doc explains the three limits).
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub connect_timeout: Duration,
    /// The total budget of an exchange that moves nothing much; grows by the bytes to move at
    /// `floor_rate`.
    pub request_timeout: Duration,
    /// No byte moved either way for this long: the link is stalled.
    pub inactivity_timeout: Duration,
    /// The slowest link served, in bytes per second (1,000 = 8 kbit/s, a poor GPRS day).
    pub floor_rate: u32,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            inactivity_timeout: Duration::from_secs(20),
            floor_rate: 1_000,
        }
    }
}

/// Bytes of a request body handed to the transport at a time.
pub const FRAME: usize = 1024;
/// Bytes that may still sit in the client's buffers when the whole body has been handed over.
pub const IN_FLIGHT_ALLOWANCE: u64 = 64 * 1024;

/// Told how many of the body's bytes have been handed over, of how many.
pub type ProgressFn = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Why a watched exchange was given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stall {
    /// Nothing moved for the inactivity timeout.
    Inactive,
    /// The total budget (base + bytes at the floor rate) ran out.
    OverBudget,
}

/// The watchdog of one exchange: when bytes last moved, and how long the whole may take.
#[derive(Clone)]
pub struct Watch {
    inner: Arc<WatchInner>,
}

struct WatchInner {
    start: Instant,
    inactivity: Duration,
    /// Milliseconds since `start` the exchange may run; grows as answer sizes become known.
    budget_ms: AtomicU64,
    floor_rate: u64,
    /// Bytes of the request body handed over so far.
    handed: AtomicU64,
    state: Mutex<WatchState>,
}

struct WatchState {
    last_progress: Instant,
    /// Extra patience for the answer once the whole body was handed over.
    grace: Duration,
}

impl Watch {
    /// A watch for an exchange that sends `upload_bytes` (request line, headers and body).
    pub fn new(settings: &HttpSettings, upload_bytes: u64) -> Watch {
        let start = Instant::now();
        let floor_rate = u64::from(settings.floor_rate.max(1));
        let budget =
            settings.request_timeout + Duration::from_millis(upload_bytes.saturating_mul(1000) / floor_rate);
        Watch {
            inner: Arc::new(WatchInner {
                start,
                inactivity: settings.inactivity_timeout,
                budget_ms: AtomicU64::new(budget.as_millis() as u64),
                floor_rate,
                handed: AtomicU64::new(0),
                state: Mutex::new(WatchState { last_progress: start, grace: Duration::ZERO }),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, WatchState> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Bytes moved now.
    pub fn touch(&self) {
        let mut s = self.state();
        s.last_progress = Instant::now();
        s.grace = Duration::ZERO;
    }

    /// The whole body (`body_bytes`) has been handed over: the answer may take as long as the
    /// buffers need to drain, on top of the inactivity timeout. They drain at the rate the body
    /// was taken (the link's, once the buffers were full), or at the floor rate when the body was
    /// taken too fast to tell (it fit in the buffers).
    pub fn body_done(&self, body_bytes: u64) {
        let buffered = body_bytes.min(IN_FLIGHT_ALLOWANCE);
        let took = self.inner.start.elapsed();
        let rate = if took >= Duration::from_secs(1) {
            (body_bytes.saturating_mul(1000) / took.as_millis().max(1) as u64).max(self.inner.floor_rate)
        } else {
            self.inner.floor_rate
        };
        let mut s = self.state();
        s.last_progress = Instant::now();
        s.grace = Duration::from_millis(buffered.saturating_mul(1000) / rate);
    }

    /// Bytes of the request body handed over so far (a server may answer before taking them all).
    pub fn handed(&self) -> u64 {
        self.inner.handed.load(Ordering::Relaxed)
    }

    /// `bytes` more are coming (an answer's length): the budget grows by them at the floor rate.
    pub fn expect(&self, bytes: u64) {
        self.inner.budget_ms.fetch_add(bytes.saturating_mul(1000) / self.inner.floor_rate, Ordering::Relaxed);
    }

    /// Resolves when the exchange should be given up.
    pub async fn expired(&self) -> Stall {
        loop {
            let (idle_until, deadline) = {
                let s = self.state();
                let deadline =
                    self.inner.start + Duration::from_millis(self.inner.budget_ms.load(Ordering::Relaxed));
                (s.last_progress + self.inner.inactivity + s.grace, deadline)
            };
            let now = Instant::now();
            if now >= deadline {
                return Stall::OverBudget;
            }
            if now >= idle_until {
                return Stall::Inactive;
            }
            tokio::time::sleep_until(idle_until.min(deadline)).await;
        }
    }
}

/// A request body handed over [`FRAME`] bytes at a time, each one a sign of progress.
pub struct WatchedBody {
    data: Bytes,
    pos: usize,
    watch: Watch,
    progress: Option<ProgressFn>,
}

impl WatchedBody {
    pub fn new(data: Bytes, watch: Watch, progress: Option<ProgressFn>) -> WatchedBody {
        WatchedBody { data, pos: 0, watch, progress }
    }
}

impl Body for WatchedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let len = self.data.len();
        if self.pos >= len {
            return Poll::Ready(None);
        }
        let end = (self.pos + FRAME).min(len);
        let frame = self.data.slice(self.pos..end);
        self.pos = end;
        self.watch.inner.handed.store(end as u64, Ordering::Relaxed);
        if end == len {
            self.watch.body_done(len as u64);
        } else {
            self.watch.touch();
        }
        if let Some(p) = &self.progress {
            p(end as u64, len as u64);
        }
        Poll::Ready(Some(Ok(Frame::data(frame))))
    }

    fn is_end_stream(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact((self.data.len() - self.pos) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(inactivity_ms: u64, base_ms: u64, floor: u32) -> HttpSettings {
        HttpSettings {
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_millis(base_ms),
            inactivity_timeout: Duration::from_millis(inactivity_ms),
            floor_rate: floor,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn moving_keeps_it_alive_and_silence_ends_it() {
        let w = Watch::new(&settings(1_000, 100_000, 1_000), 0);
        let start = Instant::now();
        let toucher = {
            let w = w.clone();
            tokio::spawn(async move {
                for _ in 0..10 {
                    tokio::time::sleep(Duration::from_millis(900)).await;
                    w.touch();
                }
            })
        };
        assert_eq!(w.expired().await, Stall::Inactive);
        toucher.await.unwrap();
        // Ten touches 0.9 s apart, then one second of silence.
        assert_eq!(start.elapsed(), Duration::from_millis(10_000));
    }

    #[tokio::test(start_paused = true)]
    async fn the_budget_grows_with_the_bytes() {
        // 30 s base + 4,000 bytes at 1,000 B/s + 2,000 more announced = 36 s.
        let w = Watch::new(&settings(u64::MAX / 4, 30_000, 1_000), 4_000);
        w.expect(2_000);
        let start = Instant::now();
        assert_eq!(w.expired().await, Stall::OverBudget);
        assert_eq!(start.elapsed(), Duration::from_secs(36));
    }

    #[tokio::test(start_paused = true)]
    async fn the_answer_wait_allows_the_buffers_to_drain() {
        let w = Watch::new(&settings(1_000, 1_000_000, 1_000), 0);
        w.body_done(3_000);
        let start = Instant::now();
        assert_eq!(w.expired().await, Stall::Inactive);
        assert_eq!(start.elapsed(), Duration::from_millis(4_000));
    }

    #[test]
    fn the_body_goes_in_frames_and_reports_progress() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = Arc::clone(&seen);
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        rt.block_on(async {
            let w = Watch::new(&settings(1_000, 1_000, 1_000), 0);
            let mut body = WatchedBody::new(
                Bytes::from(vec![1u8; FRAME * 2 + 5]),
                w,
                Some(Arc::new(move |a, b| s.lock().unwrap().push((a, b)))),
            );
            let mut total = 0;
            let waker = std::task::Waker::noop();
            let mut cx = Context::from_waker(waker);
            while let Poll::Ready(Some(Ok(f))) = Pin::new(&mut body).poll_frame(&mut cx) {
                total += f.into_data().map(|d| d.len()).unwrap_or(0);
            }
            assert_eq!(total, FRAME * 2 + 5);
            assert!(body.is_end_stream());
        });
        let n = (FRAME * 2 + 5) as u64;
        assert_eq!(*seen.lock().unwrap(), vec![(FRAME as u64, n), (2 * FRAME as u64, n), (n, n)]);
    }
}
