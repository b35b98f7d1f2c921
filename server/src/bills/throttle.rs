//! Failed-verification throttling: a sliding window of failure times per key (an account and
//! client pair, an account, or a client address). Once a key has `max` failures inside `window`,
//! every attempt on it is refused until the oldest of them leaves the window; the refusal says
//! how long that is.
//!
//! An attempt is an [`Attempt`] while it is being verified: it holds one of the key's `max`
//! places (so a burst of parallel guesses cannot all pass before any has failed), but it is not a
//! failure. Only a verification that ends in a mismatch records one, at the time it ended; one
//! that succeeds, or fails for the server's reasons, or whose client went away (the attempt is
//! dropped), leaves nothing behind.
//!
//! Kept in memory: a restart forgets it, which gives an attacker one window's worth of extra
//! guesses per restart. A deployment with several server processes would keep it in the shared
//! database or a cache instead.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most `max` failures within `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

/// Above this many keys, expired ones are swept out before a new one is added.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug, Default)]
struct Entry {
    failures: VecDeque<Instant>,
    /// Attempts being verified right now.
    pending: u32,
}

pub struct Throttle<K> {
    limit: Limit,
    entries: Mutex<HashMap<K, Entry>>,
}

/// An attempt being verified; dropping it without an outcome counts nothing.
pub struct Attempt<'a, K: Eq + Hash + Clone> {
    throttle: &'a Throttle<K>,
    key: K,
    open: bool,
}

impl<K: Eq + Hash + Clone> Throttle<K> {
    pub fn new(limit: Limit) -> Self {
        Throttle { limit, entries: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Start an attempt on `key`, unless its failures and the attempts in flight already fill its
    /// limit: then `Err(wait)`, `wait` being at least one second, and nothing is counted.
    pub fn begin(&self, key: &K, now: Instant) -> Result<Attempt<'_, K>, Duration> {
        let window = self.limit.window;
        let mut map = self.lock();
        if map.len() > SWEEP_ABOVE && !map.contains_key(key) {
            map.retain(|_, e| {
                expire(&mut e.failures, window, now);
                !e.failures.is_empty() || e.pending > 0
            });
        }
        let e = map.entry(key.clone()).or_default();
        expire(&mut e.failures, window, now);
        if e.failures.len() + e.pending as usize >= self.limit.max as usize {
            // Free again when the oldest failure leaves the window (or, if attempts in flight
            // fill the limit, as soon as they end).
            let wait = e
                .failures
                .front()
                .map_or(Duration::ZERO, |oldest| (*oldest + window).saturating_duration_since(now));
            return Err(wait.max(Duration::from_secs(1)));
        }
        e.pending += 1;
        Ok(Attempt { throttle: self, key: key.clone(), open: true })
    }

    fn end(&self, key: &K, failed_at: Option<Instant>, clear: bool) {
        let mut map = self.lock();
        if let Some(e) = map.get_mut(key) {
            e.pending = e.pending.saturating_sub(1);
            if clear {
                e.failures.clear();
            }
            if let Some(at) = failed_at {
                e.failures.push_back(at);
            }
            if e.failures.is_empty() && e.pending == 0 {
                map.remove(key);
            }
        }
    }

    /// Failures counted now on `key` (attempts in flight are not failures).
    pub fn failures(&self, key: &K, now: Instant) -> usize {
        let mut map = self.lock();
        map.get_mut(key).map_or(0, |e| {
            expire(&mut e.failures, self.limit.window, now);
            e.failures.len()
        })
    }
}

impl<K: Eq + Hash + Clone> Attempt<'_, K> {
    /// The factor did not match: one failure, at `now`.
    pub fn failed(mut self, now: Instant) {
        self.open = false;
        self.throttle.end(&self.key, Some(now), false);
    }

    /// The factor matched, or the check could not be made: nothing is counted.
    pub fn passed(mut self) {
        self.open = false;
        self.throttle.end(&self.key, None, false);
    }

    /// The factor matched: the key's earlier failures are forgiven too.
    pub fn passed_and_cleared(mut self) {
        self.open = false;
        self.throttle.end(&self.key, None, true);
    }
}

impl<K: Eq + Hash + Clone> Drop for Attempt<'_, K> {
    fn drop(&mut self) {
        if self.open {
            self.throttle.end(&self.key, None, false);
        }
    }
}

fn expire(times: &mut VecDeque<Instant>, window: Duration, now: Instant) {
    while times.front().is_some_and(|t| now.saturating_duration_since(*t) >= window) {
        times.pop_front();
    }
}

/// The key a client is throttled under: its IPv4 address, or the /64 of its IPv6 address (one
/// subscriber usually holds a whole /64). IPv4-mapped IPv6 counts as IPv4.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_max_failures_until_the_oldest_expires() {
        let t = Throttle::new(Limit { max: 3, window: Duration::from_secs(60) });
        let t0 = Instant::now();
        let at = |s| t0 + Duration::from_secs(s);
        for i in 0..3 {
            t.begin(&"a", at(i)).unwrap().failed(at(i));
        }
        assert_eq!(t.begin(&"a", at(10)).err(), Some(Duration::from_secs(50)));
        // Refused attempts are not counted: the wait does not grow.
        assert_eq!(t.begin(&"a", at(20)).err(), Some(Duration::from_secs(40)));
        assert!(t.begin(&"b", at(10)).is_ok());
        // The oldest failure leaves the window at 60 s.
        t.begin(&"a", at(60)).unwrap().failed(at(60));
        // Now 1, 2 and 60 are in the window: free again when 1 leaves it.
        assert_eq!(t.begin(&"a", at(60)).err(), Some(Duration::from_secs(1)));
        t.begin(&"a", at(61)).unwrap().passed_and_cleared();
        assert_eq!(t.failures(&"a", at(62)), 0);
    }

    #[test]
    fn an_attempt_in_flight_is_not_a_failure() {
        let t = Throttle::new(Limit { max: 2, window: Duration::from_secs(60) });
        let t0 = Instant::now();
        let first = t.begin(&1, t0).unwrap();
        // Verifying, not failed: nothing recorded, and it ends without a trace.
        assert_eq!(t.failures(&1, t0), 0);
        first.passed();
        let second = t.begin(&1, t0).unwrap();
        let third = t.begin(&1, t0).unwrap();
        // Two in flight fill the limit (a burst of guesses cannot outrun the count)...
        assert_eq!(t.begin(&1, t0).err(), Some(Duration::from_secs(1)));
        // ...and free it when they end; a dropped one (its client went away) counts nothing.
        drop(second);
        third.failed(t0 + Duration::from_secs(5));
        assert_eq!(t.failures(&1, t0 + Duration::from_secs(5)), 1);
        assert!(t.begin(&1, t0 + Duration::from_secs(5)).is_ok());
        // The failure is dated when it was found, so it leaves the window 60 s after that.
        assert_eq!(t.failures(&1, t0 + Duration::from_secs(64)), 1);
        assert_eq!(t.failures(&1, t0 + Duration::from_secs(65)), 0);
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(client_key(mapped), "10.0.0.1".parse::<IpAddr>().unwrap());
    }
}
