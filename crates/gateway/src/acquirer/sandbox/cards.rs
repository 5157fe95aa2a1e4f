//! The sandbox card issuer (spec §7), pure: given card data that passed the
//! checkout's own validation, it says what a bank would answer.
//!
//! The outcomes are deterministic so that a merchant's test suite can drive every
//! branch of its integration: AppotaPay's published sandbox instruments succeed, the
//! "magic" last four digits select a decline (or the slow `0034` success), and any
//! other number of the right brand is declined with 65.
//!
//! Two kinds of answer exist, as with a real issuer:
//! - [`Verdict::Invalid`]: the card data is wrong (a published instrument with the
//!   wrong holder, date or CVV; a NAPAS number failing Luhn). Nothing is charged, no
//!   OTP is sent, and the customer may correct the form: these never settle an order.
//! - [`Verdict::SendOtp`]: the issuer sends an OTP; once the customer confirms it the
//!   stored outcome applies (success, a decline, or processing then success).

pub use crate::acquirer::{TestCard, Verdict};
pub use crate::domain::card::*;
use appotapay_protocol::ErrorCode;

/// The one OTP every sandbox instrument accepts.
pub const SANDBOX_OTP: &str = "123456";

enum DateRule {
    Any,
    Exactly(MonthYear),
}

struct Instrument {
    number: &'static str,
    holder: &'static str,
    date: DateRule,
    cvv: Option<&'static str>,
}

const fn my(month: u32, year: i32) -> DateRule {
    DateRule::Exactly(MonthYear { year, month })
}

/// AppotaPay's published sandbox instruments (spec §7): they succeed when the holder,
/// date and CVV are the published ones.
const INSTRUMENTS: &[Instrument] = &[
    Instrument { number: "9704229306604047", holder: "ARTURO MOEN", date: my(1, 2023), cvv: None },
    Instrument { number: "9704000000000018", holder: "NGUYEN VAN A", date: DateRule::Any, cvv: None },
    Instrument { number: "5123456789012346", holder: "NGUYEN VAN A", date: my(3, 2027), cvv: Some("123") },
    Instrument { number: "5123450000000008", holder: "NGUYEN VAN A", date: DateRule::Any, cvv: None },
    Instrument { number: "4000000000001075", holder: "NGUYEN VAN A", date: DateRule::Any, cvv: None },
];

/// The month a card's date is checked against, in sandbox mode, for the card number
/// the customer typed. A published instrument with a fixed date (the Mastercard,
/// expiry `03/27`) is checked as of that month at the latest: AppotaPay publishes it
/// as a working test card, so it keeps working once its month has passed, and the
/// issuer still wants exactly its published date.
pub fn checked_month(typed_number: &str, today: MonthYear) -> MonthYear {
    let number: String = typed_number.chars().filter(char::is_ascii_digit).collect();
    let fixed = INSTRUMENTS.iter().find(|i| i.number == number).and_then(|i| match i.date {
        DateRule::Exactly(d) => Some(d),
        DateRule::Any => None,
    });
    fixed.map_or(today, |d| today.min(d))
}

/// Last four digits that select an outcome, for NAPAS and international cards alike.
pub const MAGIC_LAST_FOUR: &[(&str, ErrorCode)] = &[
    ("0002", ErrorCode::DECLINED),
    ("0069", ErrorCode::CARD_EXPIRED),
    ("0068", ErrorCode::CARD_LOCKED),
    ("0074", ErrorCode::INSUFFICIENT_FUNDS),
    ("0072", ErrorCode::ISSUER_NO_RESPONSE),
    ("0034", ErrorCode::PROCESSING),
];

/// What the sandbox issuer answers to `card` (already validated by the checkout).
pub fn authorize(card: &CardData) -> Verdict {
    if card.kind == CardKind::Atm && !luhn_valid(&card.number) {
        return Verdict::Invalid(Field::Number, ErrorCode::INVALID_CARD_NUMBER);
    }
    if let Some(ins) = INSTRUMENTS.iter().find(|i| i.number == card.number) {
        if card.holder != ins.holder {
            return Verdict::Invalid(Field::Holder, ErrorCode::INVALID_HOLDER_NAME);
        }
        if let DateRule::Exactly(d) = ins.date {
            if card.date != d {
                let code = if card.kind == CardKind::Atm {
                    ErrorCode::INVALID_ISSUE_DATE
                } else {
                    ErrorCode::INVALID_EXPIRY_DATE
                };
                return Verdict::Invalid(Field::Date, code);
            }
        }
        if let Some(cvv) = ins.cvv {
            if card.cvv.as_deref() != Some(cvv) {
                return Verdict::Invalid(Field::Cvv, ErrorCode::INVALID_CVV);
            }
        }
        return Verdict::SendOtp { outcome: ErrorCode::SUCCESS };
    }
    let last4 = card.number.get(card.number.len().saturating_sub(4)..).unwrap_or_default();
    let outcome =
        MAGIC_LAST_FOUR.iter().find(|(l, _)| *l == last4).map_or(ErrorCode::INVALID_CARD_INFO, |(_, code)| *code);
    Verdict::SendOtp { outcome }
}

/// Whether `otp` is the sandbox OTP (compared in constant time).
pub fn otp_ok(otp: &str) -> bool {
    use subtle::ConstantTimeEq;
    otp.len() == SANDBOX_OTP.len() && bool::from(otp.as_bytes().ct_eq(SANDBOX_OTP.as_bytes()))
}

