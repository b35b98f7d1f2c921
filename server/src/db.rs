//! The server's embedded SQLite database: migrations, and a handle that runs blocking SQL off the
//! async workers.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use crate::error::ApiError;

/// Every migration, in order: the `PRAGMA user_version` it brings the database to, and its SQL.
/// Adding a migration is one line here; [`LATEST`] follows.
const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("../migrations/001_catalogue.sql")),
    (2, include_str!("../migrations/002_open311.sql")),
    (3, include_str!("../migrations/003_bills_news.sql")),
    (4, include_str!("../migrations/004_uploads.sql")),
    (5, include_str!("../migrations/005_staff_console.sql")),
    (6, include_str!("../migrations/006_staff_tokens.sql")),
    (7, include_str!("../migrations/007_channel_intake.sql")),
    (8, include_str!("../migrations/008_channel_outbound.sql")),
    (9, include_str!("../migrations/009_shared_state.sql")),
];

/// The schema version this server writes: the last migration's.
pub const LATEST: u32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

// The versions run 1, 2, 3… with no gap or repeat (checked when the server is built).
const _: () = {
    let mut i = 0;
    while i < MIGRATIONS.len() {
        assert!(MIGRATIONS[i].0 == i as u32 + 1, "migration versions must run 1, 2, 3… in order");
        i += 1;
    }
};

#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
}

impl Db {
    pub fn open(data_dir: &Path) -> Result<Self, rusqlite::Error> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
                Some(e.to_string()),
            )
        })?;
        let mut conn = Connection::open(data_dir.join("server.db"))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // FULL: a request the server acknowledged survives a power cut (the phone drops a
        // complaint from its outbox on the server's 2xx); NORMAL in WAL mode may lose the last
        // commits.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )?;
        migrate(&mut conn)?;
        Ok(Db { conn: Arc::new(Mutex::new(conn)) })
    }

    /// Run `f` with the connection on the blocking pool.
    pub async fn call<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, ApiError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("database task failed: {e}")))?
    }

    /// Run `f` on the calling thread (start-up work such as seeding).
    pub fn with<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }
}

/// The schema version of the database `conn` is on.
pub fn schema_version(conn: &Connection) -> Result<u32, rusqlite::Error> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Bring the database up to [`LATEST`], one transaction per migration. A database written by a
/// newer server is refused rather than used with a schema this one does not know. Each step reads
/// the version inside its own write transaction, so two processes starting on one file at once
/// apply every migration once.
fn migrate(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    loop {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current = schema_version(&tx)?;
        if current > LATEST {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
                Some(format!(
                    "the database's schema is version {current}, newer than this server's {LATEST}: \
                     it was written by a newer baladiya-server; run that one, or restore a backup"
                )),
            ));
        }
        let Some(&(version, sql)) = MIGRATIONS.iter().find(|(v, _)| *v > current) else {
            return Ok(());
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_database_is_at_the_latest_version_and_a_newer_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let version: u32 = db.with(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0))).unwrap();
        assert_eq!(version, LATEST);
        // Opening again applies nothing.
        drop(db);
        Db::open(dir.path()).unwrap();

        let newer = Connection::open(dir.path().join("server.db")).unwrap();
        newer.pragma_update(None, "user_version", LATEST + 1).unwrap();
        drop(newer);
        let err = Db::open(dir.path()).err().expect("a newer database is refused").to_string();
        assert!(err.contains(&format!("version {}, newer than this server's {LATEST}", LATEST + 1)), "{err}");
    }
}
