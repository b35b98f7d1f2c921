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
//! Kept in the database (migration 009: `bill_throttle_keys`, `bill_throttle_events`), dated in
//! Unix milliseconds: a restart forgets nothing, and every server process on one database counts
//! the same failures. An attempt's transaction first writes its key's row in
//! `bill_throttle_keys`, so two processes checking one key take turns (SQLite: an immediate
//! transaction; PostgreSQL: the row's lock) and a burst spread over processes is counted as one.
//! An attempt whose process dies mid-verification stops holding its place after [`ATTEMPT_TTL`].

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::sql::{params, Conn};

use crate::db::Db;
use crate::error::ApiError;

/// At most `max` failures within `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

/// One count: its name in the database and its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub name: &'static str,
    pub limit: Limit,
}

/// An attempt older than this no longer holds a place (its process died while verifying).
pub const ATTEMPT_TTL: Duration = Duration::from_secs(60);

/// Milliseconds since the Unix epoch: the throttle's clock, shared by processes (an `Instant` is
/// not).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// The factor did not match: one failure in each count.
    Failed,
    /// The factor matched, or the check could not be made: nothing is counted, and the failures
    /// of the scopes named here are forgiven.
    Passed { clear: &'a [&'static str] },
}

/// Places held in each count while one verification runs. Dropped without
/// [`Attempt::finish`], it frees them (on the runtime, when there is one) and counts nothing.
pub struct Attempt {
    db: Db,
    held: Vec<Held>,
}

#[derive(Debug, Clone)]
struct Held {
    scope: &'static str,
    key: String,
    id: i64,
}

/// Start an attempt on every `(scope, key)`, unless one of them is full already (its failures
/// and the attempts in flight fill its limit): then `Err(wait)` for the first full one, `wait`
/// being at least one second, and nothing is counted anywhere.
pub fn begin(
    db: &Db,
    conn: &Conn,
    counts: &[(Scope, String)],
    now: i64,
) -> Result<Result<Attempt, Duration>, ApiError> {
    let tx = conn.transaction()?;
    let mut held = Vec::with_capacity(counts.len());
    for (scope, key) in counts {
        let window = ms(scope.limit.window);
        // The key's row first: in PostgreSQL this locks the key until commit.
        tx.execute(
            "INSERT INTO bill_throttle_keys (scope, throttle_key, touched_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (scope, throttle_key) DO UPDATE SET touched_at = excluded.touched_at",
            params![scope.name, key, now],
        )?;
        tx.execute(
            "DELETE FROM bill_throttle_events WHERE scope = ?1 AND throttle_key = ?2
               AND ((kind = 'failure' AND at_ms <= ?3) OR (kind = 'attempt' AND at_ms <= ?4))",
            params![scope.name, key, now.saturating_sub(window), now.saturating_sub(ms(ATTEMPT_TTL))],
        )?;
        let (count, oldest): (i64, Option<i64>) = tx.query_row(
            "SELECT COUNT(*), MIN(CASE WHEN kind = 'failure' THEN at_ms END)
               FROM bill_throttle_events WHERE scope = ?1 AND throttle_key = ?2",
            params![scope.name, key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if count >= i64::from(scope.limit.max) {
            // Free again when the oldest failure leaves the window (or, if attempts in flight
            // fill the limit, as soon as they end). The transaction rolls back: nothing counted.
            let wait = oldest.map_or(0, |oldest| oldest.saturating_add(window).saturating_sub(now));
            return Ok(Err(
                Duration::from_millis(u64::try_from(wait).unwrap_or(0)).max(Duration::from_secs(1))
            ));
        }
        let id: i64 = tx.query_row(
            "INSERT INTO bill_throttle_events (scope, throttle_key, kind, at_ms) VALUES (?1, ?2, 'attempt', ?3)
             RETURNING id",
            params![scope.name, key, now],
            |r| r.get(0),
        )?;
        held.push(Held { scope: scope.name, key: key.clone(), id });
    }
    tx.commit()?;
    Ok(Ok(Attempt { db: db.clone(), held }))
}

impl Attempt {
    /// End the attempt, at `now`, in one transaction.
    pub fn finish(mut self, conn: &Conn, outcome: Outcome<'_>, now: i64) -> Result<(), ApiError> {
        let held = std::mem::take(&mut self.held);
        let tx = conn.transaction()?;
        for h in &held {
            tx.execute("DELETE FROM bill_throttle_events WHERE id = ?1", [h.id])?;
            match outcome {
                // A new row rather than the attempt's, which a slow verification may have seen
                // expire.
                Outcome::Failed => {
                    tx.execute(
                        "INSERT INTO bill_throttle_events (scope, throttle_key, kind, at_ms)
                         VALUES (?1, ?2, 'failure', ?3)",
                        params![h.scope, h.key, now],
                    )?;
                }
                Outcome::Passed { clear } if clear.contains(&h.scope) => {
                    tx.execute(
                        "DELETE FROM bill_throttle_events WHERE scope = ?1 AND throttle_key = ?2 AND kind = 'failure'",
                        params![h.scope, h.key],
                    )?;
                }
                Outcome::Passed { .. } => {}
            }
        }
        tx.commit()?;
        Ok(())
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if self.held.is_empty() {
            return;
        }
        let ids: Vec<i64> = self.held.iter().map(|h| h.id).collect();
        // Without a runtime the places are freed by their time to live instead.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let db = self.db.clone();
            rt.spawn(async move {
                let freed = db
                    .call(move |c| {
                        for id in ids {
                            c.execute("DELETE FROM bill_throttle_events WHERE id = ?1", [id])?;
                        }
                        Ok(())
                    })
                    .await;
                if let Err(e) = freed {
                    tracing::warn!(error = %e, "could not free a bill verification's places");
                }
            });
        }
    }
}

/// Failures counted now on `key` (attempts in flight are not failures).
pub fn failures(conn: &Conn, scope: Scope, key: &str, now: i64) -> Result<usize, ApiError> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM bill_throttle_events
          WHERE scope = ?1 AND throttle_key = ?2 AND kind = 'failure' AND at_ms > ?3",
        params![scope.name, key, now.saturating_sub(ms(scope.limit.window))],
        |r| r.get(0),
    )?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// When a process last swept expired rows out: hourly, by whichever request comes.
