//! Failed-verification throttling: a sliding window of failure times per key (an account number,
//! or a client address). Once a key has `max` failures inside `window`, every attempt on it is
//! refused until the oldest of them leaves the window; the refusal says how long that is.
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

pub struct Throttle<K> {
    limit: Limit,
    failures: Mutex<HashMap<K, VecDeque<Instant>>>,
}

impl<K: Eq + Hash + Clone> Throttle<K> {
    pub fn new(limit: Limit) -> Self {
        Throttle { limit, failures: Mutex::new(HashMap::new()) }
    }

    /// Count an attempt on `key` as a failure, unless `key` has used up its failures: then
    /// `Err(wait)`, `wait` being at least one second, and nothing is counted. Checking and counting
    /// under one lock means parallel attempts cannot all pass before any is counted.
    pub fn acquire(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let window = self.limit.window;
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > SWEEP_ABOVE && !map.contains_key(key) {
            map.retain(|_, times| {
                expire(times, window, now);
                !times.is_empty()
            });
        }
        let times = map.entry(key.clone()).or_default();
        expire(times, window, now);
        if times.len() >= self.limit.max as usize {
            let oldest = times.front().copied().unwrap_or(now);
            let wait = (oldest + window).saturating_duration_since(now);
            return Err(wait.max(Duration::from_secs(1)));
        }
        times.push_back(now);
        Ok(())
    }

    /// Take back the attempt counted at `at` (it succeeded, or failed for the server's reasons).
    pub fn release(&self, key: &K, at: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(times) = map.get_mut(key) {
            if let Some(i) = times.iter().rposition(|t| *t == at) {
                times.remove(i);
            }
            if times.is_empty() {
                map.remove(key);
            }
        }
    }

    /// Forget `key`'s failures (the account's holder proved the factor).
    pub fn clear(&self, key: &K) {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
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
            assert!(t.acquire(&"a", at(i)).is_ok());
        }
        assert_eq!(t.acquire(&"a", at(10)), Err(Duration::from_secs(50)));
        // Refused attempts are not counted: the wait does not grow.
        assert_eq!(t.acquire(&"a", at(20)), Err(Duration::from_secs(40)));
        assert!(t.acquire(&"b", at(10)).is_ok());
        // The oldest failure leaves the window at 60 s.
        assert!(t.acquire(&"a", at(60)).is_ok());
        // Now 1, 2 and 60 are in the window: free again when 1 leaves it.
        assert_eq!(t.acquire(&"a", at(60)), Err(Duration::from_secs(1)));
        t.clear(&"a");
        assert!(t.acquire(&"a", at(62)).is_ok());
    }

    #[test]
    fn a_released_attempt_is_not_counted() {
        let t = Throttle::new(Limit { max: 2, window: Duration::from_secs(60) });
        let t0 = Instant::now();
        for i in 0..10 {
            let now = t0 + Duration::from_secs(i);
            assert!(t.acquire(&1, now).is_ok());
            t.release(&1, now);
        }
        assert!(t.acquire(&1, t0).is_ok());
        assert!(t.acquire(&1, t0).is_ok());
        assert!(t.acquire(&1, t0).is_err());
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
