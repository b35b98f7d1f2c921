//! One connection type for both databases (issue 14): a store writes its SQL once, in the dialect
//! both speak, and runs it on [`Conn`] whichever backend is behind it.
//!
//! - Placeholders are SQLite's numbered `?1`, `?2`…; on PostgreSQL they are rewritten to `$1`,
//!   `$2`… (outside string literals).
//! - Values cross as [`Value`]: integers as `i64` (every integer column is BIGINT on PostgreSQL),
//!   reals as `f64`, text, bytes, NULL. A store's Rust types convert with [`ToValue`] and
//!   [`FromValue`] (`u32`, `bool`, `usize`, `Option<T>`…), checked rather than cast.
//! - [`Conn::transaction`] begins a write transaction (`BEGIN IMMEDIATE` on SQLite, so writers from
//!   several processes queue at its start instead of failing at their first write; on PostgreSQL
//!   behind one advisory lock, so they take turns as on SQLite); the transaction derefs to the
//!   connection, commits on [`Tx::commit`] and rolls back when dropped.
//!   [`Conn::concurrent_transaction`] is one without that lock on PostgreSQL, for writes whose
//!   statements take what they need themselves (request creation).
//! - SQLite statements are prepared once per connection and cached.

use std::cell::RefCell;
use std::ops::Deref;

/// A database error, or a value that did not convert.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Shown with PostgreSQL's code and message, never its detail (which may quote values).
    #[error("{}", pg_message(.0))]
    Postgres(#[from] postgres::Error),
    #[error("the query returned no rows")]
    NoRows,
    #[error("column {0}: {1}")]
    Type(usize, String),
}

pub type Result<T> = std::result::Result<T, Error>;

fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("PostgreSQL {}: {}", db.code().code(), db.message()),
        None => format!("PostgreSQL: {e}"),
    }
}

/// A value bound to or read from a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A Rust value a statement takes.
pub trait ToValue {
    fn to_value(&self) -> Value;
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}
impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}
impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}
impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}
impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}
impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}
impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}
impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                // Saturating for the unsigned 64-bit types; nothing stored comes near.
                Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }
    )*};
}
int_to_value!(i8, i16, i32, i64, u8, u16, u32, u64, usize);

/// A Rust value a column converts to.
pub trait FromValue: Sized {
    fn from_value(v: Value) -> std::result::Result<Self, String>;
}

impl FromValue for Value {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        Ok(v)
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}
impl FromValue for String {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        match v {
            Value::Text(s) => Ok(s),
            other => Err(format!("expected text, found {}", kind(&other))),
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        match v {
            Value::Blob(b) => Ok(b),
            Value::Text(s) => Ok(s.into_bytes()),
            other => Err(format!("expected bytes, found {}", kind(&other))),
        }
    }
}
impl FromValue for f64 {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        match v {
            Value::Real(f) => Ok(f),
            Value::Int(i) => Ok(i as f64),
            other => Err(format!("expected a number, found {}", kind(&other))),
        }
    }
}
impl FromValue for bool {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        match v {
            Value::Int(i) => Ok(i != 0),
            other => Err(format!("expected a boolean, found {}", kind(&other))),
        }
    }
}
macro_rules! int_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: Value) -> std::result::Result<Self, String> {
                match v {
                    Value::Int(i) => <$t>::try_from(i).map_err(|_| format!("{i} out of range")),
                    other => Err(format!("expected an integer, found {}", kind(&other))),
                }
            }
        }
    )*};
}
int_from_value!(i8, i16, i32, i64, u8, u16, u32, u64, usize);

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "NULL",
        Value::Int(_) => "an integer",
        Value::Real(_) => "a real",
        Value::Text(_) => "text",
        Value::Blob(_) => "bytes",
    }
}

/// The parameters of a statement: [`params!`]`[a, b]`, a slice of them, or `[]`.
pub trait Params {
    fn values(&self) -> Vec<Value>;
}
impl Params for &[&dyn ToValue] {
    fn values(&self) -> Vec<Value> {
        self.iter().map(|p| p.to_value()).collect()
    }
}
impl<T: ToValue, const N: usize> Params for [T; N] {
    fn values(&self) -> Vec<Value> {
        self.iter().map(ToValue::to_value).collect()
    }
}
impl<T: ToValue, const N: usize> Params for &[T; N] {
    fn values(&self) -> Vec<Value> {
        self.iter().map(ToValue::to_value).collect()
    }
}
impl Params for () {
    fn values(&self) -> Vec<Value> {
        Vec::new()
    }
}
impl Params for Vec<Value> {
    fn values(&self) -> Vec<Value> {
        self.clone()
    }
}

