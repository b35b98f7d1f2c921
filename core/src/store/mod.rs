//! The local SQLite database: one file under the app's data directory, WAL mode, one writer
//! connection and one reader connection so a search never queues behind a sync's write.
//!
//! Corruption policy: SQLite's word that the file is damaged (`SQLITE_CORRUPT`, `SQLITE_NOTADB`),
//! at open or from any query on either connection, makes the store rebuild itself: what can be
//! read is copied into a fresh file ([`salvage`]: unsent complaints and their photos first, then
//! the rest of the outbox, saved bill accounts and the other small tables; the guide is left to
//! come back whole from the next sync), the damaged file is renamed aside
//! (`baladiya.db.corrupt-<unix time>`, never deleted, so support can still look at it), and the
//! fresh file takes its place behind the same two connections' locks, so callers holding the
//! `Store` simply see the new file on their next call. The call that met the damage gets
//! [`Error::StoreCorrupt`]; each rebuild is a [`StoreRecovery`], kept for
//! [`Store::recoveries`] and handed to the listener set with [`Store::on_recovery`].

pub mod migrations;
mod salvage;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags, Transaction};

use crate::error::{Error, Result};

pub const FILE_NAME: &str = "baladiya.db";

/// A damaged store file that was set aside, and what was carried out of it into the fresh one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct StoreRecovery {
    /// Where the damaged file now is (`…/baladiya.db.corrupt-<unix time>`); it is never deleted.
    pub set_aside: String,
    /// What SQLite said about it.
    pub reason: String,
    /// Found when the store was opened (rather than by a query while it was in use).
    pub at_open: bool,
    /// Complaints carried into the fresh store (sent ones included), and how many of them had not
    /// reached the server yet: the next flush sends those, under their original idempotency keys.
    pub complaints_recovered: u32,
    pub unsent_complaints_recovered: u32,
    /// Photos carried with those complaints.
    pub photos_recovered: u32,
    pub bill_accounts_recovered: u32,
    /// Every complaint (with its photos and history) and every saved bill account could be read;
    /// `false` means some were lost with the damaged pages (the file set aside still has them).
    pub complete: bool,
}

/// Told of each rebuild, after it, on the thread whose call met the damage.
pub type RecoveryListener = Arc<dyn Fn(&StoreRecovery) + Send + Sync>;

/// What the store must do with the features' data without importing them (the features depend on
/// the store, never the reverse): the facade gives these at open.
#[derive(Clone, Copy)]
pub struct FeatureHooks {
    /// Fill the guide's search index from the stored guide (migration 2, on an older store).
    pub rebuild_search_index: fn(&Transaction<'_>) -> Result<()>,
    /// Whether a stored complaint draft reads back: a salvage keeps only those, since one that
    /// does not would break every list of complaints.
    pub draft_is_readable: fn(&str) -> bool,
}

/// The version a store is migrated to, and the hooks its migrations and salvage call.
#[derive(Clone, Copy)]
struct Schema {
    version: u32,
    hooks: FeatureHooks,
}

pub struct Store {
    // Field order is drop order: the read-only connection must close first, so the writer closes
    // last and checkpoints the WAL away. Otherwise the next start re-reads the whole WAL.
    reader: Mutex<Connection>,
    writer: Mutex<Connection>,
    path: PathBuf,
    /// The schema version this store is migrated to (a rebuilt file gets the same), and the
    /// features' hooks.
    schema: Schema,
    /// Bumped, under both connections' locks, each time the file is replaced: a call that met
    /// damage rebuilds only if no other call has rebuilt since it started.
    generation: AtomicU64,
    recoveries: Mutex<Vec<StoreRecovery>>,
    listener: Mutex<Option<RecoveryListener>>,
}

impl Store {
    /// Open (creating if needed) the store in `data_dir` and migrate it to the latest schema.
    pub fn open(data_dir: &Path, hooks: FeatureHooks) -> Result<Self> {
        Self::open_at_version(data_dir, migrations::LATEST, hooks)
    }

