//! Schema migrations keyed on `PRAGMA user_version`, one numbered SQL file each, applied in one
//! transaction per step so a power cut mid-upgrade leaves the previous version intact.

use rusqlite::Connection;

use super::FeatureHooks;
use crate::error::{Error, Result};

/// Work SQL alone cannot do (folding text in Rust), done by a feature through the store's hooks.
#[derive(Clone, Copy)]
enum Backfill {
    SearchIndex,
}

struct Migration {
    version: u32,
    sql: &'static str,
    /// Work SQL alone cannot do (folding text in Rust), run in the same transaction.
    backfill: Option<Backfill>,
}

const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, sql: include_str!("../../migrations/001_guide.sql"), backfill: None },
    Migration {
        version: 2,
        sql: include_str!("../../migrations/002_guide_search.sql"),
        backfill: Some(Backfill::SearchIndex),
    },
    Migration { version: 3, sql: include_str!("../../migrations/003_complaints.sql"), backfill: None },
    Migration { version: 4, sql: include_str!("../../migrations/004_bills_news.sql"), backfill: None },
    Migration { version: 5, sql: include_str!("../../migrations/005_data_usage.sql"), backfill: None },
    Migration { version: 6, sql: include_str!("../../migrations/006_photo_uploads.sql"), backfill: None },
    Migration { version: 7, sql: include_str!("../../migrations/007_data_usage_month.sql"), backfill: None },
    Migration {
        version: 8,
        sql: include_str!("../../migrations/008_complaint_expected.sql"),
        backfill: None,
    },
    Migration { version: 9, sql: include_str!("../../migrations/009_feedback_reopen.sql"), backfill: None },
    Migration { version: 10, sql: include_str!("../../migrations/010_followed.sql"), backfill: None },
];

/// The schema version this build writes.
pub const LATEST: u32 = 10;

/// Bring the database up to `target` (normally [`LATEST`]). Refuses a database from a newer app,
/// which would otherwise be silently damaged.
pub fn migrate_to(conn: &mut Connection, target: u32, hooks: &FeatureHooks) -> Result<()> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > LATEST {
        return Err(Error::Storage(format!(
            "database schema {current} is newer than this app understands ({LATEST})"
        )));
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > current && m.version <= target) {
        let tx = conn.transaction()?;
        tx.execute_batch(m.sql)?;
        match m.backfill {
            Some(Backfill::SearchIndex) => (hooks.rebuild_search_index)(&tx)?,
            None => {}
        }
        tx.pragma_update(None, "user_version", m.version)?;
        tx.commit()?;
        tracing::info!(version = m.version, "migrated store");
    }
    Ok(())
}
