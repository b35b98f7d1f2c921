//! Bytes the app has moved, per feature, kept in the store so the settings screen can show a
//! citizen what each feature costs them. Counted once, where every exchange passes: the HTTP
//! client ([`crate::api::ApiClient`]) reports each request's bytes to a [`Meter`].
//!
//! The figures are what crossed the wire as far as the client can tell: the response's status
//! line, headers and (compressed) body exactly; the request's line, headers and body as built
//! (the transport may add a few bytes of its own). A failed exchange still counts what was sent.

use std::sync::{Arc, Weak};

use rusqlite::Connection;

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

/// One feature's total since the app was installed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DataUsage {
    pub feature: String,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

pub use crate::api::Meter;

/// Writes to the store; `fixed` is the feature of every exchange of one client (Open311 paths
/// are another server's, so they are not told apart by path).
pub struct StoreMeter {
    store: Weak<Store>,
    fixed: Option<Feature>,
}

impl StoreMeter {
    /// A meter over `store`, shared by the HTTP client that reports to it.
    pub fn shared(store: &Arc<Store>, fixed: Option<Feature>) -> Arc<dyn Meter> {
        Arc::new(StoreMeter { store: Arc::downgrade(store), fixed })
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
        if let Err(e) = store.write(|tx| add(tx, feature, sent, received)) {
            tracing::warn!(error = %e, "could not count data usage");
        }
    }
}

pub fn add(conn: &Connection, feature: Feature, sent: u64, received: u64) -> Result<()> {
    conn.execute(
        "INSERT INTO data_usage (feature, bytes_sent, bytes_received) VALUES (?1, ?2, ?3)
         ON CONFLICT(feature) DO UPDATE SET bytes_sent = bytes_sent + ?2, bytes_received = bytes_received + ?3",
        rusqlite::params![feature.as_str(), sent as i64, received as i64],
    )?;
    Ok(())
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
        let meter = StoreMeter::shared(&store, None);
        meter.record("/api/v1/guide", 200, 31_000);
        meter.record("/api/v1/guide?since=3", 210, 129);
        meter.record("/api/v1/staff/x", 1, 1);
        StoreMeter::shared(&store, Some(Feature::Complaints)).record("/open311/v2/requests.json", 4_000, 300);
        let t = store.read(totals).unwrap();
        let get = |f: &str| t.iter().find(|u| u.feature == f).map(|u| (u.bytes_sent, u.bytes_received));
        assert_eq!(get("guide"), Some((410, 31_129)));
        assert_eq!(get("complaints"), Some((4_000, 300)));
        assert_eq!(get("bills"), Some((0, 0)));
        assert_eq!(t.len(), 4);
    }
}