    /// Open and migrate only up to `version`: for tests that build an older database.
    pub fn open_at_version(data_dir: &Path, version: u32, hooks: FeatureHooks) -> Result<Self> {
        let schema = Schema { version, hooks };
        std::fs::create_dir_all(data_dir)?;
        let path = data_dir.join(FILE_NAME);
        finish_interrupted_rebuild(&path)?;
        match Self::open_file(&path, schema) {
            Ok(store) => Ok(store),
            Err(OpenError::Corrupt(reason)) => {
                // The app must open: if nothing could be carried over (a full disk), the damaged
                // file is still set aside, with everything in it, and the report says so.
                let (rebuilt, carried) = match rebuild(&path, schema) {
                    Ok((rebuilt, carried)) => (Some(rebuilt), carried),
                    Err(e) => {
                        tracing::error!(error = %e, "the damaged store could not be rebuilt");
                        (None, salvage::Carried::default())
                    }
                };
                let aside = set_aside(&path)?;
                if let Some(rebuilt) = rebuilt {
                    std::fs::rename(&rebuilt, &path)?;
                }
                let store = Self::open_file(&path, schema).map_err(OpenError::into_error)?;
                let recovery = recovery(&aside, reason, true, carried);
                tracing::warn!(?recovery, "store was damaged at open; set aside and rebuilt");
                lock(&store.recoveries).push(recovery);
                Ok(store)
            }
            Err(e) => Err(e.into_error()),
        }
    }

    fn open_file(path: &Path, schema: Schema) -> Result<Self, OpenError> {
        let (writer, reader) = open_connections(path, schema)?;
        Ok(Store {
            reader: Mutex::new(reader),
            writer: Mutex::new(writer),
            path: path.to_owned(),
            schema,
            generation: AtomicU64::new(0),
            recoveries: Mutex::new(Vec::new()),
            listener: Mutex::new(None),
        })
    }

    /// Where the last damaged file was moved, if one was.
    pub fn recovered_from(&self) -> Option<PathBuf> {
        lock(&self.recoveries).last().map(|r| PathBuf::from(&r.set_aside))
    }

    /// Every time a damaged file was set aside since this store was opened (at open included),
    /// oldest first.
    pub fn recoveries(&self) -> Vec<StoreRecovery> {
        lock(&self.recoveries).clone()
    }

    /// Be told of each rebuild from now on (one listener; a second replaces the first).
    pub fn on_recovery(&self, listener: RecoveryListener) {
        *lock(&self.listener) = Some(listener);
    }

    /// Run `f` in one write transaction, committed only if `f` succeeds.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let (generation, out) = {
            let mut conn = lock(&self.writer);
            let generation = self.generation.load(Ordering::SeqCst);
            let out = (|| {
                let tx = conn.transaction()?;
                let out = f(&tx)?;
                tx.commit()?;
                Ok(out)
            })();
            (generation, out)
        };
        self.after(generation, out)
    }

    /// A read-only connection of the caller's own, for long reads (building the search index)
    /// that must not hold the shared reader.
    pub fn open_reader(&self) -> Result<Connection> {
        connect(&self.path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(OpenError::into_error)
    }

    /// Run `f` on the reader connection (sees the last committed state).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let (generation, out) = {
            let conn = lock(&self.reader);
            (self.generation.load(Ordering::SeqCst), f(&conn))
        };
        self.after(generation, out)
    }

    /// After a call, with no connection's lock held: a call that met damage rebuilds the store,
    /// then returns its error.
    fn after<T>(&self, generation: u64, out: Result<T>) -> Result<T> {
        if let Err(Error::StoreCorrupt(reason)) = &out {
            if let Some(recovery) = self.recover(generation, reason) {
                let listener = lock(&self.listener).clone();
                if let Some(listener) = listener {
                    listener(&recovery);
                }
            }
        }
        out
    }

    /// Rebuild the store from its damaged file while it is in use: both connections' locks are
    /// held throughout, so no call sees a half-replaced store. `None` if another call already
    /// rebuilt it since `generation`, or if the rebuild failed (the next call that meets the
    /// damage tries again).
    fn recover(&self, generation: u64, reason: &str) -> Option<StoreRecovery> {
        let mut writer = lock(&self.writer);
        let mut reader = lock(&self.reader);
        if self.generation.load(Ordering::SeqCst) != generation {
            return None;
        }
        let (rebuilt, carried) = match rebuild(&self.path, self.schema) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "the damaged store could not be rebuilt");
                return None;
            }
        };
        // Close the damaged file (in-memory stand-ins until the fresh one is in place), move it
        // aside and put the fresh file in its place.
        let swapped = Connection::open_in_memory().and_then(|a| Ok((a, Connection::open_in_memory()?)));
        let (stand_in_writer, stand_in_reader) = match swapped {
            Ok(pair) => pair,
            Err(e) => {
                tracing::error!(error = %e, "the damaged store could not be closed");
                salvage::remove_files(&rebuilt);
                return None;
            }
        };
        drop(std::mem::replace(&mut *reader, stand_in_reader));
        drop(std::mem::replace(&mut *writer, stand_in_writer));
        self.generation.fetch_add(1, Ordering::SeqCst);
        let aside = set_aside(&self.path).and_then(|aside| {
            std::fs::rename(&rebuilt, &self.path)?;
            Ok(aside)
        });
        // Never create a file here: with none at the path (set aside, the rebuilt one not moved
        // in), the next start puts the rebuilt one in place; until then calls fail.
        let reopened = match self.path.exists() {
            true => open_connections(&self.path, self.schema).map_err(OpenError::into_error),
            false => Err(Error::Storage("the store file is missing".into())),
        };
        match (aside, reopened) {
            (Ok(aside), Ok((w, r))) => {
                (*writer, *reader) = (w, r);
                let recovery = recovery(&aside, reason.to_owned(), false, carried);
                tracing::warn!(?recovery, "store was damaged; set aside and rebuilt");
                lock(&self.recoveries).push(recovery.clone());
                Some(recovery)
            }
            (aside, reopened) => {
                // Whatever is at the path now: the fresh file, or the damaged one if it could
                // not be moved (then the next call meets the damage and tries again).
                if let Ok((w, r)) = reopened {
                    (*writer, *reader) = (w, r);
                }
                tracing::error!(aside = ?aside.err(), "the rebuilt store could not be put in place");
                None
            }
        }
    }
}

