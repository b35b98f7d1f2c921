//! The server's embedded SQLite database: migrations, and a handle that runs blocking SQL off the
//! async workers.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use crate::sql::Conn;

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
    (10, include_str!("../migrations/010_request_filter_indexes.sql")),
    (11, include_str!("../migrations/011_feedback_reopen.sql")),
    (12, include_str!("../migrations/012_request_ids.sql")),
    (13, include_str!("../migrations/013_followers.sql")),
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

/// Where the server keeps its data: `--database URL` (or `DATABASE_URL`).
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://PATH`: an embedded SQLite file (`sqlite:///var/lib/baladiya/server.db`, or a path
    /// relative to the working directory: `sqlite://data/server.db`). The default is
    /// `server.db` under `--data-dir`.
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`, a libpq-style URL.
    Postgres(String),
}

impl DatabaseUrl {
    /// Parse a database URL; the error names what is wrong, never the URL (it may hold a
    /// password).
    pub fn parse(url: &str) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() || path.contains('?') {
                return Err("sqlite://PATH: a file path, without parameters".into());
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_owned()));
        }
        Err("expected sqlite://PATH or postgres://…".into())
    }

    /// `server.db` under the data directory.
    pub fn default_for(data_dir: &Path) -> Self {
        DatabaseUrl::Sqlite(data_dir.join("server.db"))
    }
}

/// Shown without a PostgreSQL URL's password (start-up logs it).
impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => {
                // postgres://user:password@host… → postgres://user:***@host…
                let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
                match rest.split_once('@') {
                    Some((userinfo, host)) => {
                        let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
                        write!(f, "{scheme}://{user}:***@{host}")
                    }
                    None => write!(f, "{scheme}://{rest}"),
                }
            }
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(String),
    #[error(
        "the database's schema is version {current}, newer than this server's {latest}: it was \
         written by a newer baladiya-server; run that one, or restore a backup"
    )]
    Newer { current: u32, latest: u32 },
    #[error("{0}")]
    Unsupported(String),
}

/// The environment variable naming a PostgreSQL cluster for tests (`scripts/with-postgres.sh`
/// sets it): a server started without a database URL then uses a database of its own there.
pub const TEST_POSTGRES_ENV: &str = "BALADIYA_TEST_POSTGRES_URL";

/// For tests: with [`TEST_POSTGRES_ENV`] set, the PostgreSQL database that stands for the data
/// directory `data_dir` (named after it, created when missing, so a server restarted on the same
/// directory finds its data again); `None` without it.
pub fn test_database_for(data_dir: &Path) -> Result<Option<DatabaseUrl>, DbError> {
    use sha2::{Digest, Sha256};
    let Ok(admin) = std::env::var(TEST_POSTGRES_ENV) else { return Ok(None) };
    let path = std::fs::create_dir_all(data_dir)
        .and_then(|()| data_dir.canonicalize())
        .map_err(|e| DbError::Unsupported(format!("data directory: {e}")))?;
    let hash = Sha256::digest(path.to_string_lossy().as_bytes());
    let name: String = format!("t_{}", hash.iter().take(10).map(|b| format!("{b:02x}")).collect::<String>());
    let (base, _) = admin
        .rsplit_once('/')
        .ok_or_else(|| DbError::Unsupported(format!("{TEST_POSTGRES_ENV}: no database in the URL")))?;
    let url = format!("{base}/{name}");
    off_runtime(|| -> Result<(), DbError> {
        let mut c = crate::pg::connect(&admin)?;
        let exists = !c.query("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])?.is_empty();
        if !exists {
            // Two processes on one directory may both try: the loser finds it made.
            if let Err(e) = c.batch_execute(&format!("CREATE DATABASE {name}")) {
                if c.query("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])?.is_empty() {
                    return Err(e.into());
                }
            }
        }
        Ok(())
    })?;
    Ok(Some(DatabaseUrl::Postgres(url)))
}

/// Apply the migrations to the database `url` names, and say from which version to which. For
/// `baladiya-server migrate` (a deployment can migrate before it starts the new processes). Call
/// it off the async workers (PostgreSQL's client runs its own runtime).
pub fn migrate_url(url: &DatabaseUrl) -> Result<(u32, u32), DbError> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let before = if path.exists() { schema_version(&Connection::open(path)?)? } else { 0 };
            Db::open_sqlite(path)?;
            Ok((before, LATEST))
        }
        DatabaseUrl::Postgres(u) => {
            let mut client = crate::pg::connect(u)?;
            let before = crate::pg::migrate(&mut client)?;
            Ok((before, LATEST))
        }
    }
}

#[derive(Clone)]
pub struct Db {
    backend: Arc<Backend>,
}

// One per process, behind an Arc: the size of the SQLite variant does not matter.
#[allow(clippy::large_enum_variant)]
enum Backend {
    /// One connection: SQLite has one writer at a time anyway, and WAL lets other processes read.
    Sqlite(Mutex<Conn>),
    Postgres(PgPool),
}

/// PostgreSQL connections, made when needed up to [`PG_CONNECTIONS`] and kept for reuse.
struct PgPool {
    url: String,
    idle: Mutex<Vec<Conn>>,
    permits: Arc<tokio::sync::Semaphore>,
}

/// Connections to PostgreSQL one process opens at most (the database's `max_connections`, 100 by
/// default, must cover every process's).
pub const PG_CONNECTIONS: usize = 16;

impl PgPool {
    /// An idle connection, or a new one. Not on an async worker (the client runs its own runtime).
    fn take(&self) -> Result<Conn, DbError> {
        if let Some(c) = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop() {
            return Ok(c);
        }
        Ok(Conn::postgres(crate::pg::connect(&self.url)?))
    }

    /// Back to the idle ones, unless it broke.
    fn give_back(&self, conn: Conn) {
        if let Conn::Postgres(c, ..) = &conn {
            if c.borrow().is_closed() {
                return;
            }
        }
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).push(conn);
    }
}

impl Drop for PgPool {
    /// Closing a client blocks on its runtime, which must not happen on an async worker.
    fn drop(&mut self) {
        let idle = std::mem::take(&mut *self.idle.lock().unwrap_or_else(|p| p.into_inner()));
        if !idle.is_empty() {
            off_runtime(move || drop(idle));
        }
    }
}

/// Run `f` on a thread of its own and wait for it: PostgreSQL's synchronous client must not run
/// on an async worker, and start-up work may be called from one.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join()).unwrap_or_else(|p| std::panic::resume_unwind(p))
}

impl Db {
    /// Open (creating, migrating) `server.db` under `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self, rusqlite::Error> {
        Self::open_sqlite(&data_dir.join("server.db"))
    }

    /// Open the database `url` names, migrating it to [`LATEST`].
    pub fn open_url(url: &DatabaseUrl) -> Result<Self, DbError> {
        match url {
            DatabaseUrl::Sqlite(path) => Ok(Self::open_sqlite(path)?),
            DatabaseUrl::Postgres(u) => {
                let first = off_runtime(|| -> Result<Conn, DbError> {
                    let mut client = crate::pg::connect(u)?;
                    crate::pg::migrate(&mut client)?;
                    Ok(Conn::postgres(client))
                })?;
                let pool = PgPool {
                    url: u.clone(),
                    idle: Mutex::new(vec![first]),
                    permits: Arc::new(tokio::sync::Semaphore::new(PG_CONNECTIONS)),
                };
                Ok(Db { backend: Arc::new(Backend::Postgres(pool)) })
            }
        }
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match &*self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Open, set up and migrate a SQLite file. Processes starting together on a new file may find
    /// it locked by each other's set-up (switching to WAL, a migration) beyond the busy timeout:
    /// a busy start is tried again for up to 30 s.
    fn open_sqlite(path: &Path) -> Result<Self, rusqlite::Error> {
        let started = std::time::Instant::now();
        loop {
            match Self::open_sqlite_once(path) {
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if matches!(
                        e.code,
                        rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                    ) && started.elapsed() < std::time::Duration::from_secs(30) =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => return other,
            }
        }
    }

    fn open_sqlite_once(path: &Path) -> Result<Self, rusqlite::Error> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
                    Some(e.to_string()),
                )
            })?;
        }
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // FULL: a request the server acknowledged survives a power cut (the phone drops a
        // complaint from its outbox on the server's 2xx); NORMAL in WAL mode may lose the last
        // commits.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )?;
        migrate(&mut conn)?;
        Ok(Db { backend: Arc::new(Backend::Sqlite(Mutex::new(Conn::Sqlite(conn)))) })
    }

    /// Run `f` with a connection on the blocking pool.
    pub async fn call<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<T, ApiError> + Send + 'static,
    {
        let backend = Arc::clone(&self.backend);
        let permit = match &*backend {
            Backend::Sqlite(_) => None,
            Backend::Postgres(pool) => Some(
                Arc::clone(&pool.permits)
                    .acquire_owned()
                    .await
                    .map_err(|e| ApiError::Internal(format!("database pool: {e}")))?,
            ),
        };
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            match &*backend {
                Backend::Sqlite(conn) => {
                    let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
                    f(&mut guard)
                }
                Backend::Postgres(pool) => {
                    let mut conn = pool.take().map_err(|e| ApiError::Internal(e.to_string()))?;
                    let out = f(&mut conn);
                    pool.give_back(conn);
                    out
                }
            }
        })
        .await
        .map_err(|e| ApiError::Internal(format!("database task failed: {e}")))?
    }

    /// Run `f` now, waiting for it (start-up work such as seeding, and tests).
    pub fn with<T: Send>(&self, f: impl FnOnce(&mut Conn) -> T + Send) -> T {
        match &*self.backend {
            Backend::Sqlite(conn) => {
                let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
                f(&mut guard)
            }
            Backend::Postgres(pool) => off_runtime(|| {
                // Start-up work: a connection is there (open made one), or can be made.
                let mut conn = match pool.take() {
                    Ok(c) => c,
                    Err(e) => panic!("PostgreSQL: no connection: {e}"),
                };
                let out = f(&mut conn);
                pool.give_back(conn);
                out
            }),
        }
    }
}

