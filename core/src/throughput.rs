//! The link's throughput as the core last saw it, for choosing how large to prepare photos
//! (issue 17): on a slow link a photo is prepared at [`crate::photo::PhotoSize::SLOW_LINK`] unless
//! the citizen asks for full quality.
//!
//! Every exchange the HTTP clients make is a sample: its bytes (both ways) over its time. Small
//! exchanges say more about the round trip than about the rate, so only exchanges of at least
//! [`MIN_SAMPLE_BYTES`] count. The estimate is a moving average (each sample weighs half), so
//! it follows a phone moving from 2G to Wi-Fi within a couple of transfers. It lives as long as
//! the library object: after a restart nothing is known, and photos are prepared at full size
//! until a transfer has been seen.

use std::sync::Mutex;
use std::time::Duration;

/// Exchanges smaller than this are not samples.
pub const MIN_SAMPLE_BYTES: u64 = 16 * 1024;
/// Below this (200 kbit/s) a link is slow.
pub const SLOW_BELOW: u64 = 25_000;

#[derive(Default)]
pub struct Throughput {
    bytes_per_second: Mutex<Option<f64>>,
}

impl Throughput {
    /// One exchange: `bytes` moved in `took`.
    pub fn record(&self, bytes: u64, took: Duration) {
        if bytes < MIN_SAMPLE_BYTES || took < Duration::from_millis(50) {
            return;
        }
        let sample = bytes as f64 / took.as_secs_f64();
        let mut estimate = self.bytes_per_second.lock().unwrap_or_else(|p| p.into_inner());
        *estimate = Some(match *estimate {
            Some(e) => (e + sample) / 2.0,
            None => sample,
        });
    }

    /// Bytes per second, once a transfer has been seen.
    pub fn estimate(&self) -> Option<u64> {
        self.bytes_per_second.lock().unwrap_or_else(|p| p.into_inner()).map(|e| e as u64)
    }

    /// The link is known to be slow.
    pub fn slow(&self) -> bool {
        self.estimate().is_some_and(|e| e < SLOW_BELOW)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_exchanges_do_not_count_and_the_average_follows() {
        let t = Throughput::default();
        t.record(1_000, Duration::from_secs(10));
        assert_eq!(t.estimate(), None);
        assert!(!t.slow());
        t.record(62_500, Duration::from_secs(10)); // 50 kbit/s
        assert_eq!(t.estimate(), Some(6_250));
        assert!(t.slow());
        t.record(1_000_000, Duration::from_secs(1)); // Wi-Fi
        t.record(1_000_000, Duration::from_secs(1));
        assert!(!t.slow(), "{:?}", t.estimate());
    }
}
