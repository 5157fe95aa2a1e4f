//! Cards as the gateway may know them, pure: the brand of a number, the Luhn check,
//! the card month, validated card data (whose `Debug` never shows the number or the
//! CVV) and the only form a number may be kept in, masked to first 6 + last 4.
//!
//! Both the checkout (validating what a customer typed) and every issuer adapter
//! (deciding what to answer) read these rules, so they live here once.

use std::fmt;

/// A card network, detected from the number's prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Brand {
    /// Domestic NAPAS card (`9704…`), paid with method `ATM`.
    Napas,
    /// Visa (`4…`).
    Visa,
    /// Mastercard (`51`–`55`, `2221`–`2720`).
    Mastercard,
    /// JCB (`35…`).
    Jcb,
}

impl Brand {
    /// The `bankCode` of an international brand (`VISA`, `MASTERCARD`, `JCB`).
    pub fn cc_bank_code(self) -> Option<&'static str> {
        match self {
            Brand::Napas => None,
            Brand::Visa => Some("VISA"),
            Brand::Mastercard => Some("MASTERCARD"),
            Brand::Jcb => Some("JCB"),
        }
    }
}

/// The brand of a card number (digits only), `None` when no supported prefix matches.
pub fn brand_of(number: &str) -> Option<Brand> {
    let prefix = |n: usize| number.get(..n).and_then(|p| p.parse::<u32>().ok());
    if number.starts_with("9704") {
        Some(Brand::Napas)
    } else if number.starts_with('4') {
        Some(Brand::Visa)
    } else if matches!(prefix(2), Some(51..=55)) || matches!(prefix(4), Some(2221..=2720)) {
        Some(Brand::Mastercard)
    } else if number.starts_with("35") {
        Some(Brand::Jcb)
    } else {
        None
    }
}

/// The Luhn (mod 10) check of a string of ASCII digits; `false` for anything else or
/// an empty string.
pub fn luhn_valid(number: &str) -> bool {
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let dd = d * 2;
                if dd > 9 { dd - 9 } else { dd }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

/// A card month, `MM/YY` on the card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MonthYear {
    /// Full year (2027).
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
}

impl fmt::Display for MonthYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}/{:02}", self.month, self.year.rem_euclid(100))
    }
}

/// Whether the card is a domestic ATM card or an international credit card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardKind {
    /// Number, holder, issue date.
    Atm,
    /// Number, holder, expiry, CVV.
    Cc,
}

/// Card data as the checkout validated it: digits only, the holder in upper-case
/// ASCII, a well-formed date. `Debug` masks the number and hides the CVV.
#[derive(Clone, PartialEq, Eq)]
pub struct CardData {
    /// ATM or CC.
    pub kind: CardKind,
    /// Digits only.
    pub number: String,
    /// Upper-case ASCII letters and single spaces.
    pub holder: String,
    /// Issue date (ATM) or expiry (CC).
    pub date: MonthYear,
    /// CVV (CC only).
    pub cvv: Option<String>,
}

impl fmt::Debug for CardData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardData")
            .field("kind", &self.kind)
            .field("number", &mask(&self.number))
            .field("date", &self.date)
            .finish_non_exhaustive()
    }
}

/// A card number masked to its first 6 and last 4 digits (`512345******2346`); what
/// the gateway may keep of a card.
pub fn mask(number: &str) -> String {
    let n = number.len();
    if n < 10 || !number.is_ascii() {
        return "*".repeat(n.min(19));
    }
    format!("{}{}{}", &number[..6], "*".repeat(n - 10), &number[n - 4..])
}

/// Which form field an issuer's "invalid" answer is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// Card number.
    Number,
    /// Holder name.
    Holder,
    /// Issue or expiry date.
    Date,
    /// CVV.
    Cvv,
}

/// Wrong OTPs allowed for one transaction, whatever card is tried: the next wrong one
/// fails the payment with 39.
pub const MAX_OTP_ATTEMPTS: u32 = 3;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_and_brands() {
        for row in ["9704229306604047", "9704000000000018", "5123456789012346", "4000000000001075"] {
            assert!(luhn_valid(row), "{row}");
        }
        assert!(!luhn_valid("9704000000000019"));
        assert!(!luhn_valid(""));
        assert!(!luhn_valid("4000 0000"));
        assert_eq!(brand_of("9704229306604047"), Some(Brand::Napas));
        assert_eq!(brand_of("4000000000001075"), Some(Brand::Visa));
        assert_eq!(brand_of("5123456789012346"), Some(Brand::Mastercard));
        assert_eq!(brand_of("2221000000000009"), Some(Brand::Mastercard));
        assert_eq!(brand_of("2720990000000007"), Some(Brand::Mastercard));
        assert_eq!(brand_of("2721000000000004"), None);
        assert_eq!(brand_of("5612345678901234"), None);
        assert_eq!(brand_of("3530111333300000"), Some(Brand::Jcb));
        assert_eq!(brand_of("6011111111111117"), None);
        assert_eq!(Brand::Visa.cc_bank_code(), Some("VISA"));
    }

    #[test]
    fn masking_keeps_six_and_four() {
        assert_eq!(mask("5123456789012346"), "512345******2346");
        assert_eq!(mask("9704000000000000018"), "970400*********0018");
        assert_eq!(mask("123"), "***");
        let c = CardData {
            kind: CardKind::Cc,
            number: "5123456789012346".into(),
            holder: "X".into(),
            date: MonthYear { year: 2027, month: 3 },
            cvv: Some("123".into()),
        };
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("5123456789012346") && !dbg.contains("123\""), "{dbg}");
    }
}