/// The schema version of the SQLite database `conn` is on.
pub fn schema_version(conn: &Connection) -> Result<u32, rusqlite::Error> {
    conn.query_row("PRAGMA user_version", (), |r| r.get(0))
}

/// The schema version of the database `conn` is on, whichever it is.
pub fn version_of(conn: &Conn) -> crate::sql::Result<u32> {
    match conn {
        Conn::Sqlite(c) => Ok(schema_version(c)?),
        Conn::Postgres(..) => conn.query_row("SELECT MAX(version) FROM baladiya_schema", (), |r| {
            Ok(r.get::<_, Option<u32>>(0)?.unwrap_or(0))
        }),
    }
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
    fn database_urls() {
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/b/server.db"),
            Ok(DatabaseUrl::Sqlite("/var/lib/b/server.db".into()))
        );
        assert_eq!(DatabaseUrl::parse("sqlite://data/s.db"), Ok(DatabaseUrl::Sqlite("data/s.db".into())));
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        assert!(DatabaseUrl::parse("sqlite://x.db?mode=ro").is_err());
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        let pg = DatabaseUrl::parse("postgresql://baladiya:s3cret@db.internal:5432/baladiya").unwrap();
        assert_eq!(
            pg,
            DatabaseUrl::Postgres("postgresql://baladiya:s3cret@db.internal:5432/baladiya".into())
        );
        assert_eq!(pg.to_string(), "postgresql://baladiya:***@db.internal:5432/baladiya");
        assert!(!format!("{pg:?}").contains("s3cret"));
        assert_eq!(
            DatabaseUrl::parse("postgres://127.0.0.1/b").unwrap().to_string(),
            "postgres://127.0.0.1/b"
        );
        assert_eq!(DatabaseUrl::default_for(Path::new("/d")), DatabaseUrl::Sqlite("/d/server.db".into()));
    }

    #[test]
    fn a_new_database_is_at_the_latest_version_and_a_newer_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let version: u32 = db.with(|c| version_of(c)).unwrap();
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
