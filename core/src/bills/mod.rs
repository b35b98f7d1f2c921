//! Bill lookup with a verification factor, saved accounts with nicknames, and the last statement
//! of each saved account kept for offline use.
//!
//! What is stored, and why: for a saved account, the account number, its nickname, the last
//! statement with the time it was fetched, and a salted SHA-256 of the verification factor. The
//! factor itself is never stored: an online lookup always asks for it, and the offline copy is
//! shown only when the factor typed matches the hash. (A phone number has few digits, so the hash
//! keeps it from casual reading of the file, not from a determined attacker holding it; the file
//! lives in the app's private storage.) Unsaved lookups are never written to disk.

use reqwest::Method;
use rusqlite::{params, Connection, OptionalExtension};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use baladiya_wire::{BillStatement, VerificationInfo};

use crate::api::ApiClient;
use crate::error::{Error, Result};
use crate::text::ascii_digits;

/// Account numbers are 8 digits (the municipality's format).
pub const ACCOUNT_DIGITS: usize = 8;
/// The header that carries the verification factor (never the URL, which servers log).
pub const VERIFICATION_HEADER: &str = "X-Baladiya-Verification";

/// A statement and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct BillLookup {
    pub statement: BillStatement,
    /// When the statement was fetched from the server (unix ms).
    pub fetched_at: i64,
    /// True when the network was unavailable and this is the saved offline copy.
    pub stale: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SavedAccount {
    pub account: String,
    pub nickname: String,
    /// When its offline copy was fetched, if there is one.
    pub fetched_at: Option<i64>,
}

/// An account number as typed (any digit script, spaces, dashes) → its 8 digits.
pub fn normalize_account(raw: &str) -> Result<String> {
    let allowed =
        raw.chars().all(|c| c.is_whitespace() || c == '-' || ascii_digits(&c.to_string()).len() == 1);
    let digits = ascii_digits(raw);
    if !allowed || digits.len() != ACCOUNT_DIGITS {
        return Err(Error::validation("account", format!("an account number has {ACCOUNT_DIGITS} digits")));
    }
    Ok(digits)
}

/// The verification factor as typed → what is sent: digits only for a phone or an id number
/// (a leading + kept). Empty input is refused.
pub fn normalize_verification(raw: &str) -> Result<String> {
    let digits = ascii_digits(raw);
    if digits.len() < 6 || digits.len() > 15 {
        return Err(Error::validation(
            "verification",
            "type the phone number (or id number) registered on the account",
        ));
    }
    Ok(if raw.trim_start().starts_with('+') { format!("+{digits}") } else { digits })
}

fn verifier(salt: &[u8], secret: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(secret.as_bytes());
    h.finalize().to_vec()
}

/// Compare without an early exit, so timing says nothing about how much matched.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `GET /api/v1/bills/verification`.
pub async fn verification_info(api: &ApiClient) -> Result<VerificationInfo> {
    get_json(api, "api/v1/bills/verification", None).await
}

async fn get_json<T: DeserializeOwned>(api: &ApiClient, path: &str, secret: Option<&str>) -> Result<T> {
    let mut req = api.request(Method::GET, path)?;
    if let Some(s) = secret {
        req = req.header(VERIFICATION_HEADER, s);
    }
    let resp = api.send(req).await?;
    resp.check_status()?;
    resp.json()
}

/// Fetch a statement (both inputs already normalised). A wrong factor and an unknown account are
/// the same `Unauthorized` (the server does not say which).
pub async fn fetch(api: &ApiClient, account: &str, secret: &str) -> Result<BillStatement> {
    get_json(api, &format!("api/v1/bills/{account}"), Some(secret)).await
}

/// Keep the fresh statement of a saved account (and refresh its verifier). Unsaved: nothing.
pub fn remember(
    conn: &Connection,
    account: &str,
    secret: &str,
    statement: &BillStatement,
    now: i64,
) -> Result<()> {
    let doc = serde_json::to_string(statement).map_err(|e| Error::Storage(e.to_string()))?;
    let salt = uuid::Uuid::new_v4().as_bytes().to_vec();
    conn.execute(
        "UPDATE bill_accounts SET statement = ?2, fetched_at = ?3, verifier_salt = ?4, verifier_hash = ?5 WHERE account = ?1",
        params![account, doc, now, salt, verifier(&salt, secret)],
    )?;
    Ok(())
}

/// Salt, hash, statement JSON and when it was fetched.
type OfflineRow = (Vec<u8>, Vec<u8>, Option<String>, Option<i64>);

