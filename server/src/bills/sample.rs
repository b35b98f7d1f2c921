//! The sample accounts (`server/data/sample-accounts.json`, labelled sample data) and the
//! deterministic generation of their bills.
//!
//! The file describes each account compactly (type, area, base consumption in m³, the meter
//! reading before the first bill, how the holder pays, a social-case discount, arrears carried in
//! from before); [`generate`] turns a description and a date into the 25 monthly bills (the
//! current one and 24 months of history) and the payments on them. The same description and date
//! always give the same bills: consumption follows a seasonal curve (more in summer) with a
//! ±10 % wobble drawn from a hash of the account and the month, never from a random source.
//!
//! The billing cycle: the bill for month `P` (consumption in `P`) is issued on day `bill_day` of
//! the next month and is due one month later, on the day the next bill is issued. What is unpaid
//! then is carried onto the next bill as an arrears line, with a flat late fee. The current bill
//! is the newest one issued on or before the seeding date. Payments made on a bill are attributed
//! to it; nobody overpays, so no credit is carried.
//!
//! Three accounts to try (verification by phone, the default; national id in brackets):
//!
//! | account | phone | type | what it shows |
//! | --- | --- | --- | --- |
//! | `10234518` | `0599 123 456` | household, Al-Rimal | pays in full each month (national id `401234562`) |
//! | `10561203` | `0567 654 321` | household, Al-Shuja'iyya | 50 % social-case discount, arrears carried in, pays 60 % each month: partly paid bills, late fees |
//! | `20873315` | `0598 765 432` | commercial bakery, Al-Daraj | higher tariff; about one bill in three is paid only with the next: arrears and late fees |

use std::collections::BTreeMap;

use baladiya_wire::{Bill, BillLine, BillLineKind, Localized, Payment, PaymentStatus};
use chrono::{Datelike, Months, NaiveDate};
use serde::Deserialize;

/// How many bills each account has: the current one and 24 months of history.
pub const MONTHS: u32 = 25;

#[derive(Debug, Deserialize)]
pub struct SampleAccounts {
    pub currency: String,
    /// Day of the month bills are issued (1..=28); a bill is due on the next issue day.
    pub bill_day: u32,
    /// Added to a bill that carries an unpaid balance from the previous one.
    pub late_fee_minor: i64,
    pub tariffs: BTreeMap<String, Tariff>,
    /// Consumption relative to the base, per calendar month (January first), in percent.
    pub seasonal_percent: [i64; 12],
    pub areas: BTreeMap<String, Localized>,
    pub places: BTreeMap<String, Localized>,
    pub how_to_pay: Vec<Localized>,
    pub accounts: Vec<AccountSeed>,
}

#[derive(Debug, Deserialize)]
pub struct Tariff {
    /// Blocks of the water tariff in rising order; the last one has no upper bound.
    pub tiers: Vec<Tier>,
    pub sewage_per_m3_minor: i64,
    /// Monthly waste collection and cleaning fee.
    pub waste_fee_minor: i64,
}

#[derive(Debug, Deserialize)]
pub struct Tier {
    /// The block covers consumption up to this many m³ (inclusive); `null` for the last.
    pub up_to_m3: Option<i64>,
    pub rate_minor: i64,
}

#[derive(Debug, Deserialize)]
pub struct AccountSeed {
    pub account: String,
    /// `household` or `commercial` (a key of `tariffs`).
    #[serde(rename = "type")]
    pub account_type: String,
    /// The holder's full name (invented); only its masked form is stored.
    pub holder: String,
    /// A key of `areas`.
    pub area: String,
    pub phone: String,
    pub national_id: String,
    pub base_m3: i64,
    pub meter_start: i64,
    /// `prompt` (pays each bill in full within two weeks), `partial:P` (pays P % of each bill),
    /// `late` (pays in full, but about one month in three only with the next bill),
    /// `every:N` (pays the whole balance every N months), `stopped:K` (prompt until K months ago,
    /// nothing since).
    pub payer: String,
    /// A key of `places`: where the holder usually pays.
    pub place: String,
    /// Social-case discount on the water charge, in percent.
    #[serde(default)]
    pub discount_pct: i64,
    /// Owed from before the first bill generated.
    #[serde(default)]
    pub opening_arrears_minor: i64,
}

/// The sample file, checked.
pub fn sample() -> Result<SampleAccounts, String> {
    let s: SampleAccounts = serde_json::from_str(include_str!("../../data/sample-accounts.json"))
        .map_err(|e| format!("sample-accounts.json: {e}"))?;
    check(&s)?;
    Ok(s)
}