#[derive(Debug, Default)]
pub struct PurgeClock(std::sync::atomic::AtomicI64);

impl PurgeClock {
    const EVERY_MS: i64 = 3_600_000;

    /// True at most once an hour (per process).
    pub fn due(&self, now: i64) -> bool {
        use std::sync::atomic::Ordering;
        let last = self.0.load(Ordering::Relaxed);
        now.saturating_sub(last) >= Self::EVERY_MS
            && self.0.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    }
}

/// Forget what has left every window: failures and attempts, and keys untouched since.
pub fn purge(conn: &Conn, scopes: &[Scope], now: i64) -> Result<usize, ApiError> {
    let mut gone = 0;
    for scope in scopes {
        let before = now.saturating_sub(ms(scope.limit.window.max(ATTEMPT_TTL)));
        gone += conn.execute(
            "DELETE FROM bill_throttle_events WHERE scope = ?1 AND at_ms <= ?2",
            params![scope.name, before],
        )?;
        conn.execute(
            "DELETE FROM bill_throttle_keys WHERE scope = ?1 AND touched_at <= ?2",
            params![scope.name, before],
        )?;
    }
    Ok(gone)
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

    const S: i64 = 1000;

    fn scope(max: u32) -> Scope {
        Scope { name: "test", limit: Limit { max, window: Duration::from_secs(60) } }
    }

    fn one(s: Scope, key: &str) -> Vec<(Scope, String)> {
        vec![(s, key.to_owned())]
    }

    #[test]
    fn refuses_after_max_failures_until_the_oldest_expires() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let t = scope(3);
        let t0 = 1_000_000 * S;
        let at = |s: i64| t0 + s * S;
        db.with(|c| {
            let fail = |c: &Conn, k: &str, when: i64| {
                begin(&db, c, &one(t, k), when).unwrap().unwrap().finish(c, Outcome::Failed, when).unwrap()
            };
            for i in 0..3 {
                fail(c, "a", at(i));
            }
            assert_eq!(begin(&db, c, &one(t, "a"), at(10)).unwrap().err(), Some(Duration::from_secs(50)));
            // Refused attempts are not counted: the wait does not grow.
            assert_eq!(begin(&db, c, &one(t, "a"), at(20)).unwrap().err(), Some(Duration::from_secs(40)));
            begin(&db, c, &one(t, "b"), at(10))
                .unwrap()
                .unwrap()
                .finish(c, Outcome::Passed { clear: &[] }, at(10))
                .unwrap();
            // The oldest failure leaves the window at 60 s.
            fail(c, "a", at(60));
            // Now 1, 2 and 60 are in the window: free again when 1 leaves it.
            assert_eq!(begin(&db, c, &one(t, "a"), at(60)).unwrap().err(), Some(Duration::from_secs(1)));
            begin(&db, c, &one(t, "a"), at(61))
                .unwrap()
                .unwrap()
                .finish(c, Outcome::Passed { clear: &["test"] }, at(61))
                .unwrap();
            assert_eq!(failures(c, t, "a", at(62)).unwrap(), 0);
        });
    }

    #[test]
    fn an_attempt_in_flight_is_not_a_failure() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let t = scope(2);
        let t0 = 1_000_000 * S;
        db.with(|c| {
            let first = begin(&db, c, &one(t, "1"), t0).unwrap().unwrap();
            // Verifying, not failed: nothing recorded, and it ends without a trace.
            assert_eq!(failures(c, t, "1", t0).unwrap(), 0);
            first.finish(c, Outcome::Passed { clear: &[] }, t0).unwrap();
            let second = begin(&db, c, &one(t, "1"), t0).unwrap().unwrap();
            let third = begin(&db, c, &one(t, "1"), t0).unwrap().unwrap();
            // Two in flight fill the limit (a burst of guesses cannot outrun the count)...
            assert_eq!(begin(&db, c, &one(t, "1"), t0).unwrap().err(), Some(Duration::from_secs(1)));
            // ...and free it when they end.
            second.finish(c, Outcome::Passed { clear: &[] }, t0).unwrap();
            third.finish(c, Outcome::Failed, t0 + 5 * S).unwrap();
            assert_eq!(failures(c, t, "1", t0 + 5 * S).unwrap(), 1);
            begin(&db, c, &one(t, "1"), t0 + 5 * S)
                .unwrap()
                .unwrap()
                .finish(c, Outcome::Passed { clear: &[] }, t0 + 5 * S)
                .unwrap();
            // The failure is dated when it was found, so it leaves the window 60 s after that.
            assert_eq!(failures(c, t, "1", t0 + 64 * S).unwrap(), 1);
            assert_eq!(failures(c, t, "1", t0 + 65 * S).unwrap(), 0);
            // An attempt whose process died holds its place for ATTEMPT_TTL only.
            std::mem::forget(begin(&db, c, &one(t, "2"), t0).unwrap().unwrap());
            std::mem::forget(begin(&db, c, &one(t, "2"), t0).unwrap().unwrap());
            assert!(begin(&db, c, &one(t, "2"), t0 + 59 * S).unwrap().is_err());
            assert!(begin(&db, c, &one(t, "2"), t0 + 60 * S).unwrap().is_ok());
        });
    }

    #[test]
    fn a_refusal_in_one_count_counts_nothing_in_the_others_and_purge_forgets_old_rows() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let (wide, narrow) = (Scope { name: "wide", ..scope(10) }, Scope { name: "narrow", ..scope(1) });
        let t0 = 1_000_000 * S;
        db.with(|c| {
            let both = vec![(wide, "k".to_owned()), (narrow, "k".to_owned())];
            begin(&db, c, &both, t0).unwrap().unwrap().finish(c, Outcome::Failed, t0).unwrap();
            assert!(begin(&db, c, &both, t0).unwrap().is_err());
            assert_eq!(failures(c, wide, "k", t0).unwrap(), 1);
            let rows = |c: &Conn| -> i64 {
                c.query_row("SELECT COUNT(*) FROM bill_throttle_events", (), |r| r.get(0)).unwrap()
            };
            assert_eq!(rows(c), 2);
            assert_eq!(purge(c, &[wide, narrow], t0 + 59 * S).unwrap(), 0);
            assert_eq!(purge(c, &[wide, narrow], t0 + 60 * S).unwrap(), 2);
            assert_eq!(rows(c), 0);
        });
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
