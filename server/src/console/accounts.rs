//! Staff accounts, their sessions, internal notes and the audit log, in the server's database.
//!
//! Passwords are hashed with Argon2id (RustCrypto's `argon2`, its default parameters: 19 MiB,
//! 2 passes, 1 lane) in the PHC string format, salt and parameters inside. A session is a random
//! 256-bit token in an `HttpOnly` cookie; the database keeps only its SHA-256, with its own CSRF
//! token, and it ends after [`SESSION_IDLE`] without a request or [`SESSION_MAX`] in all, when
//! its account is disabled or its password reset, or at sign-out.

use crate::sql::{params, Conn, OptionalExt};
use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use chrono::Utc;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::open311::staff::Role;
use crate::open311::store::{random_id, stamp};

/// A session unused this long ends.
pub const SESSION_IDLE: i64 = 2 * 3600;
/// A session ends this long after sign-in whatever its use (a working day).
pub const SESSION_MAX: i64 = 12 * 3600;
/// The password of every `--demo` account.
pub const DEMO_PASSWORD: &str = "baladiya-demo";
/// [`DEMO_PASSWORD`] hashed once (Argon2id, default parameters), so a demo server's start costs
/// no hashing. It also stands in for an unknown user's hash, so that a sign-in as someone who
/// does not exist takes as long as a wrong password.
const DEMO_PASSWORD_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$9NEru95Lf9qE27QlUHJHRg$5XJ7kB9QqIm9RiBkja0QRHP3+UXlI0XHdqvE9NntRSU";
/// The `--demo` accounts: user name, role, department.
pub const DEMO_ACCOUNTS: [(&str, &str, Option<&str>); 5] = [
    ("dispatcher", "dispatcher", None),
    ("verifier", "verifier", None),
    ("water", "department", Some("water")),
    ("editor", "editor", None),
    ("admin", "admin", None),
];
pub const MIN_PASSWORD_CHARS: usize = 10;

/// What an account may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountRole {
    /// Public relations: every channel's intake, routing, status, replies.
    Dispatcher,
    /// The credibility check: verify or reject.
    Verifier,
    /// Staff of one department: its queue, status and replies.
    Department(String),
    /// The guide and the news.
    Editor,
    /// Accounts and the audit log; every action on requests.
    Admin,
}

impl AccountRole {
    pub fn parse(role: &str, department: Option<&str>) -> Result<AccountRole, String> {
        let department = department.map(str::trim).filter(|d| !d.is_empty());
        match (role, department) {
            ("department", Some(d)) if valid_id(d) => Ok(AccountRole::Department(d.to_owned())),
            ("department", Some(_)) => Err("department: lower-case letters, digits and '-'".into()),
            ("department", None) => Err("department: required for a department account".into()),
            (_, Some(_)) if ["dispatcher", "verifier", "editor", "admin"].contains(&role) => {
                Err("department: only for a department account".into())
            }
            ("dispatcher", None) => Ok(AccountRole::Dispatcher),
            ("verifier", None) => Ok(AccountRole::Verifier),
            ("editor", None) => Ok(AccountRole::Editor),
            ("admin", None) => Ok(AccountRole::Admin),
            _ => Err("role: one of dispatcher, verifier, department, editor, admin".into()),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            AccountRole::Dispatcher => "dispatcher",
            AccountRole::Verifier => "verifier",
            AccountRole::Department(_) => "department",
            AccountRole::Editor => "editor",
            AccountRole::Admin => "admin",
        }
    }

    pub fn department(&self) -> Option<&str> {
        match self {
            AccountRole::Department(d) => Some(d),
            _ => None,
        }
    }

    /// The role in the complaints workflow (the same rules as the staff API); an editor has none.
    pub(crate) fn request_role(&self) -> Option<Role> {
        match self {
            AccountRole::Dispatcher => Some(Role::PublicRelations),
            AccountRole::Verifier => Some(Role::Verifier),
            AccountRole::Department(d) => Some(Role::Department(d.clone())),
            AccountRole::Admin => Some(Role::Dispatcher),
            AccountRole::Editor => None,
        }
    }
}

fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_' || b == b'.')
}

