//! Retry timing for the outbox: full-jitter exponential backoff (AWS architecture blog's "full
//! jitter": a uniform delay between zero and the capped exponential), so phones coming back online
//! together do not hammer the server in step. A server's `Retry-After` wins when it asks for longer.

use std::time::Duration;

pub const BASE: Duration = Duration::from_secs(30);
pub const CAP: Duration = Duration::from_secs(60 * 60);

/// The delay before attempt number `attempts + 1`, given `attempts` failures so far (≥ 1).
pub fn delay(attempts: u32, retry_after: Option<Duration>, rng: &mut fastrand::Rng) -> Duration {
    let exp = BASE.saturating_mul(1u32.checked_shl(attempts.saturating_sub(1).min(16)).unwrap_or(u32::MAX));
    let ceiling = exp.min(CAP);
    let jittered = Duration::from_millis(rng.u64(0..=ceiling.as_millis() as u64));
    match retry_after {
        Some(asked) if asked > jittered => asked.min(CAP),
        _ => jittered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_within_the_cap_and_honours_retry_after() {
        let mut rng = fastrand::Rng::with_seed(1);
        for attempts in 1..30 {
            let ceiling = (BASE * 2u32.saturating_pow(attempts - 1)).min(CAP);
            for _ in 0..50 {
                assert!(delay(attempts, None, &mut rng) <= ceiling);
            }
        }
        // Jitter really spreads: not every draw is the same.
        let draws: std::collections::HashSet<_> = (0..20).map(|_| delay(5, None, &mut rng)).collect();
        assert!(draws.len() > 10);
        assert!(delay(1, Some(Duration::from_secs(120)), &mut rng) >= Duration::from_secs(120));
        assert_eq!(delay(1, Some(Duration::from_secs(99_999)), &mut rng), CAP);
    }
}
