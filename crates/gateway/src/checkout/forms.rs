//! The checkout's forms and their server-side validation.
//!
//! Every rule is checked here, whatever the browser did: the HTML `pattern` and
//! `required` attributes only spare the customer a round trip. A field that fails
//! gets the documented error code of spec §8 (76 card number, 71 holder, 67 issue
//! date, 73 expiry, 80 CVV, 64 card type), shown next to it.
//!
//! The form structs hold card data only for the length of a request; their `Debug`
//! never shows a number or a CVV, so a stray log line cannot leak one.

use crate::domain::card::{Brand, CardData, CardKind, Field, MonthYear, brand_of, luhn_valid};
use appotapay_protocol::ErrorCode;
use serde::Deserialize;
use std::fmt;

/// The fields every checkout post carries: the payment link and the CSRF token.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinkForm {
    /// `tran` of the payment link.
    pub tran: String,
    /// `sign` of the payment link.
    pub sign: String,
    /// CSRF token of the form's purpose.
    pub csrf: String,
}

/// The sandbox's delivery-fault controls: checkboxes (present when ticked) and a
/// delay in seconds.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct FaultsForm {
    /// `tran` of the payment link.
    pub tran: String,
    /// `sign` of the payment link.
    pub sign: String,
    /// CSRF token.
    pub csrf: String,
    /// Deliver twice.
    pub twice: Option<String>,
    /// Lose the first attempt.
    pub lose_first: Option<String>,
    /// Deliver late, seconds.
    pub delay: String,
}

/// A post carrying one chosen value (method or bank).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ChoiceForm {
    /// `tran` of the payment link.
    pub tran: String,
    /// `sign` of the payment link.
    pub sign: String,
    /// CSRF token.
    pub csrf: String,
    /// `ATM`/`CC` or a bank code.
    pub choice: String,
}

/// The card form as posted.
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct CardForm {
    /// `tran` of the payment link.
    pub tran: String,
    /// `sign` of the payment link.
    pub sign: String,
    /// CSRF token.
    pub csrf: String,
    /// Card number, possibly with spaces.
    pub card_number: String,
    /// Holder name.
    pub card_holder: String,
    /// `MM/YY`: issue date (ATM) or expiry (CC).
    pub card_date: String,
    /// CVV (CC).
    pub card_cvv: String,
}

impl fmt::Debug for CardForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardForm").field("tran", &self.tran).finish_non_exhaustive()
    }
}

/// The OTP form as posted.
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct OtpForm {
    /// `tran` of the payment link.
    pub tran: String,
    /// `sign` of the payment link.
    pub sign: String,
    /// CSRF token.
    pub csrf: String,
    /// The OTP.
    pub otp: String,
}

impl fmt::Debug for OtpForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtpForm").field("tran", &self.tran).finish_non_exhaustive()
    }
}

/// Per-field error codes of a card form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FieldErrors {
    /// Card number.
    pub number: Option<ErrorCode>,
    /// Holder.
    pub holder: Option<ErrorCode>,
    /// Date.
    pub date: Option<ErrorCode>,
    /// CVV.
    pub cvv: Option<ErrorCode>,
}

impl FieldErrors {
    /// Whether no field has an error.
    pub fn is_empty(&self) -> bool {
        self.number.is_none() && self.holder.is_none() && self.date.is_none() && self.cvv.is_none()
    }

    /// One error on one field.
    pub fn one(field: Field, code: ErrorCode) -> FieldErrors {
        let mut e = FieldErrors::default();
        match field {
            Field::Number => e.number = Some(code),
            Field::Holder => e.holder = Some(code),
            Field::Date => e.date = Some(code),
            Field::Cvv => e.cvv = Some(code),
        }
        e
    }
}

/// Digits of a card number as typed (spaces and dashes allowed between them).
fn digits(raw: &str) -> Option<String> {
    let d: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '\u{a0}')).collect();
    (!d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())).then_some(d)
}