/// `params![a, b, c]`: the parameters `?1`, `?2`, `?3`.
macro_rules! params {
    () => {
        &[] as &[&dyn $crate::sql::ToValue]
    };
    ($($p:expr),+ $(,)?) => {
        &[$(&$p as &dyn $crate::sql::ToValue),+] as &[&dyn $crate::sql::ToValue]
    };
}
pub(crate) use params;

/// A row of a result.
pub struct Row<'a>(RowRef<'a>);

enum RowRef<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Postgres(&'a postgres::Row),
}

/// A column's position (from 0).
pub trait ColumnIndex {
    fn index(self) -> usize;
}
impl ColumnIndex for usize {
    fn index(self) -> usize {
        self
    }
}

impl Row<'_> {
    /// Column `idx` (from 0) as a `T`.
    pub fn get<I: ColumnIndex, T: FromValue>(&self, idx: I) -> Result<T> {
        let idx = idx.index();
        let v = match &self.0 {
            RowRef::Sqlite(r) => match r.get_ref(idx)? {
                rusqlite::types::ValueRef::Null => Value::Null,
                rusqlite::types::ValueRef::Integer(i) => Value::Int(i),
                rusqlite::types::ValueRef::Real(f) => Value::Real(f),
                rusqlite::types::ValueRef::Text(t) => Value::Text(
                    std::str::from_utf8(t)
                        .map_err(|_| Error::Type(idx, "text is not UTF-8".into()))?
                        .to_owned(),
                ),
                rusqlite::types::ValueRef::Blob(b) => Value::Blob(b.to_vec()),
            },
            RowRef::Postgres(r) => pg_value(r, idx)?,
        };
        T::from_value(v).map_err(|e| Error::Type(idx, e))
    }
}

fn pg_value(r: &postgres::Row, idx: usize) -> Result<Value> {
    use postgres::types::Type;
    let ty =
        r.columns().get(idx).map(|c| c.type_().clone()).ok_or(Error::Type(idx, "no such column".into()))?;
    let v = match ty {
        Type::INT8 => r.try_get::<_, Option<i64>>(idx)?.map(Value::Int),
        Type::INT4 => r.try_get::<_, Option<i32>>(idx)?.map(|i| Value::Int(i.into())),
        Type::INT2 => r.try_get::<_, Option<i16>>(idx)?.map(|i| Value::Int(i.into())),
        Type::BOOL => r.try_get::<_, Option<bool>>(idx)?.map(|b| Value::Int(b.into())),
        Type::FLOAT8 => r.try_get::<_, Option<f64>>(idx)?.map(Value::Real),
        Type::FLOAT4 => r.try_get::<_, Option<f32>>(idx)?.map(|f| Value::Real(f.into())),
        Type::BYTEA => r.try_get::<_, Option<Vec<u8>>>(idx)?.map(Value::Blob),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
            r.try_get::<_, Option<String>>(idx)?.map(Value::Text)
        }
        other => return Err(Error::Type(idx, format!("PostgreSQL type {other} is not read here"))),
    };
    Ok(v.unwrap_or(Value::Null))
}

/// A parameter as PostgreSQL takes it: converted to the type the statement expects.
#[derive(Debug)]
struct PgParam(Value);

