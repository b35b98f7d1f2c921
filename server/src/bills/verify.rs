//! Normalising what a citizen types (account numbers, phone numbers, id numbers) and checking a
//! verification factor against its stored digest in constant time.
//!
//! The server normalises again whatever the app already did, so any client (and the app before an
//! update) gets the same answer for the same number however it was written: digits of any common
//! script (ASCII, Arabic-Indic ٠١٢, Eastern Arabic-Indic ۰۱۲, and others), spaces, dashes, dots,
//! parentheses, and for phones the `+970` / `00970` / `+972` / `00972` country codes or the `0`
//! trunk prefix: phones are compared on their national significant number (`599123456`).

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Account numbers are exactly this many digits (after normalisation).
pub const ACCOUNT_DIGITS: usize = 8;

/// Which factor proves a caller may read an account's bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VerificationKind {
    /// The mobile or landline number registered on the account.
    #[default]
    Phone,
    /// The account holder's national id number (9 digits).
    NationalId,
}

impl VerificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VerificationKind::Phone => "phone",
            VerificationKind::NationalId => "national_id",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "phone" => Some(VerificationKind::Phone),
            "national_id" => Some(VerificationKind::NationalId),
            _ => None,
        }
    }

    /// The normalised form of a factor of this kind, or `None` when it cannot be one.
    pub fn normalise(self, raw: &str) -> Option<String> {
        match self {
            VerificationKind::Phone => normalise_phone(raw),
            VerificationKind::NationalId => normalise_national_id(raw),
        }
    }
}

/// Zero of each run of decimal digits this server reads (Unicode `Nd` blocks in common use).
const DIGIT_ZEROS: &[u32] = &[
    0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66,
    0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0xA620, 0xA8D0, 0xA900,
    0xA9D0, 0xAA50, 0xABF0, 0xFF10, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6,
];

/// The value of a decimal digit of any of [`DIGIT_ZEROS`]' scripts.
pub fn digit_value(c: char) -> Option<u8> {
    let c = c as u32;
    DIGIT_ZEROS.iter().find(|&&z| (z..z + 10).contains(&c)).map(|z| (c - z) as u8)
}

/// Separators people type inside numbers: spaces of every kind, dashes, dots, slashes, brackets,
/// and the invisible direction marks that Arabic keyboards insert around digits.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '.' | '/' | '(' | ')' | '_' | '\u{200E}' | '\u{200F}'
                | '\u{061C}' | '\u{2066}'..='\u{2069}' | '\u{202A}'..='\u{202E}' | '\u{FEFF}' | '\u{00A0}'
                | '\u{0640}'
        )
}

/// ASCII digits of `raw` with separators dropped; `None` if anything else is in it or it is too
/// long to be a number anyone types.
pub fn digits(raw: &str) -> Option<String> {
    let mut out = String::new();
    for c in raw.chars() {
        if let Some(d) = digit_value(c) {
            out.push(char::from(b'0' + d));
        } else if !is_separator(c) {
            return None;
        }
        if out.len() > 32 {
            return None;
        }
    }
    Some(out)
}

/// An account number in its one form (eight ASCII digits), or `None`.
pub fn normalise_account(raw: &str) -> Option<String> {
    digits(raw).filter(|d| d.len() == ACCOUNT_DIGITS)
}

