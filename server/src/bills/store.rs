//! Accounts, bills and payments in the server's database.

use crate::sql::{params, Conn, OptionalExt};
use baladiya_wire::{Bill, BillLineKind, BillStatement, Localized, Payment};

use super::sample::{self, SampleAccounts};
use super::verify::{self, VerificationKind};
use crate::error::ApiError;

/// Load the sample accounts with bills generated for `today`, if there are no accounts yet.
pub fn seed_if_empty(conn: &Conn, s: &SampleAccounts, today: chrono::NaiveDate) -> Result<bool, ApiError> {
    // Checked inside the write transaction: of two processes starting on one database, one seeds.
    let tx = conn.transaction()?;
    let count: i64 = tx.query_row("SELECT COUNT(*) FROM bill_accounts", (), |r| r.get(0))?;
    if count > 0 {
        return Ok(false);
    }
    tx.execute(
        "INSERT INTO bill_settings (key, doc) VALUES ('how_to_pay', ?1)
         ON CONFLICT (key) DO UPDATE SET doc = excluded.doc",
        [serde_json::to_string(&s.how_to_pay)?],
    )?;
    tx.execute(
        "INSERT INTO bill_settings (key, doc) VALUES ('currency', ?1) ON CONFLICT (key) DO UPDATE SET doc = excluded.doc",
        [&s.currency],
    )?;
    for a in &s.accounts {
        let factor = |kind: VerificationKind, raw: &str| {
            kind.normalise(raw).map(|n| verify::to_hex(&verify::digest(&a.account, kind, &n)))
        };
        tx.execute(
            "INSERT INTO bill_accounts (account, account_type, holder_masked, area, phone_digest, national_id_digest)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                a.account,
                a.account_type,
                sample::mask_name(&a.holder),
                serde_json::to_string(&s.areas[&a.area])?,
                factor(VerificationKind::Phone, &a.phone),
                factor(VerificationKind::NationalId, &a.national_id),
            ],
        )?;
        let g = sample::generate(s, a, today);
        for b in &g.bills {
            tx.execute(
                "INSERT INTO bill_periods (account, period, doc) VALUES (?1, ?2, ?3)",
                params![a.account, b.period, serde_json::to_string(b)?],
            )?;
        }
        for (seq, p) in g.payments.iter().enumerate() {
            tx.execute(
                "INSERT INTO bill_payments (account, seq, paid_on, doc) VALUES (?1, ?2, ?3, ?4)",
                params![a.account, seq as i64, p.date, serde_json::to_string(p)?],
            )?;
        }
    }
    tx.commit()?;
    Ok(true)
}

/// The stored digest of `account`'s factor of `kind`: `Ok(None)` for an unknown account and for
/// an account without that factor alike.
pub fn factor_digest(
    conn: &Conn,
    account: &str,
    kind: VerificationKind,
) -> Result<Option<[u8; 32]>, ApiError> {
    let row: Option<(Option<String>, Option<String>)> = conn
        .prepare_cached("SELECT phone_digest, national_id_digest FROM bill_accounts WHERE account = ?1")?
        .query_row([account], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let stored = row.and_then(|(phone, national_id)| match kind {
        VerificationKind::Phone => phone,
        VerificationKind::NationalId => national_id,
    });
    Ok(verify::from_hex(stored.as_deref()))
}

/// The statement of a verified account: the newest bill, up to 24 before it, every payment in
/// that time, and what is owed now.
pub fn statement(conn: &Conn, account: &str) -> Result<Option<BillStatement>, ApiError> {
    let head: Option<(String, String, String)> = conn
        .prepare_cached("SELECT account_type, holder_masked, area FROM bill_accounts WHERE account = ?1")?
        .query_row([account], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((account_type, holder_masked, area)) = head else { return Ok(None) };
    let mut bills: Vec<Bill> = conn
        .prepare_cached("SELECT doc FROM bill_periods WHERE account = ?1 ORDER BY period DESC LIMIT 25")?
        .query_map([account], |r| r.get::<_, String>(0))?
        .map(|d| Ok(serde_json::from_str(&d?)?))
        .collect::<Result<_, ApiError>>()?;
    if bills.is_empty() {
        return Ok(None);
    }
    let current = bills.remove(0);
    let oldest = bills.last().unwrap_or(&current).issued_on.clone();
    let payments: Vec<Payment> = conn
        .prepare_cached(
            "SELECT doc FROM bill_payments WHERE account = ?1 AND paid_on >= ?2 ORDER BY paid_on DESC, seq DESC",
        )?
        .query_map(params![account, oldest], |r| r.get::<_, String>(0))?
        .map(|d| Ok(serde_json::from_str(&d?)?))
        .collect::<Result<_, ApiError>>()?;
    let setting = |key: &str| -> Result<Option<String>, ApiError> {
        Ok(conn
            .prepare_cached("SELECT doc FROM bill_settings WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    };
    let how_to_pay: Vec<Localized> = match setting("how_to_pay")? {
        Some(d) => serde_json::from_str(&d)?,
        None => Vec::new(),
    };
    let currency = setting("currency")?.unwrap_or_else(|| "ILS".into());
    // Arrears are carried onto the current bill as a line; what is owed now is what is left of
    // that bill (arrears included).
    let arrears_minor =
        current.lines.iter().filter(|l| l.kind == BillLineKind::Arrears).map(|l| l.amount_minor).sum();
    let total_due_minor = (current.total_minor - current.paid_minor).max(0);
    Ok(Some(BillStatement {
        account: account.to_owned(),
        account_type,
        holder_masked,
        area: serde_json::from_str(&area)?,
        currency,
        current,
        history: bills,
        payments,
        arrears_minor,
        total_due_minor,
        how_to_pay,
    }))
}