fn check(s: &SampleAccounts) -> Result<(), String> {
    if !(1..=28).contains(&s.bill_day) {
        return Err("bill_day: 1 to 28".into());
    }
    for (name, t) in &s.tariffs {
        let bounded = t.tiers.iter().take(t.tiers.len().saturating_sub(1));
        if t.tiers.is_empty()
            || bounded.clone().any(|b| b.up_to_m3.is_none())
            || t.tiers.last().is_some_and(|b| b.up_to_m3.is_some())
            || bounded.map(|b| b.up_to_m3.unwrap_or(0)).collect::<Vec<_>>().windows(2).any(|w| w[0] >= w[1])
        {
            return Err(format!("tariff {name}: tiers must rise and end unbounded"));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for a in &s.accounts {
        let fail = |what: &str| Err(format!("account {}: {what}", a.account));
        if super::verify::normalise_account(&a.account).as_deref() != Some(a.account.as_str()) {
            return fail("not eight digits");
        }
        if !seen.insert(&a.account) {
            return fail("duplicate");
        }
        if !s.tariffs.contains_key(&a.account_type)
            || !["household", "commercial"].contains(&a.account_type.as_str())
        {
            return fail("type");
        }
        if !s.areas.contains_key(&a.area) || !s.places.contains_key(&a.place) {
            return fail("area or place");
        }
        if super::verify::normalise_phone(&a.phone).is_none()
            || super::verify::normalise_national_id(&a.national_id).is_none()
        {
            return fail("phone or national id");
        }
        if Payer::parse(&a.payer).is_none() || !(0..=100).contains(&a.discount_pct) || a.base_m3 < 0 {
            return fail("payer, discount or base");
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Payer {
    Prompt,
    Partial(i64),
    Late,
    Every(u32),
    Stopped(u32),
}

impl Payer {
    fn parse(s: &str) -> Option<Payer> {
        let (name, arg) = s.split_once(':').map_or((s, None), |(n, a)| (n, a.parse::<u32>().ok()));
        match (name, arg) {
            ("prompt", None) => Some(Payer::Prompt),
            ("late", None) => Some(Payer::Late),
            ("partial", Some(p)) if (1..100).contains(&p) => Some(Payer::Partial(p.into())),
            ("every", Some(n)) if n >= 1 => Some(Payer::Every(n)),
            ("stopped", Some(k)) if k >= 1 => Some(Payer::Stopped(k)),
            _ => None,
        }
    }
}

/// The bills (oldest first) and payments (oldest first) of one account.
pub struct Generated {
    pub bills: Vec<Bill>,
    pub payments: Vec<Payment>,
}

/// A small deterministic generator (SplitMix64) seeded from the account and the month.
struct Rng(u64);

impl Rng {
    fn new(account: &str, period: &str, salt: &str) -> Self {
        // FNV-1a of the inputs.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in account.bytes().chain([0]).chain(period.bytes()).chain([0]).chain(salt.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        Rng(h)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
}

/// The first day of the month of the newest bill issued on or before `today`.
pub fn current_period(today: NaiveDate, bill_day: u32) -> NaiveDate {
    let month_start = today.with_day(1).unwrap_or(today);
    let back = if today.day() >= bill_day { 1 } else { 2 };
    month_start - Months::new(back)
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn ils(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

/// The 25 bills of `a` up to the one current on `today`, and the payments made by `today`.
pub fn generate(s: &SampleAccounts, a: &AccountSeed, today: NaiveDate) -> Generated {
    let tariff = &s.tariffs[&a.account_type];
    let payer = Payer::parse(&a.payer).unwrap_or(Payer::Prompt);
    let place = &s.places[&a.place];
    let other_places: Vec<&Localized> = s.places.values().collect();
    let newest = current_period(today, s.bill_day);
    let mut meter = a.meter_start;
    let mut carried = a.opening_arrears_minor;
    let mut bills = Vec::new();
    let mut payments = Vec::new();
    for i in 0..MONTHS {
        let period_start = newest - Months::new(MONTHS - 1 - i);
        let period = period_start.format("%Y-%m").to_string();
        let issued = (period_start + Months::new(1)).with_day(s.bill_day).unwrap_or(period_start);
        let due = issued + Months::new(1);
        let mut rng = Rng::new(&a.account, &period, "bill");

        let season = s.seasonal_percent[period_start.month0() as usize];
        let wobble = rng.range(90, 110);
        let consumption = (a.base_m3 * season * wobble + 5_000) / 10_000;
        let previous = meter;
        meter += consumption;

        let mut lines = Vec::new();
        let mut water = 0;
        let mut lower = 0;
        for (n, tier) in tariff.tiers.iter().enumerate() {
            let upper = tier.up_to_m3.unwrap_or(i64::MAX);
            let qty = consumption.min(upper) - lower;
            if qty <= 0 {
                break;
            }
            let amount = qty * tier.rate_minor;
            water += amount;
            let range = match tier.up_to_m3 {
                Some(u) => format!("{}–{u}", lower + 1),
                None => format!("> {lower}"),
            };
            lines.push(BillLine {
                kind: BillLineKind::WaterTier,
                label: Localized {
                    ar: format!("مياه — الشريحة {} ({range} م³)", n + 1),
                    en: format!("Water — block {} ({range} m³)", n + 1),
                },
                quantity_m3: Some(qty),
                rate_minor: Some(tier.rate_minor),
                amount_minor: amount,
            });
            lower = upper;
        }
        if consumption > 0 {
            lines.push(BillLine {
                kind: BillLineKind::Sewage,
                label: Localized { ar: "صرف صحي".into(), en: "Sewage".into() },
                quantity_m3: Some(consumption),
                rate_minor: Some(tariff.sewage_per_m3_minor),
                amount_minor: consumption * tariff.sewage_per_m3_minor,
            });
        }
        lines.push(BillLine {
            kind: BillLineKind::Waste,
            label: Localized {
                ar: "رسوم النظافة وجمع النفايات".into(),
                en: "Waste collection and cleaning fee".into(),
            },
            quantity_m3: None,
            rate_minor: None,
            amount_minor: tariff.waste_fee_minor,
        });
        if a.discount_pct > 0 && water > 0 {
            lines.push(BillLine {
                kind: BillLineKind::Discount,
                label: Localized {
                    ar: format!("خصم الحالات الاجتماعية ({}٪ من رسوم المياه)", a.discount_pct),
                    en: format!("Social-case discount ({} % of the water charge)", a.discount_pct),
                },
                quantity_m3: None,
                rate_minor: None,
                amount_minor: -(water * a.discount_pct / 100),
            });
        }
        if carried > 0 {
            lines.push(BillLine {
                kind: BillLineKind::Arrears,
                label: Localized {
                    ar: "متأخرات من فواتير سابقة".into(),
                    en: "Arrears from earlier bills".into(),
                },
                quantity_m3: None,
                rate_minor: None,
                amount_minor: carried,
            });
            lines.push(BillLine {
                kind: BillLineKind::LateFee,
                label: Localized {
                    ar: format!("غرامة تأخير ({} شيكل)", ils(s.late_fee_minor)),
                    en: format!("Late payment fee (ILS {})", ils(s.late_fee_minor)),
                },
                quantity_m3: None,
                rate_minor: None,
                amount_minor: s.late_fee_minor,
            });
        }
        let total: i64 = lines.iter().map(|l| l.amount_minor).sum();

        let from_end = MONTHS - 1 - i;
        let (pay, day) = match payer {
            Payer::Prompt => (total, rng.range(2, 14)),
            Payer::Partial(p) => ((total * p / 100) / 100 * 100, rng.range(3, 20)),
            // Never two months running: a skipped bill is paid with the next one.
            Payer::Late => (if carried == 0 && rng.range(0, 2) == 0 { 0 } else { total }, rng.range(5, 25)),
            Payer::Every(n) => (if (i + 1) % n == 0 { total } else { 0 }, rng.range(5, 25)),
            Payer::Stopped(k) => (if from_end >= k { total } else { 0 }, rng.range(2, 14)),
        };
        let paid_on = issued + chrono::Days::new(day as u64);
        let paid = if pay > 0 && paid_on <= today { pay.min(total) } else { 0 };
        if paid > 0 {
            let where_ = if rng.range(0, 4) == 0 {
                other_places[rng.range(0, other_places.len() as i64 - 1) as usize]
            } else {
                place
            };
            payments.push(Payment { date: ymd(paid_on), amount_minor: paid, place: where_.clone() });
        }
        let status = if paid >= total {
            PaymentStatus::Paid
        } else if paid > 0 {
            PaymentStatus::PartlyPaid
        } else {
            PaymentStatus::Unpaid
        };
        carried = total - paid;
        bills.push(Bill {
            period,
            issued_on: ymd(issued),
            due_date: ymd(due),
            meter_previous: previous,
            meter_current: meter,
            consumption_m3: consumption,
            lines,
            total_minor: total,
            paid_minor: paid,
            status,
        });
    }
    Generated { bills, payments }
}

/// `محمد أحمد الشوا` → `م*** أ*** الش***`: the first letter of each word (after a leading `ال`),
/// enough for the holder to recognise the account, not enough to learn a name.
pub fn mask_name(name: &str) -> String {
    name.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .map(|w| {
            let (prefix, rest) = match w.strip_prefix("ال") {
                Some(rest) if !rest.is_empty() => ("ال", rest),
                _ => ("", w),
            };
            let first: String = rest.chars().take(1).collect();
            format!("{prefix}{first}***")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_sample_has_50_accounts_of_both_types() {
        let s = sample().unwrap();
        assert_eq!(s.accounts.len(), 50);
        assert!(s.accounts.iter().any(|a| a.account_type == "commercial"));
        assert!(s.accounts.iter().any(|a| a.account_type == "household"));
        assert!(s.accounts.iter().any(|a| a.discount_pct > 0));
        assert!(s.accounts.iter().any(|a| a.opening_arrears_minor > 0));
    }

    #[test]
    fn bills_are_consistent_and_deterministic() {
        let s = sample().unwrap();
        let today = day("2026-11-27");
        let mut saw = std::collections::HashSet::new();
        for a in &s.accounts {
            let g = generate(&s, a, today);
            assert_eq!(g.bills.len(), MONTHS as usize);
            assert_eq!(g.bills.last().unwrap().period, "2026-10");
            assert_eq!(g.bills.last().unwrap().due_date, "2026-12-05");
            for (n, b) in g.bills.iter().enumerate() {
                assert_eq!(b.lines.iter().map(|l| l.amount_minor).sum::<i64>(), b.total_minor);
                assert_eq!(b.meter_current - b.meter_previous, b.consumption_m3);
                let tiers: i64 = b
                    .lines
                    .iter()
                    .filter(|l| l.kind == BillLineKind::WaterTier)
                    .filter_map(|l| l.quantity_m3)
                    .sum();
                assert_eq!(tiers, b.consumption_m3);
                for l in &b.lines {
                    if let (Some(q), Some(r)) = (l.quantity_m3, l.rate_minor) {
                        assert_eq!(q * r, l.amount_minor);
                    }
                }
                if n > 0 {
                    let prev = &g.bills[n - 1];
                    assert_eq!(prev.meter_current, b.meter_previous);
                    let arrears: i64 = b
                        .lines
                        .iter()
                        .filter(|l| l.kind == BillLineKind::Arrears)
                        .map(|l| l.amount_minor)
                        .sum();
                    assert_eq!(arrears, prev.total_minor - prev.paid_minor);
                }
                saw.insert(format!("{:?}", b.status));
                saw.extend(b.lines.iter().map(|l| format!("{:?}", l.kind)));
            }
            let paid: i64 = g.bills.iter().map(|b| b.paid_minor).sum();
            assert_eq!(g.payments.iter().map(|p| p.amount_minor).sum::<i64>(), paid);
            assert!(g.payments.iter().all(|p| p.date.as_str() <= "2026-11-27"));
            let again = generate(&s, a, today);
            assert_eq!(again.bills, g.bills);
        }
        for what in
            ["Paid", "PartlyPaid", "Unpaid", "WaterTier", "Sewage", "Waste", "Arrears", "Discount", "LateFee"]
        {
            assert!(saw.contains(what), "the sample never shows {what}");
        }
    }

    #[test]
    fn current_period_follows_the_issue_day() {
        assert_eq!(current_period(day("2026-11-27"), 5), day("2026-10-01"));
        assert_eq!(current_period(day("2026-11-05"), 5), day("2026-10-01"));
        assert_eq!(current_period(day("2026-11-04"), 5), day("2026-09-01"));
        assert_eq!(current_period(day("2026-01-02"), 5), day("2025-11-01"));
    }

    #[test]
    fn names_are_masked() {
        assert_eq!(mask_name("محمد أحمد الشوا"), "م*** أ*** الش***");
        assert_eq!(mask_name("مخبز الأمل — سمير عاشور"), "م*** الأ*** س*** ع***");
    }
}
