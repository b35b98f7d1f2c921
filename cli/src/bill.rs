//! `baladiya bill ...`: look up a bill, save accounts, forget them.

use baladiya_core::bills::BillLookup;
use baladiya_core::wire::PaymentStatus;
use baladiya_core::Baladiya;
use clap::Subcommand;

use crate::render::{money, Langs};

#[derive(Subcommand)]
pub enum BillCommand {
    /// Look up the current bill and its history (offline: the saved copy, marked stale).
    Show {
        account: String,
        /// The phone number registered on the account (or what the server asks for).
        #[arg(long)]
        verification: String,
        /// How many months of history to print.
        #[arg(long, default_value_t = 6)]
        months: usize,
    },
    /// Save an account under a nickname (verified online first).
    Save {
        account: String,
        #[arg(long)]
        nickname: String,
        #[arg(long)]
        verification: String,
    },
    /// The saved accounts.
    List,
    /// Forget a saved account and its offline copy.
    Forget { account: String },
}

fn status(s: PaymentStatus) -> &'static str {
    match s {
        PaymentStatus::Paid => "paid / مدفوعة",
        PaymentStatus::PartlyPaid => "partly paid / مدفوعة جزئياً",
        PaymentStatus::Unpaid => "unpaid / غير مدفوعة",
    }
}

fn print(b: &BillLookup, months: usize, langs: Langs) {
    let s = &b.statement;
    let fetched =
        chrono::DateTime::from_timestamp_millis(b.fetched_at).map(|d| d.to_rfc3339()).unwrap_or_default();
    if b.stale {
        say!("⚠ offline copy from {fetched} (no network) / نسخة محفوظة");
    }
    say!("account {} ({}) — {}", s.account, s.account_type, s.holder_masked);
    let c = &s.current;
    say!(
        "{}: {} → {} m³ = {} m³, due {}, {}",
        c.period,
        c.meter_previous,
        c.meter_current,
        c.consumption_m3,
        c.due_date,
        status(c.status)
    );
    for l in &c.lines {
        let label = if langs == Langs::En { &l.label.en } else { &l.label.ar };
        let qty = l.quantity_m3.map(|q| format!(" {q} m³")).unwrap_or_default();
        say!("  {label}{qty}: {}", money(l.amount_minor, &s.currency));
    }
    say!("  total {} (paid {})", money(c.total_minor, &s.currency), money(c.paid_minor, &s.currency));
    say!(
        "arrears {} — total due now {}",
        money(s.arrears_minor, &s.currency),
        money(s.total_due_minor, &s.currency)
    );
    for h in s.history.iter().take(months) {
        say!(
            "  {}  {:>4} m³  {:>14}  {}",
            h.period,
            h.consumption_m3,
            money(h.total_minor, &s.currency),
            status(h.status)
        );
    }
    for p in s.payments.iter().take(3) {
        say!("  paid {} on {} at {}", money(p.amount_minor, &s.currency), p.date, p.place.ar);
    }
}

pub async fn run(core: &Baladiya, cmd: BillCommand, langs: Langs) -> Result<(), Box<dyn std::error::Error>> {
    match cmd {
        BillCommand::Show { account, verification, months } => {
            print(&core.lookup_bill(&account, &verification).await?, months, langs)
        }
        BillCommand::Save { account, nickname, verification } => {
            let b = core.save_bill_account(&account, &nickname, &verification).await?;
            say!("saved {} as «{nickname}»", b.statement.account);
        }
        BillCommand::List => {
            for a in core.saved_bill_accounts()? {
                let when = a
                    .fetched_at
                    .and_then(chrono::DateTime::from_timestamp_millis)
                    .map(|d| d.to_rfc3339())
                    .unwrap_or_else(|| "never".into());
                say!("{}  {:<16} offline copy: {when}", a.account, a.nickname);
            }
        }
        BillCommand::Forget { account } => {
            core.forget_bill_account(&account)?;
            say!("forgot {account}");
        }
    }
    Ok(())
}