/// A Palestinian phone number's national significant number: `+970 59-912-3456`,
/// `00970599123456`, `0599 123 456` and `٠٥٩٩١٢٣٤٥٦` all give `599123456`. Mobiles have 9
/// digits (5x…), Gaza landlines 8 (8x…); the country code may be +970 or +972 (both reach
/// Palestinian networks).
pub fn normalise_phone(raw: &str) -> Option<String> {
    let trimmed = raw.trim_start_matches(is_separator);
    let (international, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let mut d = digits(rest)?;
    let country = |d: &str| ["00970", "00972"].iter().find(|p| d.starts_with(*p)).map(|p| p.len());
    if international {
        d = d.strip_prefix("970").or_else(|| d.strip_prefix("972"))?.to_owned();
    } else if let Some(n) = country(&d) {
        d.drain(..n);
    } else if d.len() >= 11 && (d.starts_with("970") || d.starts_with("972")) {
        d.drain(..3);
    }
    let nsn = d.strip_prefix('0').unwrap_or(&d);
    (8..=9).contains(&nsn.len()).then(|| nsn.to_owned())
}

/// A national id number: nine digits (shorter ones are written without their leading zeros).
pub fn normalise_national_id(raw: &str) -> Option<String> {
    let d = digits(raw)?;
    (5..=9).contains(&d.len()).then(|| format!("{d:0>9}"))
}

/// The stored form of a factor: SHA-256 over a domain tag, the account and the normalised value,
/// so equal factors on two accounts have different digests. A phone number has too little entropy
/// for a digest alone to protect it from someone holding the database; what protects factors
/// from guessing over the API is the throttle.
pub fn digest(account: &str, kind: VerificationKind, normalised: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    for part in ["baladiya-bill-factor-v1", account, kind.as_str(), normalised] {
        h.update((part.len() as u32).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().into()
}

pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stored hex digest back to bytes; anything malformed becomes a digest nothing matches.
pub fn from_hex(hex: Option<&str>) -> Option<[u8; 32]> {
    let hex = hex?;
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Does `given` (a digest of what the caller sent) equal `stored`? Constant time in the digest's
/// bytes; an account without the factor (or an unknown account, `None`) is compared against a
/// fixed digest so the work done is the same.
pub fn matches(given: &[u8; 32], stored: Option<&[u8; 32]>) -> bool {
    const NOTHING: [u8; 32] = [0; 32];
    let (expected, present) = match stored {
        Some(s) => (s, 1u8),
        None => (&NOTHING, 0u8),
    };
    bool::from(given.ct_eq(expected) & present.ct_eq(&1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_compare_on_the_national_significant_number() {
        for raw in [
            "0599123456",
            "0599 123 456",
            "059-912-3456",
            "+970 599 123 456",
            "+970599123456",
            "00970599123456",
            "+972-599-123-456",
            "970599123456",
            "٠٥٩٩١٢٣٤٥٦",
            "۰۵۹۹ ۱۲۳ ۴۵۶",
            "\u{200F}٠٥٩٩-١٢٣-٤٥٦",
            "\u{200F}+٩٧٠ ٥٩٩ ١٢٣ ٤٥٦",
            "(059) 912 3456",
        ] {
            assert_eq!(normalise_phone(raw).as_deref(), Some("599123456"), "{raw}");
        }
        assert_eq!(normalise_phone("08 282 1234").as_deref(), Some("82821234"));
        for bad in ["", "12345", "0599x23456", "+1 555 123 4567", "05991234567890", "+"] {
            assert_eq!(normalise_phone(bad), None, "{bad}");
        }
    }

    #[test]
    fn accounts_and_ids() {
        assert_eq!(normalise_account("1023-4518").as_deref(), Some("10234518"));
        assert_eq!(normalise_account("١٠٢٣٤٥١٨").as_deref(), Some("10234518"));
        assert_eq!(normalise_account(" 1023 4518 ").as_deref(), Some("10234518"));
        assert_eq!(normalise_account("1023451"), None);
        assert_eq!(normalise_account("102345189"), None);
        assert_eq!(normalise_account("1023451a"), None);
        assert_eq!(normalise_account("../../etc"), None);
        assert_eq!(normalise_national_id("٤٠١ ٢٣٤ ٥٦٧").as_deref(), Some("401234567"));
        assert_eq!(normalise_national_id("12345678").as_deref(), Some("012345678"));
        assert_eq!(normalise_national_id("1234"), None);
    }

    #[test]
    fn digests_are_per_account_and_compared_whole() {
        let a = digest("10234518", VerificationKind::Phone, "599123456");
        let b = digest("10234519", VerificationKind::Phone, "599123456");
        assert_ne!(a, b);
        assert!(matches(&a, Some(&a)));
        assert!(!matches(&a, Some(&b)));
        assert!(!matches(&[0; 32], None));
        assert_eq!(from_hex(Some(&to_hex(&a))), Some(a));
        assert_eq!(from_hex(Some("zz")), None);
    }
}
