//! Reading what can still be read from a damaged store file, into a fresh one.
//!
//! The damaged file itself is never opened: its bytes (and its WAL, if one was left) are copied to
//! a scratch file first, so the copy set aside for support stays exactly as it was found. A copy
//! whose 100-byte header is damaged (SQLite says "not a database") gets a rebuilt header, trying
//! the page sizes the file can have, before anything is read from it.
//!
//! What is carried over, most precious first: the complaints (those not yet sent before the others,
//! each with its idempotency key, so a complaint sent before the damage is not filed twice), their
//! photos and history; then saved bill accounts, the cached complaint categories and the complaints
//! client's own notes, data-usage totals and news (without its ETag). Every table is read forwards
//! and then backwards, so the rows on both sides of a damaged page are kept. The guide is not
//! carried: it comes back whole from the next sync. A row that cannot be read is lost, and the
//! outcome says so (`complete: false`); nothing is ever guessed.

use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, Transaction};

use crate::error::{is_corruption, Result};

/// What was carried into the fresh store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Carried {
    pub complaints: u32,
    pub unsent_complaints: u32,
    pub photos: u32,
    pub bill_accounts: u32,
    /// Every complaint (with its photos and history) and every saved account was read.
    pub complete: bool,
}

/// States of a complaint that has not reached the server.
const UNSENT: &str = "state IN ('queued', 'needs_attention')";

/// Smaller tables carried whole, with the key they are read backwards by.
const SMALL_TABLES: &[(&str, &str)] = &[
    ("bill_accounts", "account"),
    ("complaint_categories", "code"),
    ("complaint_meta", "key"),
    ("data_usage", "feature"),
    ("news_items", "id"),
];

/// Copy what `damaged` (a store file, with its `-wal` if there is one) still holds into `tx`, a
/// transaction on a freshly migrated store. `scratch` is where the working copy is made (it is
/// removed afterwards).
pub(super) fn carry_over(
    damaged: &Path,
    scratch: &Path,
    tx: &Transaction<'_>,
    draft_is_readable: fn(&str) -> bool,
) -> Result<Carried> {
    remove_files(scratch);
    let outcome = match open_copy(damaged, scratch) {
        Ok(Some(old)) => copy_rows(&old, tx, draft_is_readable),
        Ok(None) => {
            tracing::warn!("nothing could be read from the damaged store");
            Ok(Carried::default())
        }
        Err(e) => Err(e),
    };
    remove_files(scratch);
    outcome
}

/// The main file and its `-wal` / `-shm` companions.
fn companions(path: &Path) -> [PathBuf; 3] {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    [path.to_owned(), path.with_file_name(format!("{name}-wal")), path.with_file_name(format!("{name}-shm"))]
}

pub(super) fn remove_files(path: &Path) {
    for p in companions(path) {
        if p.exists() {
            if let Err(e) = std::fs::remove_file(&p) {
                tracing::warn!(error = %e, file = %p.display(), "scratch file not removed");
            }
        }
    }
}

/// Copy the damaged file (and its WAL) to `scratch` and open the copy, rebuilding its header if
/// SQLite does not recognise it. `None` when nothing can be read from it; an error when the copy
/// could not be made (a full disk): then nothing is given up, and the rebuild waits.
fn open_copy(damaged: &Path, scratch: &Path) -> Result<Option<Connection>> {
    let [db, wal, _] = companions(damaged);
    let [copy, copy_wal, _] = companions(scratch);
    std::fs::copy(&db, &copy)?;
    let wal_page_size = if wal.exists() {
        std::fs::copy(&wal, &copy_wal)?;
        wal_page_size(&copy_wal)
    } else {
        None
    };
    Ok(open_repaired(&copy, wal_page_size))
}

fn open_repaired(copy: &Path, wal_page_size: Option<u32>) -> Option<Connection> {
    match open_checked(copy) {
        Ok(conn) => return Some(conn),
        Err(e) if is_corruption(&e) => {}
        Err(e) => {
            tracing::warn!(error = %e, "the copy of the damaged store does not open");
            return None;
        }
    }
    // The header is damaged: try the page sizes the file can have, keeping the one under which
    // most of the tables that matter can be read.
    let original = std::fs::File::open(copy).ok().and_then(|mut f| {
        let mut h = [0u8; 100];
        f.read_exact(&mut h).ok().map(|()| h)
    })?;
    let file_len = std::fs::metadata(copy).ok()?.len();
    let mut best: Option<(usize, u32)> = None;
    for size in page_size_candidates(&original, wal_page_size, file_len) {
        if write_header(copy, &original, size, wal_page_size.is_some()).is_err() {
            return None;
        }
        let Ok(conn) = open_checked(copy) else { continue };
        let score = readable_tables(&conn);
        drop(conn);
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, size));
        }
    }
    let (_, size) = best?;
    write_header(copy, &original, size, wal_page_size.is_some()).ok()?;
    tracing::info!(page_size = size, "rebuilt the damaged store's header");
    open_checked(copy).ok()
}