impl postgres::types::ToSql for PgParam {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::Type;
        match (&self.0, ty) {
            (Value::Null, _) => Ok(postgres::types::IsNull::Yes),
            (Value::Int(i), &Type::INT8) => i.to_sql(ty, out),
            (Value::Int(i), &Type::INT4) => i32::try_from(*i)?.to_sql(ty, out),
            (Value::Int(i), &Type::INT2) => i16::try_from(*i)?.to_sql(ty, out),
            (Value::Int(i), &Type::BOOL) => (*i != 0).to_sql(ty, out),
            (Value::Int(i), &Type::FLOAT8) => (*i as f64).to_sql(ty, out),
            (Value::Int(i), t) if is_text(t) => i.to_string().to_sql(ty, out),
            (Value::Real(f), &Type::FLOAT8) => f.to_sql(ty, out),
            (Value::Real(f), &Type::FLOAT4) => (*f as f32).to_sql(ty, out),
            (Value::Text(s), t) if is_text(t) => s.to_sql(ty, out),
            (Value::Blob(b), &Type::BYTEA) => b.to_sql(ty, out),
            (v, t) => Err(format!("cannot bind {} as PostgreSQL {t}", kind(v)).into()),
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

fn is_text(t: &postgres::types::Type) -> bool {
    use postgres::types::Type;
    [Type::TEXT, Type::VARCHAR, Type::BPCHAR, Type::NAME, Type::UNKNOWN].contains(t)
}

/// `?1` → `$1` outside string literals and quoted names.
fn to_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    for c in sql.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '?' => {
                out.push('$');
                continue;
            }
            None => {}
        }
        out.push(c);
    }
    out
}

/// A connection to either database.
// A few per process: the size of the PostgreSQL variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Conn {
    Sqlite(rusqlite::Connection),
    /// The client, whether a transaction is open on it, and its prepared statements.
    Postgres(RefCell<postgres::Client>, std::cell::Cell<bool>, RefCell<PgStatements>),
}

/// A PostgreSQL connection's prepared statements by their SQL (as SQLite's `prepare_cached`):
/// each is parsed and planned by the server once per connection instead of on every call.
#[derive(Default)]
pub struct PgStatements(std::collections::HashMap<String, postgres::Statement>);

/// Above this many, the cache starts again (list queries are built from their filters).
const PG_STATEMENTS: usize = 256;

fn pg_statement(
    client: &mut postgres::Client,
    cache: &RefCell<PgStatements>,
    sql: &str,
) -> Result<postgres::Statement> {
    if let Some(s) = cache.borrow().0.get(sql) {
        return Ok(s.clone());
    }
    let stmt = client.prepare(&to_postgres(sql))?;
    let mut cache = cache.borrow_mut();
    if cache.0.len() >= PG_STATEMENTS {
        cache.0.clear();
    }
    cache.0.insert(sql.to_owned(), stmt.clone());
    Ok(stmt)
}

impl Conn {
    /// A new SQLite database in memory (unit tests).
    pub fn open_in_memory() -> Result<Conn> {
        Ok(Conn::Sqlite(rusqlite::Connection::open_in_memory()?))
    }