/// A user name: 1 to 64 of `a-z 0-9 - _ .`.
pub fn check_username(s: &str) -> Result<(), String> {
    if valid_id(s) {
        Ok(())
    } else {
        Err("username: 1 to 64 lower-case letters, digits, '-', '_' or '.'".into())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub username: String,
    pub role: AccountRole,
    pub disabled: bool,
}

/// Hash a password for storage (Argon2id, a fresh random salt). Slow on purpose: call it off the
/// async workers.
pub fn hash_password(password: &str) -> Result<String, String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!("password: at least {MIN_PASSWORD_CHARS} characters"));
    }
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| format!("random: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches `hash` (`None`: an unknown user, checked against a stand-in hash so
/// it takes the same time, and never matching).
pub fn verify_password(hash: Option<&str>, password: &str) -> bool {
    let known = hash.is_some();
    let Ok(parsed) = PasswordHash::new(hash.unwrap_or(DEMO_PASSWORD_HASH)) else { return false };
    let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
    ok && known
}

fn account_row(r: &crate::sql::Row<'_>) -> crate::sql::Result<(String, String, Option<String>, bool)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)? != 0))
}

fn to_account((username, role, dept, disabled): (String, String, Option<String>, bool)) -> Option<Account> {
    AccountRole::parse(&role, dept.as_deref()).ok().map(|role| Account { username, role, disabled })
}

/// An account and its password hash.
pub fn get(conn: &Conn, username: &str) -> Result<Option<(Account, String)>, ApiError> {
    let row = conn
        .prepare_cached(
            "SELECT username, role, department_id, disabled, password_hash FROM staff_accounts WHERE username = ?1",
        )?
        .query_row([username], |r| Ok((account_row(r)?, r.get::<_, String>(4)?)))
        .optional()?;
    Ok(row.and_then(|(a, h)| to_account(a).map(|a| (a, h))))
}

pub fn list(conn: &Conn) -> Result<Vec<Account>, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT username, role, department_id, disabled FROM staff_accounts ORDER BY role, username",
    )?;
    let rows = stmt.query_map((), account_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?.into_iter().filter_map(to_account).collect())
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccountError {
    #[error("an account named {0} already exists")]
    Exists(String),
    #[error("no account named {0}")]
    NoSuch(String),
    #[error("{0}")]
    Invalid(String),
    #[error("database: {0}")]
    Db(String),
}

impl From<crate::sql::Error> for AccountError {
    fn from(e: crate::sql::Error) -> Self {
        AccountError::Db(e.to_string())
    }
}

impl From<ApiError> for AccountError {
    fn from(e: ApiError) -> Self {
        AccountError::Db(e.to_string())
    }
}

/// Create an account with an already hashed password.
pub fn add(conn: &Conn, username: &str, role: &AccountRole, hash: &str) -> Result<(), AccountError> {
    check_username(username).map_err(AccountError::Invalid)?;
    let now = stamp(Utc::now());
    let exists: bool =
        conn.query_row("SELECT COUNT(*) FROM staff_accounts WHERE username = ?1", [username], |r| r.get(0))?;
    if exists {
        return Err(AccountError::Exists(username.to_owned()));
    }
    // Nothing inserted: another process added the name since the check.
    let added = conn.execute(
        "INSERT INTO staff_accounts (username, role, department_id, password_hash, disabled, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 0, ?5, ?5) ON CONFLICT (username) DO NOTHING",
        params![username, role.name(), role.department(), hash, now],
    )?;
    if added == 0 {
        return Err(AccountError::Exists(username.to_owned()));
    }
    Ok(())
}

/// Disable (or enable again) an account; disabling ends its sessions.
pub fn set_disabled(conn: &Conn, username: &str, disabled: bool) -> Result<(), AccountError> {
    let n = conn.execute(
        "UPDATE staff_accounts SET disabled = ?2, updated_at = ?3 WHERE username = ?1",
        params![username, disabled as i64, stamp(Utc::now())],
    )?;
    if n == 0 {
        return Err(AccountError::NoSuch(username.to_owned()));
    }
    if disabled {
        conn.execute("DELETE FROM staff_sessions WHERE username = ?1", [username])?;
    }
    Ok(())
}

/// Give an account a new password (already hashed); its sessions end.
pub fn reset(conn: &Conn, username: &str, hash: &str) -> Result<(), AccountError> {
    let n = conn.execute(
        "UPDATE staff_accounts SET password_hash = ?2, updated_at = ?3 WHERE username = ?1",
        params![username, hash, stamp(Utc::now())],
    )?;
    if n == 0 {
        return Err(AccountError::NoSuch(username.to_owned()));
    }
    conn.execute("DELETE FROM staff_sessions WHERE username = ?1", [username])?;
    Ok(())
}