/// Open a file and make SQLite read its header and schema.
fn open_checked(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))?;
    Ok(conn)
}

/// How many of the tables that matter give their first row.
fn readable_tables(conn: &Connection) -> usize {
    ["complaints", "complaint_photos", "bill_accounts", "guide_meta", "services"]
        .iter()
        .filter(|t| conn.query_row(&format!("SELECT 1 FROM \"{t}\" LIMIT 1"), [], |_| Ok(())).is_ok())
        .count()
}

/// The page size a WAL file records (bytes 8..12 of its header), if it is a WAL file.
fn wal_page_size(wal: &Path) -> Option<u32> {
    let mut h = [0u8; 32];
    std::fs::File::open(wal).ok()?.read_exact(&mut h).ok()?;
    let magic = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    let size = u32::from_be_bytes([h[8], h[9], h[10], h[11]]);
    ((magic & !1) == 0x377f_0682 && valid_page_size(size)).then_some(size)
}

fn valid_page_size(size: u32) -> bool {
    size.is_power_of_two() && (512..=65536).contains(&size)
}

/// The header's own page size if it is still plausible, the WAL's, then every size SQLite allows
/// (the default 4096 first); sizes that divide the file's length come before those that do not.
fn page_size_candidates(header: &[u8; 100], wal: Option<u32>, file_len: u64) -> Vec<u32> {
    let own = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65536,
        n => u32::from(n),
    };
    let mut sizes: Vec<u32> = Vec::new();
    for s in [Some(own), wal, Some(4096), Some(1024), Some(2048), Some(8192), Some(16384)]
        .into_iter()
        .chain([Some(32768), Some(65536), Some(512)])
        .flatten()
    {
        if valid_page_size(s) && !sizes.contains(&s) {
            sizes.push(s);
        }
    }
    // (Every size is a power of two: the low bits are the remainder.)
    sizes.sort_by_key(|s| file_len & (u64::from(*s) - 1) != 0);
    sizes
}

/// Write a plausible SQLite header for `page_size` over the copy's first 100 bytes, keeping the
/// fields that cannot be guessed (the schema cookie, the user version) from the damaged one.
fn write_header(path: &Path, original: &[u8; 100], page_size: u32, wal: bool) -> std::io::Result<()> {
    let mut h = [0u8; 100];
    h[..16].copy_from_slice(b"SQLite format 3\0");
    let encoded = if page_size == 65536 { 1 } else { page_size as u16 };
    h[16..18].copy_from_slice(&encoded.to_be_bytes());
    let mode = if wal { 2 } else { 1 };
    (h[18], h[19]) = (mode, mode);
    // No reserved bytes per page; the payload fractions SQLite requires (64, 32, 32).
    (h[20], h[21], h[22], h[23]) = (0, 64, 32, 32);
    // The change counter is kept; the size in pages is 0, so SQLite takes the file's size; no
    // free list (it is not needed to read).
    h[24..28].copy_from_slice(&original[24..28]);
    h[40..44].copy_from_slice(&original[40..44]); // schema cookie
    h[44..48].copy_from_slice(&4u32.to_be_bytes()); // schema format
    h[56..60].copy_from_slice(&1u32.to_be_bytes()); // UTF-8
    h[60..64].copy_from_slice(&original[60..64]); // user version
    h[92..96].copy_from_slice(&original[24..28]); // valid for this change counter
    h[96..100].copy_from_slice(&3_046_000u32.to_be_bytes());
    let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
    f.seek(SeekFrom::Start(0))?;
    f.write_all(&h)?;
    f.sync_all()
}

/// Rows of one table as read so far, without duplicates (by the table's key).
struct Rows {
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
    seen: HashSet<String>,
    key: Vec<usize>,
    key_names: &'static [&'static str],
}

impl Rows {
    fn new(key_names: &'static [&'static str]) -> Self {
        Rows { columns: Vec::new(), rows: Vec::new(), seen: HashSet::new(), key: Vec::new(), key_names }
    }

    /// Add the rows `sql` yields until the first error; true when it read to the end.
    fn scan(&mut self, conn: &Connection, sql: &str, params: impl rusqlite::Params) -> bool {
        let mut stmt = match conn.prepare(sql) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, sql, "salvage query refused");
                return false;
            }
        };
        let columns: Vec<String> = stmt.column_names().map(str::to_owned).collect();
        if self.columns.is_empty() {
            self.key = self
                .key_names
                .iter()
                .filter_map(|k| columns.iter().position(|c| c.eq_ignore_ascii_case(k)))
                .collect();
            self.columns = columns;
        } else if columns != self.columns {
            return false;
        }
        let n = self.columns.len();
        let mut rows = match stmt.query(params) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, sql, "salvage query failed");
                return false;
            }
        };
        loop {
            match rows.next() {
                Ok(Some(row)) => {
                    let values: rusqlite::Result<Vec<Value>> =
                        (0..n).map(|i| row.get::<_, Value>(i)).collect();
                    let Ok(values) = values else { return false };
                    let key = format!("{:?}", self.key.iter().map(|&i| &values[i]).collect::<Vec<_>>());
                    if self.seen.insert(key) {
                        self.rows.push(values);
                    }
                }
                Ok(None) => return true,
                Err(e) => {
                    tracing::warn!(error = %e, sql, "salvage stopped at a damaged row");
                    return false;
                }
            }
        }
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.eq_ignore_ascii_case(name))
    }
}