/// Removes Vietnamese diacritics and upper-cases: card holders are embossed in plain
/// upper-case ASCII, but customers type `Nguyễn Văn A`.
pub fn fold_name(raw: &str) -> String {
    const FOLD: &[(&str, char)] = &[
        ("àáảãạăằắẳẵặâầấẩẫậ", 'a'),
        ("èéẻẽẹêềếểễệ", 'e'),
        ("ìíỉĩị", 'i'),
        ("òóỏõọôồốổỗộơờớởỡợ", 'o'),
        ("ùúủũụưừứửữự", 'u'),
        ("ỳýỷỹỵ", 'y'),
        ("đ", 'd'),
    ];
    let folded: String = raw
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| FOLD.iter().find(|(set, _)| set.contains(c)).map_or(c, |(_, base)| *base))
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_uppercase()
}

/// Parses `MM/YY`, `MM/YYYY`, `MMYY`, `MM-YY` (spaces ignored).
pub fn parse_month_year(raw: &str) -> Option<MonthYear> {
    let s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    // Digits and separators only: anything else (a multi-byte character included,
    // which the slicing below must never cut) is not a date.
    if !s.bytes().all(|b| b.is_ascii_digit() || b == b'/' || b == b'-') {
        return None;
    }
    let (m, y) = match s.split_once(['/', '-']) {
        Some((m, y)) => (m.to_owned(), y.to_owned()),
        None if s.len() == 4 => (s[..2].to_owned(), s[2..].to_owned()),
        None => return None,
    };
    if m.is_empty() || m.len() > 2 || !(y.len() == 2 || y.len() == 4) {
        return None;
    }
    if !m.bytes().chain(y.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let month: u32 = m.parse().ok()?;
    let year: i32 = y.parse().ok()?;
    let year = if y.len() == 2 { 2000 + year } else { year };
    (1..=12).contains(&month).then_some(MonthYear { year, month })
}

fn months(d: MonthYear) -> i64 {
    i64::from(d.year) * 12 + i64::from(d.month) - 1
}

/// Checks a card form for `kind`; `brand_code` is the international brand the
/// customer or merchant chose (`VISA`, `MASTERCARD`, `JCB`) for CC payments.
/// `today` is the current month in Vietnam.
pub fn validate_card(
    kind: CardKind,
    brand_code: &str,
    form: &CardForm,
    today: MonthYear,
) -> Result<CardData, FieldErrors> {
    let mut errors = FieldErrors::default();
    let number = digits(&form.card_number);
    match &number {
        None => errors.number = Some(ErrorCode::INVALID_CARD_NUMBER),
        Some(n) => {
            let brand = brand_of(n);
            errors.number = match kind {
                CardKind::Atm if brand == Some(Brand::Napas) => {
                    (!matches!(n.len(), 16 | 19)).then_some(ErrorCode::INVALID_CARD_NUMBER)
                }
                CardKind::Atm if brand.is_some() => Some(ErrorCode::CARD_TYPE_NOT_SUPPORTED),
                CardKind::Atm => Some(ErrorCode::INVALID_CARD_NUMBER),
                CardKind::Cc if !(13..=19).contains(&n.len()) || !luhn_valid(n) => Some(ErrorCode::INVALID_CARD_NUMBER),
                CardKind::Cc => match brand.and_then(Brand::cc_bank_code) {
                    Some(code) if code == brand_code => None,
                    _ => Some(ErrorCode::CARD_TYPE_NOT_SUPPORTED),
                },
            };
        }
    }
    let holder = fold_name(&form.card_holder);
    if !(2..=50).contains(&holder.len()) || !holder.bytes().all(|b| b.is_ascii_uppercase() || b == b' ') {
        errors.holder = Some(ErrorCode::INVALID_HOLDER_NAME);
    }
    let date = parse_month_year(&form.card_date);
    let date_ok = date.is_some_and(|d| {
        let (d, now) = (months(d), months(today));
        match kind {
            // Issued in the last 30 years, not in the future.
            CardKind::Atm => d <= now && d >= now - 30 * 12,
            // Valid through the end of its month, at most 20 years ahead.
            CardKind::Cc => d >= now && d <= now + 20 * 12,
        }
    });
    if !date_ok {
        errors.date = Some(match kind {
            CardKind::Atm => ErrorCode::INVALID_ISSUE_DATE,
            CardKind::Cc => ErrorCode::INVALID_EXPIRY_DATE,
        });
    }
    let cvv = form.card_cvv.trim();
    if kind == CardKind::Cc && !(matches!(cvv.len(), 3 | 4) && cvv.bytes().all(|b| b.is_ascii_digit())) {
        errors.cvv = Some(ErrorCode::INVALID_CVV);
    }
    match (number, date) {
        (Some(number), Some(date)) if errors.is_empty() => {
            Ok(CardData { kind, number, holder, date, cvv: (kind == CardKind::Cc).then(|| cvv.to_owned()) })
        }
        _ => Err(errors),
    }
}

/// The current month in Vietnam (UTC+7) at `now_ms`.
pub fn vn_month(now_ms: i64) -> MonthYear {
    let (y, m, _) = crate::domain::calendar::vn_date(now_ms);
    MonthYear { year: i32::try_from(y).unwrap_or(i32::MAX), month: m }
}

/// Vietnam's offset from UTC (no daylight saving).
pub const VN_OFFSET_SECS: i64 = 7 * 3600;

/// `HH:MM` in Vietnam at `ms`.
pub fn vn_clock(ms: i64) -> String {
    let secs = (ms / 1000 + VN_OFFSET_SECS).rem_euclid(86_400);
    format!("{:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

/// `m:ss` of a duration in milliseconds (negative counts as zero).
pub fn countdown(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: MonthYear = MonthYear { year: 2026, month: 4 };

    /// The card page checks a card's date against the month the issuer names for its
    /// number: an expired date passes when that month is its own (the sandbox's
    /// published Mastercard), and fails against the real month.
    #[test]
    fn the_date_is_checked_against_the_month_given() {
        let f = form("5123456789012346", "NGUYEN VAN A", "03/27", "123");
        let later = MonthYear { year: 2031, month: 6 };
        let its_own = MonthYear { year: 2027, month: 3 };
        assert!(validate_card(CardKind::Cc, "MASTERCARD", &f, its_own).is_ok());
        assert!(validate_card(CardKind::Cc, "MASTERCARD", &f, later).is_err());
    }

    fn form(number: &str, holder: &str, date: &str, cvv: &str) -> CardForm {
        CardForm {
            card_number: number.into(),
            card_holder: holder.into(),
            card_date: date.into(),
            card_cvv: cvv.into(),
            ..CardForm::default()
        }
    }

    #[test]
    fn dates_and_clock() {
        // 2024-12-31T17:00:00Z is already January in Vietnam.
        assert_eq!(vn_month(1_735_664_400_000), MonthYear { year: 2025, month: 1 });
        assert_eq!(vn_month(1_735_664_399_000), MonthYear { year: 2024, month: 12 });
        assert_eq!(vn_clock(1_735_664_400_000), "00:00");
        assert_eq!(countdown(899_999), "14:59");
        assert_eq!(countdown(-5), "0:00");
        assert_eq!(parse_month_year("03/27"), Some(MonthYear { year: 2027, month: 3 }));
        assert_eq!(parse_month_year(" 3 / 2027 "), Some(MonthYear { year: 2027, month: 3 }));
        assert_eq!(parse_month_year("0327"), Some(MonthYear { year: 2027, month: 3 }));
        assert_eq!(parse_month_year("13/27"), None);
        assert_eq!(parse_month_year("00/27"), None);
        assert_eq!(parse_month_year("3/7"), None);
        assert_eq!(parse_month_year("ab/cd"), None);
        assert_eq!(parse_month_year(""), None);
        // Four bytes, but not four characters: never cut inside one.
        assert_eq!(parse_month_year("0é1"), None);
        assert_eq!(parse_month_year("é/27"), None);
    }

    #[test]
    fn names_fold_to_embossed_form() {
        assert_eq!(fold_name("  Nguyễn   Văn a "), "NGUYEN VAN A");
        assert_eq!(fold_name("ĐẶNG THỊ Ỷ"), "DANG THI Y");
    }

    #[test]
    fn atm_rules() {
        let ok = validate_card(CardKind::Atm, "", &form("9704 2293 0660 4047", "arturo moen", "01/23", ""), TODAY)
            .expect("valid");
        assert_eq!(ok.number, "9704229306604047");
        assert_eq!(ok.holder, "ARTURO MOEN");
        assert_eq!(ok.cvv, None);
        let e =
            validate_card(CardKind::Atm, "", &form("4000000000001075", "A", "12/26", ""), TODAY).expect_err("invalid");
        assert_eq!(e.number, Some(ErrorCode::CARD_TYPE_NOT_SUPPORTED));
        assert_eq!(e.holder, Some(ErrorCode::INVALID_HOLDER_NAME));
        assert_eq!(e.date, Some(ErrorCode::INVALID_ISSUE_DATE), "issue date in the future");
        let e = validate_card(CardKind::Atm, "", &form("9704abc", "A B", "01/20", ""), TODAY).expect_err("x");
        assert_eq!(e.number, Some(ErrorCode::INVALID_CARD_NUMBER));
        let e = validate_card(CardKind::Atm, "", &form("97040000000018", "A B", "01/20", ""), TODAY).expect_err("x");
        assert_eq!(e.number, Some(ErrorCode::INVALID_CARD_NUMBER), "14 digits");
        let e = validate_card(CardKind::Atm, "", &form("1234567812345670", "A B", "01/20", ""), TODAY).expect_err("x");
        assert_eq!(e.number, Some(ErrorCode::INVALID_CARD_NUMBER));
        assert!(e.holder.is_none() && e.date.is_none() && e.cvv.is_none());
    }

    #[test]
    fn cc_rules() {
        let ok = validate_card(CardKind::Cc, "MASTERCARD", &form("5123456789012346", "x y", "03/27", "123"), TODAY)
            .expect("valid");
        assert_eq!(ok.cvv.as_deref(), Some("123"));
        let luhn = validate_card(CardKind::Cc, "VISA", &form("4000000000001076", "X Y", "03/27", "123"), TODAY);
        assert_eq!(luhn.expect_err("luhn").number, Some(ErrorCode::INVALID_CARD_NUMBER));
        let brand = validate_card(CardKind::Cc, "VISA", &form("5123456789012346", "X Y", "03/27", "123"), TODAY);
        assert_eq!(brand.expect_err("brand").number, Some(ErrorCode::CARD_TYPE_NOT_SUPPORTED));
        let napas = validate_card(CardKind::Cc, "VISA", &form("9704000000000018", "X Y", "03/27", "123"), TODAY);
        assert_eq!(napas.expect_err("napas").number, Some(ErrorCode::CARD_TYPE_NOT_SUPPORTED));
        let e = validate_card(CardKind::Cc, "VISA", &form("4000000000001075", "X Y", "03/26", "12"), TODAY)
            .expect_err("past expiry, short cvv");
        assert_eq!(e.date, Some(ErrorCode::INVALID_EXPIRY_DATE));
        assert_eq!(e.cvv, Some(ErrorCode::INVALID_CVV));
        assert!(e.number.is_none());
        assert!(validate_card(CardKind::Cc, "VISA", &form("4000000000001075", "X Y", "04/26", "000"), TODAY).is_ok());
        let dbg = format!("{:?}", form("4000000000001075", "X Y", "04/26", "987"));
        assert!(!dbg.contains("4000000000001075") && !dbg.contains("987"), "{dbg}");
    }
}

#[cfg(test)]
mod never_panic {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever a browser posts, the form checks answer; they never panic.
        #[test]
        fn card_forms_of_any_text(number in ".{0,24}", holder in ".{0,60}", date in ".{0,8}", cvv in ".{0,6}") {
            let form = CardForm {
                card_number: number,
                card_holder: holder,
                card_date: date.clone(),
                card_cvv: cvv,
                ..CardForm::default()
            };
            let today = MonthYear { year: 2026, month: 12 };
            let _ = parse_month_year(&date);
            let _ = validate_card(CardKind::Atm, "", &form, today);
            let _ = validate_card(CardKind::Cc, "VISA", &form, today);
        }
    }
}