/// The offline copy of a saved account, if the factor matches what was verified online.
pub fn offline_copy(conn: &Connection, account: &str, secret: &str) -> Result<Option<BillLookup>> {
    let row: Option<OfflineRow> = conn
        .prepare_cached("SELECT verifier_salt, verifier_hash, statement, fetched_at FROM bill_accounts WHERE account = ?1")?
        .query_row([account], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let Some((salt, hash, Some(doc), Some(fetched_at))) = row else { return Ok(None) };
    if !same(&verifier(&salt, secret), &hash) {
        return Err(Error::Unauthorized);
    }
    let statement = serde_json::from_str(&doc).map_err(|e| Error::Storage(e.to_string()))?;
    Ok(Some(BillLookup { statement, fetched_at, stale: true }))
}

/// Save (or rename) an account after a successful online lookup.
pub fn save(
    conn: &Connection,
    account: &str,
    nickname: &str,
    secret: &str,
    statement: &BillStatement,
    now: i64,
) -> Result<()> {
    let nickname = nickname.trim();
    if nickname.is_empty() || nickname.chars().count() > 40 {
        return Err(Error::validation("nickname", "1 to 40 characters, e.g. home, shop, parents"));
    }
    let salt = uuid::Uuid::new_v4().as_bytes().to_vec();
    let doc = serde_json::to_string(statement).map_err(|e| Error::Storage(e.to_string()))?;
    conn.execute(
        "INSERT INTO bill_accounts (account, nickname, verifier_salt, verifier_hash, statement, fetched_at, saved_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
         ON CONFLICT(account) DO UPDATE SET nickname = excluded.nickname, verifier_salt = excluded.verifier_salt,
            verifier_hash = excluded.verifier_hash, statement = excluded.statement, fetched_at = excluded.fetched_at",
        params![account, nickname, salt, verifier(&salt, secret), doc, now],
    )?;
    Ok(())
}

pub fn list(conn: &Connection) -> Result<Vec<SavedAccount>> {
    Ok(conn
        .prepare_cached("SELECT account, nickname, fetched_at FROM bill_accounts ORDER BY saved_at")?
        .query_map([], |r| {
            Ok(SavedAccount { account: r.get(0)?, nickname: r.get(1)?, fetched_at: r.get(2)? })
        })?
        .collect::<Result<_, _>>()?)
}

/// Forget a saved account and its offline copy.
pub fn forget(conn: &Connection, account: &str) -> Result<bool> {
    Ok(conn.execute("DELETE FROM bill_accounts WHERE account = ?1", [account])? > 0)
}

pub fn forget_all(conn: &Connection) -> Result<u32> {
    Ok(conn.execute("DELETE FROM bill_accounts", [])? as u32)
}

/// Bills as a feature service: lookups with verification, saved accounts and their offline copy.
pub struct Bills {
    store: std::sync::Arc<crate::store::Store>,
    api: std::sync::Arc<ApiClient>,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
}

impl Bills {
    pub fn new(
        store: std::sync::Arc<crate::store::Store>,
        api: std::sync::Arc<ApiClient>,
        clock: std::sync::Arc<dyn crate::clock::Clock>,
    ) -> Bills {
        Bills { store, api, clock }
    }

    /// What the app must ask for beside the account number (`phone` or `national_id`).
    pub async fn verification(&self) -> Result<VerificationInfo> {
        verification_info(&self.api).await
    }

    /// Look a bill up. Input is normalised (digits of any script, spaces, dashes) and the account
    /// number's form checked before any request. Online, the fresh statement also refreshes the
    /// offline copy of a saved account; offline, a saved account's copy is returned (`stale`,
    /// with its date) if the factor matches the one verified online.
    pub async fn lookup(&self, account: &str, verification: &str) -> Result<BillLookup> {
        let account = normalize_account(account)?;
        let secret = normalize_verification(verification)?;
        match fetch(&self.api, &account, &secret).await {
            Ok(statement) => {
                let now = self.clock.now_ms();
                self.store.write(|tx| remember(tx, &account, &secret, &statement, now))?;
                Ok(BillLookup { statement, fetched_at: now, stale: false })
            }
            Err(e @ (Error::Offline | Error::Timeout | Error::Network(_) | Error::Server { .. })) => {
                match self.store.read(|c| offline_copy(c, &account, &secret))? {
                    Some(copy) => Ok(copy),
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Save an account under a nickname after verifying it online; its statement is kept for
    /// offline use.
    pub async fn save(&self, account: &str, nickname: &str, verification: &str) -> Result<BillLookup> {
        let account = normalize_account(account)?;
        let secret = normalize_verification(verification)?;
        if nickname.trim().is_empty() {
            return Err(Error::validation("nickname", "give the account a name, e.g. home"));
        }
        let statement = fetch(&self.api, &account, &secret).await?;
        let now = self.clock.now_ms();
        self.store.write(|tx| save(tx, &account, nickname, &secret, &statement, now))?;
        Ok(BillLookup { statement, fetched_at: now, stale: false })
    }

    pub fn saved(&self) -> Result<Vec<SavedAccount>> {
        self.store.read(list)
    }

    /// Forget every saved account and its offline copy; how many there were.
    pub fn forget_all(&self) -> Result<u32> {
        self.store.write(|tx| forget_all(tx))
    }

    /// Forget a saved account and its offline copy.
    pub fn forget(&self, account: &str) -> Result<()> {
        let account = normalize_account(account)?;
        if !self.store.write(|tx| forget(tx, &account))? {
            return Err(Error::NotFound("saved account".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_numbers_in_any_digits() {
        assert_eq!(normalize_account("١٢٣٤-٥٦٧٨").unwrap(), "12345678");
        assert_eq!(normalize_account(" 1234 5678 ").unwrap(), "12345678");
        assert_eq!(normalize_account("۱۲۳۴۵۶۷۸").unwrap(), "12345678");
        assert!(matches!(normalize_account("1234567"), Err(Error::Validation { .. })));
        assert!(matches!(normalize_account("1234567a"), Err(Error::Validation { .. })));
        assert_eq!(normalize_verification("٠٥٩٩-١٢٣ ٤٥٦").unwrap(), "0599123456");
        assert_eq!(normalize_verification("+970 599 123456").unwrap(), "+970599123456");
        assert!(normalize_verification("12").is_err());
    }
}