const fn row(number: &'static str, holder: &'static str, date: &'static str, cvv: &'static str, code: u32) -> TestCard {
    TestCard { number, holder, date, cvv, outcome: ErrorCode(code) }
}

/// The ATM instruments of spec §7, as printed on the page (`*` = any value).
pub const ATM_TABLE: &[TestCard] = &[
    row("9704229306604047", "ARTURO MOEN", "01/23", "", 0),
    row("9704000000000018", "NGUYEN VAN A", "*", "", 0),
    row("9704000000000034", "*", "*", "", 34),
    row("9704000000080002", "*", "*", "", 61),
    row("9704000000080069", "*", "*", "", 69),
    row("9704000000090068", "*", "*", "", 68),
    row("9704000000010074", "*", "*", "", 74),
    row("9704000000030072", "*", "*", "", 72),
];

/// The CC instruments of spec §7, as printed on the page (`*` = any value; dates
/// must lie in the future).
pub const CC_TABLE: &[TestCard] = &[
    row("5123456789012346", "NGUYEN VAN A", "03/27", "123", 0),
    row("5123450000000008", "NGUYEN VAN A", "*", "*", 0),
    row("4000000000001075", "NGUYEN VAN A", "*", "*", 0),
    row("4000000000020034", "*", "*", "*", 34),
    row("4000000000000002", "*", "*", "*", 61),
    row("4000000000000069", "*", "*", "*", 69),
    row("4000000000010068", "*", "*", "*", 68),
    row("4000000000030074", "*", "*", "*", 74),
    row("4000000000050072", "*", "*", "*", 72),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_mastercard_outlives_its_expiry() {
        let later = MonthYear { year: 2031, month: 6 };
        assert_eq!(checked_month("5123 4567 8901 2346", later), MonthYear { year: 2027, month: 3 });
        assert_eq!(checked_month("5123450000000008", later), later, "no fixed date");
        assert_eq!(checked_month("5123456789012346", MonthYear { year: 2026, month: 12 }).year, 2026);
        let card = card(CardKind::Cc, "5123456789012346", "NGUYEN VAN A", (3, 2027), Some("123"));
        assert!(matches!(authorize(&card), Verdict::SendOtp { outcome: ErrorCode::SUCCESS }));
    }

    fn card(kind: CardKind, number: &str, holder: &str, date: (u32, i32), cvv: Option<&str>) -> CardData {
        CardData {
            kind,
            number: number.into(),
            holder: holder.into(),
            date: MonthYear { month: date.0, year: date.1 },
            cvv: cvv.map(Into::into),
        }
    }

    fn outcome(v: Verdict) -> u32 {
        match v {
            Verdict::SendOtp { outcome } => outcome.code(),
            Verdict::Invalid(_, code) => 1000 + code.code(),
            Verdict::NotConnected => u32::MAX,
        }
    }

    #[test]
    fn published_instruments_need_their_data() {
        let atm = |n: &str, h: &str, d| outcome(authorize(&card(CardKind::Atm, n, h, d, None)));
        assert_eq!(atm("9704229306604047", "ARTURO MOEN", (1, 2023)), 0);
        assert_eq!(atm("9704229306604047", "NGUYEN VAN A", (1, 2023)), 1071);
        assert_eq!(atm("9704229306604047", "ARTURO MOEN", (2, 2023)), 1067);
        assert_eq!(atm("9704000000000018", "NGUYEN VAN A", (7, 2020)), 0);
        assert_eq!(atm("9704000000000019", "NGUYEN VAN A", (7, 2020)), 1076);
        let cc = |n: &str, d, cvv| outcome(authorize(&card(CardKind::Cc, n, "NGUYEN VAN A", d, Some(cvv))));
        assert_eq!(cc("5123456789012346", (3, 2027), "123"), 0);
        assert_eq!(cc("5123456789012346", (3, 2027), "124"), 1080);
        assert_eq!(cc("5123456789012346", (4, 2027), "123"), 1073);
        assert_eq!(cc("5123450000000008", (12, 2030), "999"), 0);
        assert_eq!(cc("4000000000001075", (1, 2031), "000"), 0);
    }

    #[test]
    fn magic_numbers_select_outcomes() {
        for row in ATM_TABLE.iter().skip(2) {
            let v = authorize(&card(CardKind::Atm, row.number, "ANY ONE", (5, 2019), None));
            assert_eq!(v, Verdict::SendOtp { outcome: row.outcome }, "{}", row.number);
        }
        for row in CC_TABLE.iter().skip(3) {
            let v = authorize(&card(CardKind::Cc, row.number, "ANY ONE", (5, 2031), Some("321")));
            assert_eq!(v, Verdict::SendOtp { outcome: row.outcome }, "{}", row.number);
        }
        // Any other Luhn-valid number of the right brand: 65.
        assert_eq!(outcome(authorize(&card(CardKind::Atm, "9704000000000026", "A B", (1, 2020), None))), 65);
        assert_eq!(outcome(authorize(&card(CardKind::Cc, "4111111111111111", "A B", (1, 2031), Some("1")))), 65);
    }

    #[test]
    fn otp() {
        assert!(otp_ok("123456"));
        assert!(!otp_ok("123457"));
        assert!(!otp_ok("1234567"));
        assert!(!otp_ok(""));
    }
}
