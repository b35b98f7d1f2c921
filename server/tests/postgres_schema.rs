//! PostgreSQL's schema (issue 14): `baladiya-server migrate` applies `server/migrations/postgres/`
//! to a new database, once however often or by how many processes at once it runs, refuses a
//! database from a newer server, and yields the same tables, columns, nullability and indexes as
//! SQLite's migrations. Runs under `scripts/with-postgres.sh` (a throwaway cluster); skipped
//! without one unless BALADIYA_REQUIRE_POSTGRES is set.

mod support;

use std::collections::BTreeMap;
use std::process::{Command, Output};

use support::PgDatabase;

fn migrate(database: &str, data_dir: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baladiya-server"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--database", database, "migrate"])
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Table → [(column, type family, nullable)], and the index names.
type Schema = (BTreeMap<String, Vec<(String, &'static str, bool)>>, Vec<String>);

fn family(declared: &str) -> &'static str {
    match declared.to_ascii_uppercase().as_str() {
        "TEXT" => "text",
        "INTEGER" | "BIGINT" => "integer",
        "DOUBLE PRECISION" => "real",
        "BLOB" | "BYTEA" => "bytes",
        _ => "other",
    }
}

fn sqlite_schema(path: &std::path::Path) -> Schema {
    let c = rusqlite::Connection::open(path).unwrap();
    let mut tables = BTreeMap::new();
    let names: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in names {
        let cols = c
            .prepare(&format!(
                "SELECT name, type, \"notnull\", pk FROM pragma_table_info('{t}') ORDER BY cid"
            ))
            .unwrap()
            .query_map([], |r| {
                let (name, ty, notnull, pk): (String, String, bool, i64) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                Ok((name, family(&ty), !notnull && pk == 0))
            })
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        tables.insert(t, cols);
    }
    let mut indexes: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    indexes.sort();
    (tables, indexes)
}

fn postgres_schema(db: &PgDatabase) -> Schema {
    let mut c = db.client();
    let mut tables: BTreeMap<String, Vec<(String, &'static str, bool)>> = BTreeMap::new();
    for r in c
        .query(
            "SELECT table_name::text, column_name::text, upper(data_type::text), is_nullable::text = 'YES'
               FROM information_schema.columns
              WHERE table_schema = current_schema() AND table_name <> 'baladiya_schema'
              ORDER BY table_name, ordinal_position",
            &[],
        )
        .unwrap()
    {
        let ty: String = r.get(2);
        tables.entry(r.get(0)).or_default().push((r.get(1), family(&ty), r.get(3)));
    }
    let mut indexes: Vec<String> = c
        .query(
            // Not those behind a primary key or unique constraint (SQLite names them itself).
            "SELECT indexname::text FROM pg_indexes i
              WHERE schemaname = current_schema()
                AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    indexes.sort();
    (tables, indexes)
}

#[test]
fn migrations_make_the_same_schema_once_and_refuse_a_newer_database() {
    let Some(pg) = PgDatabase::create() else { return };
    let dir = tempfile::tempdir().unwrap();

    let first = migrate(&pg.url, dir.path());
    assert!(first.status.success(), "{}", text(&first));
    assert!(text(&first).contains("migrated from schema version 0 to "), "{}", text(&first));
    // Never the password in what it prints.
    let password = pg.url.split(':').nth(2).and_then(|p| p.split('@').next()).unwrap();
    assert!(!text(&first).contains(password), "{}", text(&first));
    let again = migrate(&pg.url, dir.path());
    assert!(again.status.success() && text(&again).contains("nothing to do"), "{}", text(&again));

    let sqlite = dir.path().join("s.db");
    let out = migrate(&format!("sqlite://{}", sqlite.display()), dir.path());
    assert!(out.status.success(), "{}", text(&out));
    let (sqlite_tables, sqlite_indexes) = sqlite_schema(&sqlite);
    let (pg_tables, pg_indexes) = postgres_schema(&pg);
    assert_eq!(pg_tables.keys().collect::<Vec<_>>(), sqlite_tables.keys().collect::<Vec<_>>());
    for (table, cols) in &sqlite_tables {
        assert_eq!(&pg_tables[table], cols, "{table}");
    }
    assert_eq!(pg_indexes, sqlite_indexes);

    // A newer server's database is refused, and left as it is.
    pg.client().execute("UPDATE baladiya_schema SET version = version + 1", &[]).unwrap();
    let newer = migrate(&pg.url, dir.path());
    assert!(!newer.status.success());
    assert!(text(&newer).contains("newer than this server's"), "{}", text(&newer));
}

#[test]
fn processes_migrating_together_apply_each_migration_once() {
    let Some(pg) = PgDatabase::create() else { return };
    let dir = tempfile::tempdir().unwrap();
    let runs: Vec<_> = (0..3)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_baladiya-server"))
                .arg("--data-dir")
                .arg(dir.path())
                .args(["--database", &pg.url, "migrate"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<Output> = runs.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    for out in &outs {
        assert!(out.status.success(), "{}", text(out));
    }
    assert_eq!(outs.iter().filter(|o| text(o).contains("from schema version 0")).count(), 1);
    let rows: i64 = pg.client().query_one("SELECT COUNT(*) FROM baladiya_schema", &[]).unwrap().get(0);
    assert_eq!(rows, 1);
}
