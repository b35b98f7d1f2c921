//! PostgreSQL: the schema's migrations (`server/migrations/postgres/`, the same versions as
//! SQLite's), applied at start and refused when the database is newer.
//!
//! The version is kept in `baladiya_schema (version)`. Each step runs in its own transaction
//! behind a transaction-scoped advisory lock, so processes starting together apply each migration
//! once and wait for each other.

use postgres::{Client, NoTls};

use crate::db::{DbError, LATEST};

/// Every PostgreSQL migration, in order, versioned as SQLite's (checked at build time).
pub(crate) const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("../migrations/postgres/001_catalogue.sql")),
    (2, include_str!("../migrations/postgres/002_open311.sql")),
    (3, include_str!("../migrations/postgres/003_bills_news.sql")),
    (4, include_str!("../migrations/postgres/004_uploads.sql")),
    (5, include_str!("../migrations/postgres/005_staff_console.sql")),
    (6, include_str!("../migrations/postgres/006_staff_tokens.sql")),
    (7, include_str!("../migrations/postgres/007_channel_intake.sql")),
    (8, include_str!("../migrations/postgres/008_channel_outbound.sql")),
    (9, include_str!("../migrations/postgres/009_shared_state.sql")),
    (10, include_str!("../migrations/postgres/010_request_filter_indexes.sql")),
    (11, include_str!("../migrations/postgres/011_feedback_reopen.sql")),
    (12, include_str!("../migrations/postgres/012_request_ids.sql")),
    (13, include_str!("../migrations/postgres/013_followers.sql")),
];

// Both backends have every version, and only those.
const _: () = {
    assert!(MIGRATIONS.len() as u32 == LATEST, "a PostgreSQL migration for every SQLite one");
    let mut i = 0;
    while i < MIGRATIONS.len() {
        assert!(MIGRATIONS[i].0 == i as u32 + 1, "migration versions must run 1, 2, 3… in order");
        i += 1;
    }
};

/// Any constant both sides agree on: the key of the advisory lock migrations take.
const MIGRATION_LOCK: i64 = 0x0062_616c_6164_6979; // "baladiy"

impl From<postgres::Error> for DbError {
    fn from(e: postgres::Error) -> Self {
        DbError::Postgres(e.to_string())
    }
}

/// Connect to `url` (plain TCP or a Unix socket; TLS is not built in yet). Must not be called on
/// an async worker thread: the client runs its own small runtime.
pub(crate) fn connect(url: &str) -> Result<Client, DbError> {
    let mut client = Client::connect(url, NoTls)?;
    // The server's notices ("already exists, skipping") are not ours to log. Each statement is
    // prepared once per connection (crate::sql), and planned for the values of each call: a
    // generic plan (which PostgreSQL switches to after five calls) guesses a third of the table
    // for `updated_at > $1` and scans it, where the index finds the last hour's few rows.
    client.batch_execute("SET client_min_messages TO WARNING; SET plan_cache_mode TO force_custom_plan")?;
    Ok(client)
}

/// Bring the database up to [`LATEST`]; returns the version it was at. A database written by a
/// newer server is refused.
pub(crate) fn migrate(client: &mut Client) -> Result<u32, DbError> {
    // Two processes creating the version table at once: one wins, the other finds it.
    {
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS baladiya_schema (version BIGINT NOT NULL)")?;
        tx.commit()?;
    }
    let mut first = None;
    loop {
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        let v: Option<i64> = tx.query_one("SELECT MAX(version) FROM baladiya_schema", &[])?.get(0);
        let current = u32::try_from(v.unwrap_or(0)).unwrap_or(u32::MAX);
        first.get_or_insert(current);
        if current > LATEST {
            return Err(DbError::Newer { current, latest: LATEST });
        }
        let Some(&(version, sql)) = MIGRATIONS.iter().find(|(v, _)| *v > current) else {
            return Ok(first.unwrap_or(current));
        };
        tx.batch_execute(sql)?;
        tx.execute("DELETE FROM baladiya_schema", &[])?;
        tx.execute("INSERT INTO baladiya_schema (version) VALUES ($1)", &[&i64::from(version)])?;
        tx.commit()?;
    }
}