/// Create the `--demo` accounts that are missing; returns how many were made.
pub fn seed_demo(conn: &Conn) -> Result<usize, AccountError> {
    let mut made = 0;
    for (username, role, dept) in DEMO_ACCOUNTS {
        let role = AccountRole::parse(role, dept).map_err(AccountError::Invalid)?;
        match add(conn, username, &role, DEMO_PASSWORD_HASH) {
            Ok(()) => made += 1,
            Err(AccountError::Exists(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(made)
}

/// A signed-in browser's session.
#[derive(Debug, Clone)]
pub struct Session {
    pub account: Account,
    pub csrf: String,
    pub token_hash: String,
}

fn token_hash(token: &str) -> String {
    crate::open311::submit::hex(&Sha256::digest(token.as_bytes()))
}

fn random_token() -> Result<String, ApiError> {
    Ok(format!("{}{}", random_id()?, random_id()?))
}

/// Start a session for `username` at `now` (Unix seconds); returns the cookie's token.
pub fn create_session(conn: &Conn, username: &str, now: i64) -> Result<String, ApiError> {
    conn.execute(
        "DELETE FROM staff_sessions WHERE expires_at <= ?1 OR last_seen <= ?2",
        params![now, now - SESSION_IDLE],
    )?;
    let token = random_token()?;
    conn.execute(
        "INSERT INTO staff_sessions (token_hash, username, csrf, created_at, last_seen, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
        params![token_hash(&token), username, random_token()?, now, now + SESSION_MAX],
    )?;
    Ok(token)
}

/// The live session of a cookie's token at `now`, its last use moved to now; `None` when unknown,
/// expired, idle too long, or its account is disabled.
pub fn session(conn: &Conn, token: &str, now: i64) -> Result<Option<Session>, ApiError> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let hash = token_hash(token);
    let row = conn
        .prepare_cached(
            "SELECT a.username, a.role, a.department_id, a.disabled, s.csrf, s.last_seen, s.expires_at
             FROM staff_sessions s JOIN staff_accounts a ON a.username = s.username
             WHERE s.token_hash = ?1",
        )?
        .query_row([&hash], |r| {
            Ok((account_row(r)?, r.get::<_, String>(4)?, r.get::<_, i64>(5)?, r.get::<_, i64>(6)?))
        })
        .optional()?;
    let Some((account, csrf, last_seen, expires_at)) = row else { return Ok(None) };
    let Some(account) = to_account(account) else { return Ok(None) };
    if account.disabled || now >= expires_at || now - last_seen >= SESSION_IDLE {
        conn.execute("DELETE FROM staff_sessions WHERE token_hash = ?1", [&hash])?;
        return Ok(None);
    }
    conn.execute("UPDATE staff_sessions SET last_seen = ?2 WHERE token_hash = ?1", params![&hash, now])?;
    Ok(Some(Session { account, csrf, token_hash: hash }))
}

pub fn end_session(conn: &Conn, token_hash: &str) -> Result<(), ApiError> {
    conn.execute("DELETE FROM staff_sessions WHERE token_hash = ?1", [token_hash])?;
    Ok(())
}

/// A new bearer token of the staff API for `username`'s account (shown once: only its hash is
/// kept); it acts with the account's role.
pub fn create_token(conn: &Conn, username: &str, label: Option<&str>) -> Result<String, AccountError> {
    if get(conn, username)?.is_none() {
        return Err(AccountError::NoSuch(username.to_owned()));
    }
    let token = format!("bld_{}", random_token()?);
    conn.execute(
        "INSERT INTO staff_tokens (token_hash, username, label, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![token_hash(&token), username, label, stamp(Utc::now())],
    )?;
    Ok(token)
}

/// Revoke every token of an account; returns how many.
pub fn revoke_tokens(conn: &Conn, username: &str) -> Result<usize, AccountError> {
    Ok(conn.execute("DELETE FROM staff_tokens WHERE username = ?1", [username])?)
}

/// The enabled account a bearer token belongs to (its last use noted), if any.
pub fn token_account(conn: &Conn, token: &str) -> Result<Option<Account>, ApiError> {
    if !token.starts_with("bld_") || token.len() > 128 {
        return Ok(None);
    }
    let hash = token_hash(token);
    let row = conn
        .prepare_cached(
            "SELECT a.username, a.role, a.department_id, a.disabled
             FROM staff_tokens t JOIN staff_accounts a ON a.username = t.username WHERE t.token_hash = ?1",
        )?
        .query_row([&hash], account_row)
        .optional()?;
    let Some(account) = row.and_then(to_account).filter(|a| !a.disabled) else { return Ok(None) };
    conn.execute(
        "UPDATE staff_tokens SET last_used_at = ?2 WHERE token_hash = ?1",
        params![hash, stamp(Utc::now())],
    )?;
    Ok(Some(account))
}

/// A staff note on a request, never shown to the citizen.
#[derive(Debug, Clone)]
pub struct Note {
    pub author: String,
    pub body: String,
    pub created_at: String,
}

pub fn add_note(conn: &Conn, request_id: i64, author: &str, body: &str) -> Result<(), ApiError> {
    // The next number and the insert in one write transaction (the caller's, or its own): two
    // processes (or two pooled connections) never take the same number.
    conn.write(|c| {
        let seq: i64 = c.query_row(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM staff_notes WHERE request_id = ?1",
            [request_id],
            |r| r.get(0),
        )?;
        c.execute(
            "INSERT INTO staff_notes (request_id, seq, author, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![request_id, seq, author, body, stamp(Utc::now())],
        )?;
        Ok(())
    })?;
    Ok(())
}

pub fn notes(conn: &Conn, request_id: i64) -> Result<Vec<Note>, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT author, body, created_at FROM staff_notes WHERE request_id = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map([request_id], |r| {
        Ok(Note { author: r.get(0)?, body: r.get(1)?, created_at: r.get(2)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One line of the audit log.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub at: String,
    pub username: String,
    pub action: String,
    pub request_id: Option<i64>,
    pub detail: Option<String>,
    pub client: Option<String>,
}

/// Record who did what (never a password, a phone number or a citizen's name in `detail`).
pub fn audit(
    conn: &Conn,
    username: &str,
    action: &str,
    request_id: Option<i64>,
    detail: Option<&str>,
    client: Option<&str>,
) -> Result<(), ApiError> {
    // As add_note: the next number and the insert in one write transaction.
    conn.write(|c| {
        let seq: i64 = c.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM staff_audit", (), |r| r.get(0))?;
        c.execute(
            "INSERT INTO staff_audit (seq, at, username, action, request_id, detail, client) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![seq, stamp(Utc::now()), username, action, request_id, detail, client],
        )?;
        Ok(())
    })?;
    Ok(())
}

/// The newest `limit` entries, newest first, from before `before` (a `seq`) when given.
pub fn audit_log(conn: &Conn, limit: u32) -> Result<Vec<AuditEntry>, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, username, action, request_id, detail, client FROM staff_audit ORDER BY seq DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok(AuditEntry {
            at: r.get(0)?,
            username: r.get(1)?,
            action: r.get(2)?,
            request_id: r.get(3)?,
            detail: r.get(4)?,
            client: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_hash_is_the_demo_password_and_unknown_users_never_match() {
        assert!(verify_password(Some(DEMO_PASSWORD_HASH), DEMO_PASSWORD));
        assert!(!verify_password(Some(DEMO_PASSWORD_HASH), "baladiya-demo "));
        assert!(!verify_password(None, DEMO_PASSWORD));
        assert!(!verify_password(Some("not a hash"), DEMO_PASSWORD));
    }

    #[test]
    fn sessions_end_when_idle_at_their_age_and_with_their_account() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(dir.path()).unwrap();
        db.with(|c| {
            seed_demo(c).unwrap();
            let t0 = 1_000_000;
            let live = |token: &str, at| session(c, token, at).unwrap().is_some();
            // Used within the idle time, again and again, until its age runs out.
            let a = create_session(c, "water", t0).unwrap();
            let mut at = t0;
            while at + SESSION_IDLE - 1 < t0 + SESSION_MAX {
                at += SESSION_IDLE - 1;
                assert_eq!(live(&a, at), at < t0 + SESSION_MAX, "at {}", at - t0);
            }
            assert!(!live(&a, t0 + SESSION_MAX));
            // Idle too long.
            let b = create_session(c, "water", t0).unwrap();
            assert!(!live(&b, t0 + SESSION_IDLE));
            // Ended by a disabled account or a new password; a made-up token is nothing.
            let d = create_session(c, "water", t0).unwrap();
            set_disabled(c, "water", true).unwrap();
            assert!(!live(&d, t0 + 1));
            set_disabled(c, "water", false).unwrap();
            let e = create_session(c, "water", t0).unwrap();
            reset(c, "water", DEMO_PASSWORD_HASH).unwrap();
            assert!(!live(&e, t0 + 1));
            assert!(!live("0".repeat(64).as_str(), t0));
            // Only the token's hash is stored.
            let f = create_session(c, "water", t0).unwrap();
            let stored: i64 = c
                .query_row("SELECT COUNT(*) FROM staff_sessions WHERE token_hash = ?1", [&f], |r| r.get(0))
                .unwrap();
            assert_eq!(stored, 0);
        });
    }

    #[test]
    fn roles_and_departments_go_together() {
        assert_eq!(
            AccountRole::parse("department", Some("water")),
            Ok(AccountRole::Department("water".into()))
        );
        assert!(AccountRole::parse("department", None).is_err());
        assert!(AccountRole::parse("verifier", Some("water")).is_err());
        assert!(AccountRole::parse("root", None).is_err());
        assert!(hash_password("short").is_err());
    }
}