fn copy_rows(old: &Connection, tx: &Transaction<'_>, draft_is_readable: fn(&str) -> bool) -> Result<Carried> {
    let tables: HashSet<String> = match old
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .and_then(|mut s| s.query_map([], |r| r.get::<_, String>(0))?.collect())
    {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "the damaged store's schema cannot be read");
            return Ok(Carried::default());
        }
    };
    let mut complete = true;

    // Complaints: those not sent yet first (through their index), then the whole table forwards
    // and backwards (past a damaged page).
    if tables.contains("complaints") {
        let mut complaints = Rows::new(&["local_id"]);
        complaints.scan(old, &format!("SELECT * FROM complaints WHERE {UNSENT} ORDER BY seq"), []);
        complete &= complaints.scan(old, "SELECT * FROM complaints NOT INDEXED", []);
        complaints.scan(old, "SELECT * FROM complaints NOT INDEXED ORDER BY rowid DESC", []);
        // A complaint whose text reads as garbage would break every list of complaints.
        if let Some(draft) = complaints.column("draft") {
            let before = complaints.rows.len();
            complaints.rows.retain(|r| match &r[draft] {
                Value::Text(doc) => draft_is_readable(doc),
                _ => false,
            });
            complete &= complaints.rows.len() == before;
        }
        insert(tx, "complaints", &complaints)?;
        let ids: Vec<String> = match complaints.column("local_id") {
            Some(i) => complaints
                .rows
                .iter()
                .filter_map(|r| match &r[i] {
                    Value::Text(id) => Some(id.clone()),
                    _ => None,
                })
                .collect(),
            None => Vec::new(),
        };
        drop(complaints);
        // Photos and history one complaint at a time (photos are the bulk of the file).
        for (table, order) in [
            ("complaint_photos", "position"),
            ("complaint_updates", "position"),
            ("complaint_followups", "id"),
        ] {
            if !tables.contains(table) {
                continue;
            }
            for id in &ids {
                let mut rows = Rows::new(&[]);
                complete &= rows.scan(
                    old,
                    &format!("SELECT * FROM {table} WHERE local_id = ?1 ORDER BY {order}"),
                    [id],
                );
                insert(tx, table, &rows)?;
            }
        }
    }

    for (table, key) in SMALL_TABLES {
        if !tables.contains(*table) {
            continue;
        }
        let mut rows = Rows::new(match *table {
            "bill_accounts" => &["account"],
            "complaint_categories" => &["code"],
            "complaint_meta" => &["key"],
            "data_usage" => &["feature"],
            _ => &["id"],
        });
        let read_whole = rows.scan(old, &format!("SELECT * FROM {table}"), []);
        rows.scan(old, &format!("SELECT * FROM {table} ORDER BY {key} DESC"), []);
        if *table == "bill_accounts" {
            complete &= read_whole;
        }
        insert(tx, table, &rows)?;
    }

    let count = |sql: &str| tx.query_row(sql, [], |r| r.get::<_, i64>(0)).map(|n| n as u32);
    Ok(Carried {
        complaints: count("SELECT count(*) FROM complaints")?,
        unsent_complaints: count(&format!("SELECT count(*) FROM complaints WHERE {UNSENT}"))?,
        photos: count("SELECT count(*) FROM complaint_photos")?,
        bill_accounts: count("SELECT count(*) FROM bill_accounts")?,
        complete,
    })
}

/// Insert `rows` into the fresh store's `table`, by the columns both schemas have. A row the
/// fresh schema refuses (a constraint) is left out; any other failure stops the rebuild.
fn insert(tx: &Transaction<'_>, table: &str, rows: &Rows) -> Result<()> {
    if rows.rows.is_empty() {
        return Ok(());
    }
    let fresh: Vec<String> = tx
        .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<_>>()?;
    let shared: Vec<(usize, &String)> = rows
        .columns
        .iter()
        .enumerate()
        .filter_map(|(i, c)| fresh.iter().find(|f| f.eq_ignore_ascii_case(c)).map(|f| (i, f)))
        .collect();
    if shared.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = shared.iter().map(|(_, c)| format!("\"{c}\"")).collect();
    let marks: Vec<String> = (1..=shared.len()).map(|i| format!("?{i}")).collect();
    let sql = format!("INSERT OR IGNORE INTO {table} ({}) VALUES ({})", names.join(", "), marks.join(", "));
    let mut stmt = tx.prepare(&sql)?;
    for row in &rows.rows {
        let values = shared.iter().map(|(i, _)| &row[*i]);
        match stmt.execute(rusqlite::params_from_iter(values)) {
            Ok(_) => {}
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) => {
                tracing::warn!(error = %e, table, "a salvaged row was left out");
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