fn recovery(aside: &Path, reason: String, at_open: bool, carried: salvage::Carried) -> StoreRecovery {
    StoreRecovery {
        set_aside: aside.display().to_string(),
        reason,
        at_open,
        complaints_recovered: carried.complaints,
        unsent_complaints_recovered: carried.unsent_complaints,
        photos_recovered: carried.photos,
        bill_accounts_recovered: carried.bill_accounts,
        complete: carried.complete,
    }
}

/// A rebuild cut short (the app killed, the phone switched off): if the damaged file was already
/// set aside, the rebuilt file is complete (it is closed before) and takes its place; otherwise the
/// half-built file and any scratch copy are removed, and the damage will be met again.
fn finish_interrupted_rebuild(path: &Path) -> Result<()> {
    let rebuilt = path.with_file_name(format!("{FILE_NAME}.rebuild"));
    if rebuilt.exists() && !path.exists() {
        tracing::warn!("finishing a store rebuild that was interrupted");
        // A WAL left at the path is the damaged file's: SQLite must not replay it into this one.
        let stamp = chrono::Utc::now().timestamp();
        for suffix in ["-wal", "-shm"] {
            let side = path.with_file_name(format!("{FILE_NAME}{suffix}"));
            if side.exists() {
                std::fs::rename(
                    &side,
                    path.with_file_name(format!("{FILE_NAME}.corrupt-{stamp}-left{suffix}")),
                )?;
            }
        }
        std::fs::rename(&rebuilt, path)?;
    }
    salvage::remove_files(&rebuilt);
    salvage::remove_files(&path.with_file_name(format!("{FILE_NAME}.salvage")));
    Ok(())
}

/// Build a fresh store next to the damaged one at `path`, migrated to `version`, holding what can
/// be read from it; returns the fresh file's path (closed, ready to be renamed into place).
fn rebuild(path: &Path, schema: Schema) -> Result<(PathBuf, salvage::Carried)> {
    let rebuilt = path.with_file_name(format!("{FILE_NAME}.rebuild"));
    let scratch = path.with_file_name(format!("{FILE_NAME}.salvage"));
    salvage::remove_files(&rebuilt);
    let built = (|| {
        let (mut writer, reader) = open_connections(&rebuilt, schema).map_err(OpenError::into_error)?;
        drop(reader);
        let tx = writer.transaction()?;
        let carried = salvage::carry_over(path, &scratch, &tx, schema.hooks.draft_is_readable)?;
        tx.commit()?;
        // One self-contained file to rename into place: the WAL folded in and removed (the
        // connections opened on it at its final path turn WAL mode on again).
        writer.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get::<_, String>(0))?;
        writer.close().map_err(|(_, e)| e)?;
        Ok(carried)
    })();
    match built {
        Ok(carried) => Ok((rebuilt, carried)),
        Err(e) => {
            salvage::remove_files(&rebuilt);
            Err(e)
        }
    }
}

