//! Bytes the app has moved, per feature, kept in the store so the settings screen can show a
//! citizen what each feature costs them. Counted once, where every exchange passes: the HTTP
//! client ([`crate::api::ApiClient`]) reports each request's bytes to a [`Meter`].
//!
//! The figures are what crossed the wire as far as the client can tell: the response's status
//! line, headers and (compressed) body exactly; the request's line, headers and body as built
//! (the transport may add a few bytes of its own). A failed exchange still counts what was sent.
//!
//! Each exchange is counted twice in one transaction: in the total since installation and in its
//! calendar month (UTC, on the core's [`Clock`]; a month here starts two or three hours before
//! midnight in Gaza, close enough for a data plan).

use std::sync::{Arc, Weak};

use chrono::Datelike;
use rusqlite::{Connection, OptionalExtension};

use crate::clock::Clock;
use crate::error::Result;
use crate::store::Store;

/// A feature whose traffic is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    Guide,
    Complaints,
    Bills,
    News,
}

impl Feature {
    pub const ALL: [Feature; 4] = [Feature::Guide, Feature::Complaints, Feature::Bills, Feature::News];

    pub fn as_str(self) -> &'static str {
        match self {
            Feature::Guide => "guide",
            Feature::Complaints => "complaints",
            Feature::Bills => "bills",
            Feature::News => "news",
        }
    }

    /// The feature of a municipal API path (`/api/v1/guide…`); `None` for anything else.
    pub fn of_path(path: &str) -> Option<Feature> {
        let rest = path.split("/api/v1/").nth(1)?;
        match rest.split(['/', '?']).next()? {
            "guide" => Some(Feature::Guide),
            "bills" => Some(Feature::Bills),
            "news" => Some(Feature::News),
            _ => None,
        }
    }
}

/// One feature's bytes: since the app was installed ([`totals`]), or in one month ([`by_month`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DataUsage {
    pub feature: String,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

/// One calendar month's traffic, every feature in [`Feature::ALL`]'s order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MonthUsage {
    /// `YYYY-MM` (UTC).
    pub month: String,
    pub features: Vec<DataUsage>,
}

pub use crate::api::Meter;

/// Writes to the store; `fixed` is the feature of every exchange of one client (Open311 paths
/// are another server's, so they are not told apart by path).
pub struct StoreMeter {
    store: Weak<Store>,
    fixed: Option<Feature>,
    clock: Arc<dyn Clock>,
}

impl StoreMeter {
    /// A meter over `store`, shared by the HTTP client that reports to it.
    pub fn shared(store: &Arc<Store>, fixed: Option<Feature>, clock: Arc<dyn Clock>) -> Arc<dyn Meter> {
        Arc::new(StoreMeter { store: Arc::downgrade(store), fixed, clock })
    }
}

impl Meter for StoreMeter {
    fn record(&self, path: &str, sent: u64, received: u64) {
        let (Some(feature), Some(store)) =
            (self.fixed.or_else(|| Feature::of_path(path)), self.store.upgrade())
        else {
            return;
        };
        // Counting must never fail the exchange it counts.
        let month = month_of(self.clock.now_ms());
        if let Err(e) = store.write(|tx| add(tx, feature, &month, sent, received)) {
            tracing::warn!(error = %e, "could not count data usage");
        }
    }
}

/// Count one exchange in the total and in `month` (`YYYY-MM`).
pub fn add(conn: &Connection, feature: Feature, month: &str, sent: u64, received: u64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO data_usage (feature, bytes_sent, bytes_received) VALUES (?1, ?2, ?3)
         ON CONFLICT(feature) DO UPDATE SET bytes_sent = bytes_sent + ?2, bytes_received = bytes_received + ?3",
    )?
    .execute(rusqlite::params![feature.as_str(), sent as i64, received as i64])?;
    conn.prepare_cached(
        "INSERT INTO data_usage_month (month, feature, bytes_sent, bytes_received) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(month, feature) DO UPDATE SET bytes_sent = bytes_sent + ?3, bytes_received = bytes_received + ?4",
    )?
    .execute(rusqlite::params![month, feature.as_str(), sent as i64, received as i64])?;
    Ok(())
}

/// The calendar month (UTC) of a time in unix milliseconds, as `YYYY-MM`.
pub fn month_of(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().format("%Y-%m").to_string()
}

