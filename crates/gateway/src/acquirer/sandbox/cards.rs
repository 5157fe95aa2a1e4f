//! The sandbox card issuer (spec §7), pure: given card data that passed the
//! checkout's own validation, it says what a bank would answer.
//!
//! The outcomes are deterministic so that a merchant's test suite can drive every
//! branch of its integration. Which card leads to what is the test kit's table,
//! [`INSTRUMENTS`]: AppotaPay's published instruments succeed with their own data,
//! the last four digits of any other card select a decline or a payment that stays
//! undecided for a while, and any other number of the right brand is declined with 65.
//!
//! Two kinds of answer exist, as with a real issuer:
//! - [`Verdict::Invalid`]: the card data is wrong (a published instrument with the
//!   wrong holder, date or CVV; a NAPAS number failing Luhn). Nothing is charged, no
//!   OTP is sent, and the customer may correct the form: these never settle an order.
//! - [`Verdict::SendOtp`]: the issuer sends an OTP; once the customer confirms it the
//!   stored outcome applies (success, a decline, or undecided then resolved).

pub use super::instruments::{DateRule, INSTRUMENTS, Instrument, Outcome};
use super::instruments::{by_last_four, published_instrument};
pub use crate::acquirer::{TestCard, Verdict};
pub use crate::domain::card::*;
use appotapay_protocol::ErrorCode;

/// The one OTP every sandbox instrument accepts.
pub const SANDBOX_OTP: &str = "123456";

/// The month a card's date is checked against, in sandbox mode, for the card number
/// the customer typed. An instrument with a fixed date (the published ATM card, issued
/// `01/23`; the published Mastercard, expiry `03/27`) is checked as of that month at
/// the latest: AppotaPay publishes them as working test cards, so they keep working
/// once their month has passed (no instrument expires), and the issuer still wants
/// exactly the published date.
pub fn checked_month(typed_number: &str, today: MonthYear) -> MonthYear {
    let number: String = typed_number.chars().filter(char::is_ascii_digit).collect();
    let fixed = published_instrument(&number).and_then(|i| match i.date {
        DateRule::Exactly(d) => Some(d),
        DateRule::Any => None,
    });
    fixed.map_or(today, |d| today.min(d))
}

/// What the sandbox issuer answers to `card` (already validated by the checkout).
pub fn authorize(card: &CardData) -> Verdict {
    if card.kind == CardKind::Atm && !luhn_valid(&card.number) {
        return Verdict::Invalid(Field::Number, ErrorCode::INVALID_CARD_NUMBER);
    }
    if let Some(ins) = published_instrument(&card.number) {
        if ins.holder.is_some_and(|h| card.holder != h) {
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
        return Verdict::SendOtp { outcome: ins.outcome.after_otp() };
    }
    let outcome = by_last_four(card.kind, &card.number).map_or(ErrorCode::INVALID_CARD_INFO, |i| i.outcome.after_otp());
    Verdict::SendOtp { outcome }
}

/// Whether `otp` is the sandbox OTP (compared in constant time).
pub fn otp_ok(otp: &str) -> bool {
    use subtle::ConstantTimeEq;
    otp.len() == SANDBOX_OTP.len() && bool::from(otp.as_bytes().ct_eq(SANDBOX_OTP.as_bytes()))
}

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
        for row in INSTRUMENTS.iter().filter(|i| !i.published) {
            let date = if row.kind == CardKind::Atm { (5, 2019) } else { (5, 2031) };
            let cvv = (row.kind == CardKind::Cc).then_some("321");
            let v = authorize(&card(row.kind, row.number, "ANY ONE", date, cvv));
            assert_eq!(v, Verdict::SendOtp { outcome: row.outcome.after_otp() }, "{}", row.number);
        }
        // The last four digits decide, on any number of the kind.
        let v = authorize(&card(CardKind::Atm, "9704123400070074", "A B", (1, 2020), None));
        assert!(luhn_valid("9704123400070074"));
        assert_eq!(v, Verdict::SendOtp { outcome: ErrorCode::INSUFFICIENT_FUNDS });
        assert_eq!(outcome(authorize(&card(CardKind::Cc, "5555555555580035", "A B", (1, 2031), Some("1")))), 35);
        // An outcome a kind has no card for selects nothing there.
        assert_eq!(outcome(authorize(&card(CardKind::Atm, "9704000000030080", "A B", (1, 2020), None))), 65);
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