/// A poisoned lock only means another thread panicked mid-call; SQLite's own transaction has rolled
/// back, so the connection is still good to use.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

enum OpenError {
    Corrupt(String),
    Other(Error),
}

impl OpenError {
    fn into_error(self) -> Error {
        match self {
            OpenError::Corrupt(reason) => Error::StoreCorrupt(reason),
            OpenError::Other(e) => e,
        }
    }
}

impl From<rusqlite::Error> for OpenError {
    fn from(e: rusqlite::Error) -> Self {
        OpenError::from(Error::from(e))
    }
}

impl From<Error> for OpenError {
    fn from(e: Error) -> Self {
        match e {
            Error::StoreCorrupt(reason) => OpenError::Corrupt(reason),
            e => OpenError::Other(e),
        }
    }
}

/// The writer (which migrates the file first) and the reader of the file at `path`.
fn open_connections(path: &Path, schema: Schema) -> Result<(Connection, Connection), OpenError> {
    let mut writer = connect(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE)?;
    migrations::migrate_to(&mut writer, schema.version, &schema.hooks)?;
    let reader = connect(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    Ok((writer, reader))
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

/// Rename the damaged file (and its WAL and shared-memory files) to `baladiya.db.corrupt-<unix
/// time>` beside it; a second one in the same second gets `-2`, `-3`, … rather than replacing it.
fn set_aside(path: &Path) -> Result<PathBuf> {
    let stamp = chrono::Utc::now().timestamp();
    let mut name = format!("{FILE_NAME}.corrupt-{stamp}");
    let mut n = 1;
    while path.with_file_name(&name).exists() {
        n += 1;
        name = format!("{FILE_NAME}.corrupt-{stamp}-{n}");
    }
    let aside = path.with_file_name(&name);
    std::fs::rename(path, &aside)?;
    for suffix in ["-wal", "-shm"] {
        let side = path.with_file_name(format!("{FILE_NAME}{suffix}"));
        if side.exists() {
            std::fs::rename(&side, aside.with_file_name(format!("{name}{suffix}")))?;
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
        drop(Store::open_at_version(old.path(), 1, crate::client::STORE_HOOKS).unwrap());
        let upgraded = Store::open(old.path(), crate::client::STORE_HOOKS).unwrap();
        let fresh_dir = tempfile::tempdir().unwrap();
        let fresh = Store::open(fresh_dir.path(), crate::client::STORE_HOOKS).unwrap();
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
        let store = Store::open(dir.path(), crate::client::STORE_HOOKS).unwrap();
        let aside = store.recovered_from().unwrap();
        assert!(aside.exists());
        assert_eq!(std::fs::read(&aside).unwrap(), b"this is not a database at all, just text......");
        // Nothing could be read from it, and the report says so.
        let r = &store.recoveries()[0];
        assert!(r.at_open && !r.complete, "{r:?}");
        assert_eq!(
            (r.complaints_recovered, r.unsent_complaints_recovered, r.bill_accounts_recovered),
            (0, 0, 0)
        );
        // No scratch or half-built file is left behind.
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(!name.contains("salvage") && !name.contains("rebuild"), "{name} left behind");
        }
    }

    #[test]
    fn a_second_file_set_aside_in_the_same_second_does_not_replace_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, b"first").unwrap();
        let first = set_aside(&path).unwrap();
        std::fs::write(&path, b"second").unwrap();
        let second = set_aside(&path).unwrap();
        assert_ne!(first, second);
        assert_eq!(std::fs::read(&first).unwrap(), b"first");
        assert_eq!(std::fs::read(&second).unwrap(), b"second");
    }

    #[test]
    fn a_rebuild_cut_short_after_the_damaged_file_went_aside_is_finished_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let queued = filled(dir.path());
        // As if the app died between moving the damaged file aside and putting the rebuilt one in.
        let path = dir.path().join(FILE_NAME);
        let (rebuilt, carried) =
            rebuild(&path, Schema { version: migrations::LATEST, hooks: crate::client::STORE_HOOKS })
                .unwrap();
        assert_eq!(carried.unsent_complaints, 1);
        set_aside(&path).unwrap();
        let store = Store::open(dir.path(), crate::client::STORE_HOOKS).unwrap();
        assert!(!rebuilt.exists());
        assert_eq!(store.read(|c| crate::complaints::outbox::get(c, &queued)).unwrap().photo_count, 1);
        drop(store);
        // Cut short before: the half-built file is dropped, the store left as it was.
        std::fs::write(&rebuilt, b"half").unwrap();
        let store = Store::open(dir.path(), crate::client::STORE_HOOKS).unwrap();
        assert!(!rebuilt.exists());
        assert!(store.read(|c| crate::complaints::outbox::get(c, &queued)).is_ok());
    }

    fn draft(description: &str) -> crate::complaints::ComplaintDraft {
        crate::complaints::ComplaintDraft {
            service_code: "water-leak".into(),
            description: description.into(),
            attributes: Vec::new(),
            location: None,
            address: Some("شارع عمر المختار".into()),
            contact: None,
        }
    }

    /// A closed store with a services table of many pages, one complaint sent and one queued
    /// with a photo; returns the queued one's tracking number.
    fn filled(dir: &Path) -> String {
        let store = Store::open(dir, crate::client::STORE_HOOKS).unwrap();
        let queued = store
            .write(|tx| {
                for i in 0..300 {
                    tx.execute(
                        "INSERT INTO services (id, category_id, version, doc) VALUES (?1, 'c', 1, ?2)",
                        rusqlite::params![format!("service-{i:03}"), "x".repeat(700)],
                    )?;
                }
                let sent = crate::complaints::outbox::insert(tx, &draft("sent"), &[], 1)?;
                crate::complaints::outbox::mark_sent(tx, &sent, Some("7"), Some("t"), 2)?;
                crate::complaints::outbox::insert(tx, &draft("queued"), &[vec![0xFF, 0xD8, 0xFF, 0xD9]], 3)
            })
            .unwrap();
        drop(store);
        assert!(!dir.join(format!("{FILE_NAME}-wal")).exists());
        queued
    }

    /// Overwrite the header of a leaf page in the middle of `table`'s b-tree.
    fn damage_a_leaf_of(dir: &Path, table: &str) {
        let path = dir.join(FILE_NAME);
        let conn = Connection::open(&path).unwrap();
        let page_size = conn.query_row("PRAGMA page_size", [], |r| r.get::<_, i64>(0)).unwrap() as usize;
        let root: i64 = conn
            .query_row("SELECT rootpage FROM sqlite_master WHERE name = ?1", [table], |r| r.get(0))
            .unwrap();
        drop(conn);
        let mut bytes = std::fs::read(&path).unwrap();
        let mut page = root as usize;
        while bytes[(page - 1) * page_size] == 0x05 {
            let start = (page - 1) * page_size;
            let cells = u16::from_be_bytes([bytes[start + 3], bytes[start + 4]]) as usize;
            let pointer = start + 12 + 2 * (cells / 2);
            let cell = start + u16::from_be_bytes([bytes[pointer], bytes[pointer + 1]]) as usize;
            page = u32::from_be_bytes(bytes[cell..cell + 4].try_into().unwrap()) as usize;
        }
        assert_ne!(page, root as usize, "{table} should span several pages");
        let start = (page - 1) * page_size;
        bytes[start..start + 8].fill(0xFF);
        std::fs::write(&path, &bytes).unwrap();
    }

    fn services(c: &Connection) -> Result<i64> {
        Ok(c.query_row("SELECT count(*) FROM services NOT INDEXED", [], |r| r.get(0))?)
    }

    #[test]
    fn a_write_that_meets_damage_rebuilds_the_store_and_the_next_write_works() {
        let dir = tempfile::tempdir().unwrap();
        let queued = filled(dir.path());
        damage_a_leaf_of(dir.path(), "services");
        let store = Store::open(dir.path(), crate::client::STORE_HOOKS).unwrap();
        assert!(store.recoveries().is_empty());
        let heard = Arc::new(Mutex::new(Vec::new()));
        let h = Arc::clone(&heard);
        store.on_recovery(Arc::new(move |r| lock(&h).push(r.clone())));

        let touch_every_service =
            |tx: &Transaction<'_>| Ok(tx.execute("UPDATE services SET version = 2", [])?);
        assert!(matches!(store.write(touch_every_service), Err(Error::StoreCorrupt(_))));
        assert_eq!(store.write(touch_every_service).unwrap(), 0);
        let r = lock(&heard).clone();
        assert_eq!(r, store.recoveries());
        assert_eq!(r.len(), 1);
        assert!(!r[0].at_open && r[0].complete, "{r:?}");
        assert_eq!(
            (r[0].complaints_recovered, r[0].unsent_complaints_recovered, r[0].photos_recovered),
            (2, 1, 1)
        );
        let c = store.read(|c| crate::complaints::outbox::get(c, &queued)).unwrap();
        assert_eq!((c.draft, c.photo_count), (draft("queued"), 1));
    }

    #[test]
    fn rows_on_both_sides_of_a_damaged_outbox_page_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), crate::client::STORE_HOOKS).unwrap();
        let ids: Vec<String> = store
            .write(|tx| {
                (0..80)
                    .map(|i| {
                        crate::complaints::outbox::insert(
                            tx,
                            &draft(&format!("{i} {}", "ت".repeat(300))),
                            &[],
                            i,
                        )
                    })
                    .collect()
            })
            .unwrap();
        drop(store);
        damage_a_leaf_of(dir.path(), "complaints");

        let store = Store::open(dir.path(), crate::client::STORE_HOOKS).unwrap();
        assert!(matches!(store.read(crate::complaints::outbox::list), Err(Error::StoreCorrupt(_))));
        let r = &store.recoveries()[0];
        assert!(!r.complete, "{r:?}");
        assert_eq!(r.complaints_recovered, r.unsent_complaints_recovered);
        // One page of them is lost, no more.
        assert!((60..80).contains(&r.complaints_recovered), "{r:?}");
        let kept = store.read(crate::complaints::outbox::list).unwrap();
        assert_eq!(kept.len() as u32, r.complaints_recovered);
        for id in [&ids[0], &ids[79]] {
            assert!(kept.iter().any(|c| &c.local_id == id), "{id} lost");
        }
    }

    #[test]
    fn threads_that_meet_the_same_damage_rebuild_the_store_once() {
        let dir = tempfile::tempdir().unwrap();
        let queued = filled(dir.path());
        damage_a_leaf_of(dir.path(), "services");
        let store = Arc::new(Store::open(dir.path(), crate::client::STORE_HOOKS).unwrap());
        let rebuilds = Arc::new(AtomicU64::new(0));
        let r = Arc::clone(&rebuilds);
        // The listener may use the store: it is called with no lock held.
        let weak = Arc::downgrade(&store);
        store.on_recovery(Arc::new(move |_| {
            let store = weak.upgrade().unwrap();
            assert_eq!(store.read(services).unwrap(), 0);
            r.fetch_add(1, Ordering::SeqCst);
        }));
        let start = Arc::new(std::sync::Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let (store, start) = (Arc::clone(&store), Arc::clone(&start));
                std::thread::spawn(move || {
                    start.wait();
                    (0..20)
                        .map(|_| match i % 2 {
                            0 => store.read(services),
                            _ => store
                                .write(|tx| Ok(tx.execute("UPDATE services SET version = 3", [])? as i64)),
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for t in threads {
            let results = t.join().unwrap();
            // Only the damage, never a half-replaced store; and once rebuilt, it works.
            for r in &results {
                assert!(matches!(r, Ok(0) | Err(Error::StoreCorrupt(_))), "{r:?}");
            }
            assert!(results.last().unwrap().is_ok());
        }
        assert_eq!(rebuilds.load(Ordering::SeqCst), 1);
        assert_eq!(store.recoveries().len(), 1);
        assert_eq!(store.read(|c| crate::complaints::outbox::get(c, &queued)).unwrap().photo_count, 1);
    }

    #[test]
    fn refuses_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path(), crate::client::STORE_HOOKS).unwrap());
        let c = Connection::open(dir.path().join(FILE_NAME)).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
        drop(c);
        assert!(matches!(Store::open(dir.path(), crate::client::STORE_HOOKS), Err(Error::Storage(_))));
        // Refused, not taken for damage: nothing was set aside.
        assert_eq!(
            std::fs::read_dir(dir.path())
                .unwrap()
                .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains("corrupt"))
                .count(),
            0
        );
    }
}