/// The last `months` calendar months up to the one of `now_ms`, newest first, each with every
/// feature (zero where nothing was moved, so "this month" always shows).
pub fn by_month(conn: &Connection, now_ms: i64, months: u32) -> Result<Vec<MonthUsage>> {
    let mut stmt = conn.prepare_cached(
        "SELECT bytes_sent, bytes_received FROM data_usage_month WHERE month = ?1 AND feature = ?2",
    )?;
    let mut out = Vec::new();
    let Some(mut day) = chrono::DateTime::from_timestamp_millis(now_ms).map(|t| t.date_naive()) else {
        return Ok(out);
    };
    for _ in 0..months {
        let month = day.format("%Y-%m").to_string();
        let features = Feature::ALL
            .iter()
            .map(|f| {
                let (sent, received) = stmt
                    .query_row(rusqlite::params![month, f.as_str()], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
                    })
                    .optional()?
                    .unwrap_or((0, 0));
                Ok(DataUsage {
                    feature: f.as_str().to_owned(),
                    bytes_sent: sent as u64,
                    bytes_received: received as u64,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.push(MonthUsage { month, features });
        // The last day of the month before.
        match day.with_day(1).and_then(|first| first.pred_opt()) {
            Some(before) => day = before,
            None => break,
        }
    }
    Ok(out)
}

/// Every feature, in [`Feature::ALL`]'s order, zero where nothing was moved yet.
pub fn totals(conn: &Connection) -> Result<Vec<DataUsage>> {
    let mut stmt =
        conn.prepare_cached("SELECT bytes_sent, bytes_received FROM data_usage WHERE feature = ?1")?;
    Feature::ALL
        .iter()
        .map(|f| {
            let (sent, received): (i64, i64) =
                stmt.query_row([f.as_str()], |r| Ok((r.get(0)?, r.get(1)?))).or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok((0, 0)),
                    e => Err(e),
                })?;
            Ok(DataUsage {
                feature: f.as_str().to_owned(),
                bytes_sent: sent as u64,
                bytes_received: received as u64,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_features() {
        assert_eq!(Feature::of_path("/api/v1/guide"), Some(Feature::Guide));
        assert_eq!(Feature::of_path("/city/api/v1/bills/1056/statement"), Some(Feature::Bills));
        assert_eq!(Feature::of_path("/api/v1/news"), Some(Feature::News));
        assert_eq!(Feature::of_path("/api/v1/staff/requests"), None);
        assert_eq!(Feature::of_path("/open311/v2/requests.json"), None);
    }

    #[test]
    fn totals_add_up_per_feature() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path(), crate::client::STORE_HOOKS).unwrap());
        let clock: Arc<dyn Clock> = Arc::new(crate::clock::FakeClock::new(0));
        let meter = StoreMeter::shared(&store, None, Arc::clone(&clock));
        meter.record("/api/v1/guide", 200, 31_000);
        meter.record("/api/v1/guide?since=3", 210, 129);
        meter.record("/api/v1/staff/x", 1, 1);
        StoreMeter::shared(&store, Some(Feature::Complaints), clock).record(
            "/open311/v2/requests.json",
            4_000,
            300,
        );
        let t = store.read(totals).unwrap();
        let get = |f: &str| t.iter().find(|u| u.feature == f).map(|u| (u.bytes_sent, u.bytes_received));
        assert_eq!(get("guide"), Some((410, 31_129)));
        assert_eq!(get("complaints"), Some((4_000, 300)));
        assert_eq!(get("bills"), Some((0, 0)));
        assert_eq!(t.len(), 4);
    }

    #[test]
    fn each_exchange_counts_in_its_calendar_month_and_in_the_total() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path(), crate::client::STORE_HOOKS).unwrap());
        let clock = Arc::new(crate::clock::FakeClock::new(1_798_761_599_000)); // 2026-12-31 23:59:59 UTC
        let meter = StoreMeter::shared(&store, None, clock.clone());
        meter.record("/api/v1/news", 100, 2_000);
        clock.advance(1_000); // 2027-01-01 00:00:00
        meter.record("/api/v1/news", 10, 300);
        meter.record("/api/v1/bills/1056/statement", 50, 700);

        let months = store.read(|c| by_month(c, clock.now_ms(), 3)).unwrap();
        assert_eq!(
            months.iter().map(|m| m.month.as_str()).collect::<Vec<_>>(),
            ["2027-01", "2026-12", "2026-11"]
        );
        let get = |m: &MonthUsage, f: &str| {
            m.features.iter().find(|u| u.feature == f).map(|u| (u.bytes_sent, u.bytes_received)).unwrap()
        };
        assert_eq!((get(&months[0], "news"), get(&months[0], "bills")), ((10, 300), (50, 700)));
        assert_eq!((get(&months[1], "news"), get(&months[1], "bills")), ((100, 2_000), (0, 0)));
        assert!(months[2].features.iter().all(|u| u.bytes_sent == 0 && u.bytes_received == 0));
        assert_eq!(months[0].features.len(), 4, "every feature, zero included");
        let total = store.read(totals).unwrap();
        assert_eq!(total.iter().find(|u| u.feature == "news").map(|u| u.bytes_received), Some(2_300));
        assert_eq!(month_of(1_798_761_599_000), "2026-12");
    }
}
