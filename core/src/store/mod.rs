//! The local SQLite database: one file under the app's data directory, WAL mode, one writer
//! connection and one reader connection so a search never queues behind a sync's write.
//!
//! Corruption policy: a file SQLite says is not a database, or is corrupt, is renamed aside
//! (`baladiya.db.corrupt-<unix time>`, never deleted, so support can still recover an unsent
//! outbox from it) and a fresh store is created; `Store::recovered_from` tells the caller.

pub mod migrations;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags, Transaction};

use crate::error::{Error, Result};

pub const FILE_NAME: &str = "baladiya.db";

pub struct Store {
    // Field order is drop order: the read-only connection must close first, so the writer closes
    // last and checkpoints the WAL away. Otherwise the next start re-reads the whole WAL.
    reader: Mutex<Connection>,
    writer: Mutex<Connection>,
    path: PathBuf,
    recovered_from: Option<PathBuf>,
}

impl Store {
    /// Open (creating if needed) the store in `data_dir` and migrate it to the latest schema.
    pub fn open(data_dir: &Path) -> Result<Self> {
        Self::open_at_version(data_dir, migrations::LATEST)
    }

    /// Open and migrate only up to `version`: for tests that build an older database.
    pub fn open_at_version(data_dir: &Path, version: u32) -> Result<Self> {
        std::fs::create_dir_all(data_dir)?;
        let path = data_dir.join(FILE_NAME);
        match Self::open_file(&path, version) {
            Ok(store) => Ok(store),
            Err(OpenError::Corrupt(reason)) => {
                let aside = set_aside(&path)?;
                tracing::warn!(%reason, aside = %aside.display(), "store was corrupt; set aside and recreated");
                let mut store = Self::open_file(&path, version).map_err(OpenError::into_error)?;
                store.recovered_from = Some(aside);
                Ok(store)
            }
            Err(e) => Err(e.into_error()),
        }
    }

    fn open_file(path: &Path, version: u32) -> Result<Self, OpenError> {
        let mut writer = connect(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE)?;
        migrations::migrate_to(&mut writer, version).map_err(OpenError::Other)?;
        let reader = connect(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        Ok(Store {
            reader: Mutex::new(reader),
            writer: Mutex::new(writer),
            path: path.to_owned(),
            recovered_from: None,
        })
    }

    /// Where a corrupt database was moved at open, if it was.
    pub fn recovered_from(&self) -> Option<&Path> {
        self.recovered_from.as_deref()
    }

    /// Run `f` in one write transaction, committed only if `f` succeeds.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// A read-only connection of the caller's own, for long reads (building the search index)
    /// that must not hold the shared reader.
    pub fn open_reader(&self) -> Result<Connection> {
        connect(&self.path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(OpenError::into_error)
    }

    /// Run `f` on the reader connection (sees the last committed state).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        f(&lock(&self.reader))
    }
}

/// A poisoned lock only means another thread panicked mid-call; SQLite's own transaction has rolled
/// back, so the connection is still good to use.
fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

enum OpenError {
    Corrupt(String),
    Other(Error),
}

impl OpenError {
    fn into_error(self) -> Error {
        match self {
            OpenError::Corrupt(reason) => Error::Storage(reason),
            OpenError::Other(e) => e,
        }
    }
}

impl From<rusqlite::Error> for OpenError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase) | Some(rusqlite::ErrorCode::DatabaseCorrupt) => {
                OpenError::Corrupt(e.to_string())
            }
            _ => OpenError::Other(e.into()),
        }
    }
}

fn connect(path: &Path, flags: OpenFlags) -> Result<Connection, OpenError> {
    let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // FULL: power cuts are frequent where this app is used; a committed complaint must survive one.
    // journal_size_limit: after a big sync the WAL is cut back, so it never stays megabytes large.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
         PRAGMA journal_size_limit = 1048576;",
    )?;
    // Reading the schema forces SQLite to look at the file, so a corrupt one fails here.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))?;
    Ok(conn)
}

fn set_aside(path: &Path) -> Result<PathBuf> {
    let stamp = chrono::Utc::now().timestamp();
    let aside = path.with_file_name(format!("{FILE_NAME}.corrupt-{stamp}"));
    std::fs::rename(path, &aside)?;
    for suffix in ["-wal", "-shm"] {
        let side = path.with_file_name(format!("{FILE_NAME}{suffix}"));
        if side.exists() {
            std::fs::rename(&side, aside.with_file_name(format!("{FILE_NAME}.corrupt-{stamp}{suffix}")))?;
        }
    }
    Ok(aside)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upgraded_schema_equals_fresh_schema() {
        let old = tempfile::tempdir().unwrap();
        drop(Store::open_at_version(old.path(), 1).unwrap());
        let upgraded = Store::open(old.path()).unwrap();
        let fresh_dir = tempfile::tempdir().unwrap();
        let fresh = Store::open(fresh_dir.path()).unwrap();
        let schema = |s: &Store| {
            s.read(|c| {
                let mut st = c.prepare("SELECT type, name, sql FROM sqlite_master ORDER BY name")?;
                let rows = st.query_map([], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?))
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .unwrap()
        };
        assert_eq!(schema(&upgraded), schema(&fresh));
    }

    #[test]
    fn corrupt_file_is_set_aside_not_deleted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), b"this is not a database at all, just text......")
            .unwrap();
        let store = Store::open(dir.path()).unwrap();
        let aside = store.recovered_from().unwrap().to_path_buf();
        assert!(aside.exists());
        assert_eq!(std::fs::read(&aside).unwrap(), b"this is not a database at all, just text......");
    }

    #[test]
    fn refuses_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        let c = Connection::open(dir.path().join(FILE_NAME)).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
        drop(c);
        assert!(matches!(Store::open(dir.path()), Err(Error::Storage(_))));
    }
}