    /// Run statements without parameters (several, separated by `;`).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match self {
            Conn::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Conn::Postgres(c, ..) => Ok(c.borrow_mut().batch_execute(sql)?),
        }
    }

    /// Run one statement; the rows it changed.
    pub fn execute(&self, sql: &str, params: impl Params) -> Result<usize> {
        let values = params.values();
        match self {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                Ok(stmt.execute(rusqlite::params_from_iter(values.iter().map(sqlite_value)))?)
            }
            Conn::Postgres(c, _, cache) => {
                let ps: Vec<PgParam> = values.into_iter().map(PgParam).collect();
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    ps.iter().map(|p| p as &(dyn postgres::types::ToSql + Sync)).collect();
                let mut client = c.borrow_mut();
                let stmt = pg_statement(&mut client, cache, sql)?;
                let n = client.execute(&stmt, &refs)?;
                Ok(usize::try_from(n).unwrap_or(usize::MAX))
            }
        }
    }

    /// Every row `sql` returns, each through `f`.
    pub fn query_map<T>(
        &self,
        sql: &str,
        params: impl Params,
        mut f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let values = params.values();
        match self {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(values.iter().map(sqlite_value)))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    out.push(f(&Row(RowRef::Sqlite(r)))?);
                }
                Ok(out)
            }
            Conn::Postgres(c, _, cache) => {
                let ps: Vec<PgParam> = values.into_iter().map(PgParam).collect();
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    ps.iter().map(|p| p as &(dyn postgres::types::ToSql + Sync)).collect();
                let rows = {
                    let mut client = c.borrow_mut();
                    let stmt = pg_statement(&mut client, cache, sql)?;
                    client.query(&stmt, &refs)?
                };
                rows.iter().map(|r| f(&Row(RowRef::Postgres(r)))).collect()
            }
        }
    }

    /// The first row `sql` returns, through `f`; [`Error::NoRows`] when there is none.
    pub fn query_row<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut f = Some(f);
        let mut first = None;
        // (Reads every row; callers ask for one.)
        self.query_map(sql, params, |r| {
            if let Some(f) = f.take() {
                first = Some(f(r)?);
            }
            Ok(())
        })?;
        first.ok_or(Error::NoRows)
    }

    /// `sql`, to run with parameters (SQLite caches its prepared form on the connection).
    pub fn prepare_cached(&self, sql: &str) -> Result<Stmt<'_>> {
        Ok(Stmt { conn: self, sql: sql.to_owned() })
    }

    /// The same as [`Conn::prepare_cached`].
    pub fn prepare(&self, sql: &str) -> Result<Stmt<'_>> {
        self.prepare_cached(sql)
    }

    /// Begin a write transaction; it commits with [`Tx::commit`] and rolls back when dropped.
    ///
    /// Write transactions take turns on both backends: SQLite has one writer at a time, and on
    /// PostgreSQL each takes one transaction-scoped advisory lock first, so a store that reads and
    /// then writes (the next id of a table, a count before an insert) sees what every other
    /// process committed, as it does on SQLite.
    pub fn transaction(&self) -> Result<Tx<'_>> {
        self.execute_batch(match self {
            Conn::Sqlite(_) => "BEGIN IMMEDIATE",
            Conn::Postgres(..) => "BEGIN; SELECT pg_advisory_xact_lock(7526745465733431657)",
        })?;
        if let Conn::Postgres(_, open, _) = self {
            open.set(true);
        }
        Ok(Tx { conn: self, done: false })
    }

    /// Begin a write transaction that does not queue behind every other one on PostgreSQL (no
    /// advisory lock; on SQLite it is [`Conn::transaction`], the file having one writer anyway).
    ///
    /// For writes that need no read-then-write guarantee beyond what their own statements take:
    /// ids from the database, unique constraints (`ON CONFLICT`), and row locks such as the
    /// request clock's ([`crate::open311::store`]). Request creation runs in one, so processes
    /// create requests side by side.
    pub fn concurrent_transaction(&self) -> Result<Tx<'_>> {
        match self {
            Conn::Sqlite(_) => self.transaction(),
            Conn::Postgres(_, open, _) => {
                self.execute_batch("BEGIN")?;
                open.set(true);
                Ok(Tx { conn: self, done: false })
            }
        }
    }

    /// A PostgreSQL connection to `client`.
    pub fn postgres(client: postgres::Client) -> Conn {
        Conn::Postgres(RefCell::new(client), std::cell::Cell::new(false), RefCell::default())
    }

    /// Is a transaction open on this connection?
    pub fn in_transaction(&self) -> bool {
        match self {
            Conn::Sqlite(c) => !c.is_autocommit(),
            Conn::Postgres(_, open, _) => open.get(),
        }
    }

    /// Run `f` in a write transaction: the caller's, when one is open, else one of its own
    /// (for a read-then-write such as taking the next number of a table).
    pub fn write<T>(&self, f: impl FnOnce(&Conn) -> Result<T>) -> Result<T> {
        if self.in_transaction() {
            return f(self);
        }
        let tx = self.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Which database this is: `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match self {
            Conn::Sqlite(_) => "sqlite",
            Conn::Postgres(..) => "postgres",
        }
    }
}

/// A statement of [`Conn::prepare_cached`].
pub struct Stmt<'a> {
    conn: &'a Conn,
    sql: String,
}

impl Stmt<'_> {
    pub fn execute(&mut self, params: impl Params) -> Result<usize> {
        self.conn.execute(&self.sql, params)
    }

    pub fn query_row<T>(&mut self, params: impl Params, f: impl FnOnce(&Row<'_>) -> Result<T>) -> Result<T> {
        self.conn.query_row(&self.sql, params, f)
    }

    /// Each row through `f` (all read at once).
    pub fn query_map<T>(
        &mut self,
        params: impl Params,
        mut f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        Ok(self.conn.query_map(&self.sql, params, |r| Ok(f(r)))?.into_iter())
    }

    /// Does it return a row?
    pub fn exists(&mut self, params: impl Params) -> Result<bool> {
        Ok(!self.conn.query_map(&self.sql, params, |_| Ok(()))?.is_empty())
    }
}

fn sqlite_value(v: &Value) -> rusqlite::types::Value {
    match v {
        Value::Null => rusqlite::types::Value::Null,
        Value::Int(i) => rusqlite::types::Value::Integer(*i),
        Value::Real(f) => rusqlite::types::Value::Real(*f),
        Value::Text(s) => rusqlite::types::Value::Text(s.clone()),
        Value::Blob(b) => rusqlite::types::Value::Blob(b.clone()),
    }
}

/// A write transaction on a [`Conn`] (which it derefs to).
pub struct Tx<'a> {
    conn: &'a Conn,
    done: bool,
}

impl Tx<'_> {
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        self.ended();
        self.conn.execute_batch("COMMIT")
    }

    fn ended(&self) {
        if let Conn::Postgres(_, open, _) = self.conn {
            open.set(false);
        }
    }
}

impl Deref for Tx<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.ended();
            if let Err(e) = self.conn.execute_batch("ROLLBACK") {
                tracing::warn!(error = %e, "rollback failed");
            }
        }
    }
}

/// `.optional()`: no row is `None`.
pub trait OptionalExt<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExt<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(Error::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_rewritten_outside_quotes() {
        assert_eq!(
            to_postgres("SELECT ?1, '?2', \"a?\" WHERE x = ?12"),
            "SELECT $1, '?2', \"a?\" WHERE x = $12"
        );
    }

    #[test]
    fn values_round_trip_on_sqlite_and_transactions_roll_back() {
        let c = Conn::Sqlite(rusqlite::Connection::open_in_memory().unwrap());
        c.execute_batch("CREATE TABLE t (i BIGINT, f DOUBLE PRECISION, s TEXT, b BLOB, n TEXT)").unwrap();
        let none: Option<String> = None;
        c.execute("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)", params![42u32, 1.5, "x", vec![1u8, 2], none])
            .unwrap();
        let (i, f, s, b, n): (u32, f64, String, Vec<u8>, Option<String>) = c
            .query_row("SELECT i, f, s, b, n FROM t", (), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap();
        assert_eq!((i, f, s.as_str(), b, n), (42, 1.5, "x", vec![1, 2], None));
        assert!(matches!(
            c.query_row("SELECT i FROM t WHERE i = 0", (), |r| r.get::<_, i64>(0)),
            Err(Error::NoRows)
        ));
        assert_eq!(
            c.query_row("SELECT i FROM t WHERE i = 0", (), |r| r.get::<_, i64>(0)).optional().unwrap(),
            None
        );
        assert!(matches!(c.query_row("SELECT s FROM t", (), |r| r.get::<_, i64>(0)), Err(Error::Type(0, _))));
        {
            let tx = c.transaction().unwrap();
            tx.execute("DELETE FROM t", ()).unwrap();
        }
        assert_eq!(c.query_row("SELECT COUNT(*) FROM t", (), |r| r.get::<_, i64>(0)).unwrap(), 1);
        let tx = c.transaction().unwrap();
        tx.execute("DELETE FROM t", ()).unwrap();
        tx.commit().unwrap();
        assert_eq!(c.query_row("SELECT COUNT(*) FROM t", (), |r| r.get::<_, i64>(0)).unwrap(), 0);

        // write(): a transaction of its own, or the caller's when one is open.
        assert!(!c.in_transaction());
        c.write(|w| {
            assert!(w.in_transaction());
            w.execute("INSERT INTO t (i) VALUES (1)", ())
        })
        .unwrap();
        assert!(!c.in_transaction());
        {
            let tx = c.transaction().unwrap();
            tx.write(|w| w.execute("INSERT INTO t (i) VALUES (2)", ())).unwrap();
            // Rolled back with the caller's transaction.
        }
        assert_eq!(c.query_row("SELECT COUNT(*) FROM t", (), |r| r.get::<_, i64>(0)).unwrap(), 1);
    }
}
