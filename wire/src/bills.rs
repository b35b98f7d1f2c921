//! Bill lookup: a household's or shop's water, sewage and waste bill with 24 months of history.
//! The statement is personal data: the server gives it only to a caller who proves a verification
//! factor (by default the phone number registered on the account), and the app shows it only then.

use serde::{Deserialize, Serialize};

use crate::Localized;

/// `GET /api/v1/bills/verification`: what the app must ask for beside the account number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct VerificationInfo {
    /// `phone` (the number registered on the account) or `national_id` (the holder's id number).
    pub kind: String,
    pub label: Localized,
    /// The header that carries it on `GET /api/v1/bills/{account}` (never a URL, which is logged).
    pub header: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum BillLineKind {
    /// One block of the tiered water tariff.
    WaterTier,
    Sewage,
    /// Waste collection / cleaning fee.
    Waste,
    Arrears,
    Discount,
    LateFee,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct BillLine {
    pub kind: BillLineKind,
    pub label: Localized,
    /// Cubic metres billed on this line (water tiers, sewage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_m3: Option<i64>,
    /// Price per cubic metre in minor units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_minor: Option<i64>,
    /// Negative for a discount.
    pub amount_minor: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum PaymentStatus {
    Paid,
    PartlyPaid,
    Unpaid,
}

/// One month's bill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Bill {
    /// `YYYY-MM`.
    pub period: String,
    /// `YYYY-MM-DD`.
    pub issued_on: String,
    pub due_date: String,
    /// Meter readings in m³.
    pub meter_previous: i64,
    pub meter_current: i64,
    pub consumption_m3: i64,
    pub lines: Vec<BillLine>,
    pub total_minor: i64,
    pub paid_minor: i64,
    pub status: PaymentStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Payment {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub amount_minor: i64,
    pub place: Localized,
}

/// `GET /api/v1/bills/{account}` with the verification header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct BillStatement {
    pub account: String,
    /// `household` or `commercial`.
    pub account_type: String,
    /// The holder's name, masked (first letters only): enough to recognise, not to learn.
    pub holder_masked: String,
    /// Neighbourhood of the property.
    pub area: Localized,
    pub currency: String,
    pub current: Bill,
    /// Up to 24 earlier months, newest first.
    pub history: Vec<Bill>,
    /// Newest first.
    pub payments: Vec<Payment>,
    /// Owed from before the current bill, carried onto it as a line.
    pub arrears_minor: i64,
    /// Everything owed now: what is unpaid of the current bill, which carries earlier arrears as
    /// a line (`arrears_minor`), so they count once.
    pub total_due_minor: i64,
    pub how_to_pay: Vec<Localized>,
}
