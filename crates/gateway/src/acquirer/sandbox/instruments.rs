//! The sandbox's merchant test kit: one card for every outcome a merchant's
//! integration must handle, in one table.
//!
//! A merchant tests its integration against the sandbox by paying with cards whose
//! outcome is known in advance. Everything about those cards lives in [`INSTRUMENTS`]
//! and nowhere else: the issuer ([`super::cards`]) answers from it, the card page
//! prints it ([`test_cards`]), and the README and docs/appotapay-api.md §7 carry the
//! Markdown [`markdown`] renders from it (a test fails when they differ). A row added
//! here is answered, shown, documented and tested without another edit.
//!
//! Three kinds of rows:
//! - AppotaPay's published instruments (spec §7): they succeed, but only with their
//!   published holder, date and CVV. None of them expires: a fixed date is the one to
//!   type, whatever the calendar says (see [`super::cards::checked_month`]).
//! - One card per decline code of spec §8 (`appotapay_protocol::DECLINE_CODES`):
//!   after the OTP, the payment fails with that code. Their last four digits,
//!   `00` + the code (`0002` for 61, the number test kits use for "declined"),
//!   choose the outcome on any number of the kind, with any holder, date and CVV.
//! - One card per non-final code (34, 35, 99): after the OTP the payment stays
//!   undecided for `sandbox_processing_delay`, the status API answering that code,
//!   then it resolves: 34 and 35 succeed, 99 fails with 72 (an undetermined payment
//!   whose issuer never answered is one a merchant must see fail, too).
//!
//! Decline codes that only one kind of card can produce exist for that kind only: 67
//! (issue date) for ATM cards, 73 (expiry date) and 80 (CVV) for CC cards.

use crate::acquirer::TestCard;
use crate::domain::card::{CardKind, MonthYear};
use appotapay_protocol::{ErrorCode, Lang};
use std::fmt::Write as _;

/// The date an instrument wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateRule {
    /// Any date the card form accepts (an issue date in the past, an expiry in the
    /// future).
    Any,
    /// Exactly this month, whatever the calendar says.
    Exactly(MonthYear),
}

/// How a payment with an instrument ends, once the OTP is confirmed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Paid (0).
    Success,
    /// Failed with this decline code.
    Declined(ErrorCode),
    /// Not final for `sandbox_processing_delay`, reported as `interim` (34, 35 or
    /// 99); then final with `then` (0 or a decline code).
    Undecided {
        /// What the status API answers meanwhile.
        interim: ErrorCode,
        /// The outcome after the delay.
        then: ErrorCode,
    },
}

impl Outcome {
    /// The issuer's answer once the OTP is confirmed (0, a decline code, or the
    /// interim code).
    pub fn after_otp(self) -> ErrorCode {
        match self {
            Outcome::Success => ErrorCode::SUCCESS,
            Outcome::Declined(code) => code,
            Outcome::Undecided { interim, .. } => interim,
        }
    }

    /// The final code of the payment.
    pub fn final_code(self) -> ErrorCode {
        match self {
            Outcome::Success => ErrorCode::SUCCESS,
            Outcome::Declined(code) => code,
            Outcome::Undecided { then, .. } => then,
        }
    }
}

/// One sandbox test card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instrument {
    /// ATM (NAPAS) or CC.
    pub kind: CardKind,
    /// The number, digits only.
    pub number: &'static str,
    /// Published by AppotaPay: matched on the whole number, and needs its holder,
    /// date and CVV. Otherwise matched on its last four digits, with any data.
    pub published: bool,
    /// The holder to type; `None`: any.
    pub holder: Option<&'static str>,
    /// The date to type.
    pub date: DateRule,
    /// The CVV to type (CC); `None`: any.
    pub cvv: Option<&'static str>,
    /// What paying with it leads to.
    pub outcome: Outcome,
}

impl Instrument {
    /// The last four digits.
    pub fn last_four(&self) -> &'static str {
        self.number.get(self.number.len().saturating_sub(4)..).unwrap_or_default()
    }

    /// A date the card form accepts for this instrument when the card's date is
    /// checked against `checked` (see [`super::cards::checked_month`]): its own
    /// fixed date, else a year before (ATM issue date) or two years after (CC expiry).
    pub fn example_date(&self, checked: MonthYear) -> MonthYear {
        match (self.date, self.kind) {
            (DateRule::Exactly(d), _) => d,
            (DateRule::Any, CardKind::Atm) => MonthYear { year: checked.year - 1, month: checked.month },
            (DateRule::Any, CardKind::Cc) => MonthYear { year: checked.year + 2, month: checked.month },
        }
    }

    /// The `bankCode` to pay it with: a NAPAS bank (`MB`, the published ATM card's
    /// bank), or the card's brand.
    pub fn bank_code(&self) -> &'static str {
        match self.kind {
            CardKind::Atm => "MB",
            CardKind::Cc if self.number.starts_with('4') => "VISA",
            CardKind::Cc if self.number.starts_with("35") => "JCB",
            CardKind::Cc => "MASTERCARD",
        }
    }
}

const fn my(month: u32, year: i32) -> DateRule {
    DateRule::Exactly(MonthYear { year, month })
}

const fn published(
    kind: CardKind,
    number: &'static str,
    holder: &'static str,
    date: DateRule,
    cvv: Option<&'static str>,
) -> Instrument {
    Instrument { kind, number, published: true, holder: Some(holder), date, cvv, outcome: Outcome::Success }
}

const fn declined(kind: CardKind, number: &'static str, code: ErrorCode) -> Instrument {
    Instrument {
        kind,
        number,
        published: false,
        holder: None,
        date: DateRule::Any,
        cvv: None,
        outcome: Outcome::Declined(code),
    }
}

const fn undecided(kind: CardKind, number: &'static str, interim: ErrorCode, then: ErrorCode) -> Instrument {
    Instrument {
        kind,
        number,
        published: false,
        holder: None,
        date: DateRule::Any,
        cvv: None,
        outcome: Outcome::Undecided { interim, then },
    }
}

use CardKind::{Atm, Cc};

/// Every sandbox test card, in the order the card page and the docs show them:
/// published ones, then the undecided ones, then one per decline code.
pub const INSTRUMENTS: &[Instrument] = &[
    // AppotaPay's published instruments (spec §7).
    published(Atm, "9704229306604047", "ARTURO MOEN", my(1, 2023), None),
    published(Atm, "9704000000000018", "NGUYEN VAN A", DateRule::Any, None),
    published(Cc, "5123456789012346", "NGUYEN VAN A", my(3, 2027), Some("123")),
    published(Cc, "5123450000000008", "NGUYEN VAN A", DateRule::Any, None),
    published(Cc, "4000000000001075", "NGUYEN VAN A", DateRule::Any, None),
    // Not final at first: 34 and 35 then succeed, 99 then fails with 72.
    undecided(Atm, "9704000000000034", ErrorCode::PROCESSING, ErrorCode::SUCCESS),
    undecided(Cc, "4000000000020034", ErrorCode::PROCESSING, ErrorCode::SUCCESS),
    undecided(Atm, "9704000000090035", ErrorCode::PENDING, ErrorCode::SUCCESS),
    undecided(Cc, "4000000000010035", ErrorCode::PENDING, ErrorCode::SUCCESS),
    undecided(Atm, "9704000000020099", ErrorCode::UNDEFINED_ERROR, ErrorCode::ISSUER_NO_RESPONSE),
    undecided(Cc, "4000000000040099", ErrorCode::UNDEFINED_ERROR, ErrorCode::ISSUER_NO_RESPONSE),
    // One per decline code of spec §8, in code order.
    declined(Atm, "9704000000050021", ErrorCode::INVALID_OTP),
    declined(Cc, "4000000000070021", ErrorCode::INVALID_OTP),
    declined(Atm, "9704000000040022", ErrorCode::OTP_EXPIRED),
    declined(Cc, "4000000000060022", ErrorCode::OTP_EXPIRED),
    declined(Atm, "9704000000010033", ErrorCode::NOT_COMPLETED_BY_CUSTOMER),
    declined(Cc, "4000000000030033", ErrorCode::NOT_COMPLETED_BY_CUSTOMER),
    declined(Atm, "9704000000050039", ErrorCode::TOO_MANY_WRONG_OTP),
    declined(Cc, "4000000000070039", ErrorCode::TOO_MANY_WRONG_OTP),
    declined(Atm, "9704000000080002", ErrorCode::DECLINED),
    declined(Cc, "4000000000000002", ErrorCode::DECLINED),
    declined(Atm, "9704000000050062", ErrorCode::BANK_MAINTENANCE),
    declined(Cc, "4000000000070062", ErrorCode::BANK_MAINTENANCE),
    declined(Atm, "9704000000040063", ErrorCode::CARD_NOT_ACTIVATED),
    declined(Cc, "4000000000060063", ErrorCode::CARD_NOT_ACTIVATED),
    declined(Atm, "9704000000030064", ErrorCode::CARD_TYPE_NOT_SUPPORTED),
    declined(Cc, "4000000000050064", ErrorCode::CARD_TYPE_NOT_SUPPORTED),
    declined(Atm, "9704000000020065", ErrorCode::INVALID_CARD_INFO),
    declined(Cc, "4000000000040065", ErrorCode::INVALID_CARD_INFO),
    declined(Atm, "9704000000010066", ErrorCode::CARD_RESTRICTED),
    declined(Cc, "4000000000030066", ErrorCode::CARD_RESTRICTED),
    declined(Atm, "9704000000000067", ErrorCode::INVALID_ISSUE_DATE),
    declined(Atm, "9704000000090068", ErrorCode::CARD_LOCKED),
    declined(Cc, "4000000000010068", ErrorCode::CARD_LOCKED),
    declined(Atm, "9704000000080069", ErrorCode::CARD_EXPIRED),
    declined(Cc, "4000000000000069", ErrorCode::CARD_EXPIRED),
    declined(Atm, "9704000000050070", ErrorCode::DAILY_LIMIT_EXCEEDED),
    declined(Cc, "4000000000070070", ErrorCode::DAILY_LIMIT_EXCEEDED),
    declined(Atm, "9704000000040071", ErrorCode::INVALID_HOLDER_NAME),
    declined(Cc, "4000000000060071", ErrorCode::INVALID_HOLDER_NAME),
    declined(Atm, "9704000000030072", ErrorCode::ISSUER_NO_RESPONSE),
    declined(Cc, "4000000000050072", ErrorCode::ISSUER_NO_RESPONSE),
    declined(Cc, "4000000000040073", ErrorCode::INVALID_EXPIRY_DATE),
    declined(Atm, "9704000000010074", ErrorCode::INSUFFICIENT_FUNDS),
    declined(Cc, "4000000000030074", ErrorCode::INSUFFICIENT_FUNDS),
    declined(Atm, "9704000000000075", ErrorCode::AMOUNT_NOT_SUFFICIENT),
    declined(Cc, "4000000000020075", ErrorCode::AMOUNT_NOT_SUFFICIENT),
    declined(Atm, "9704000000090076", ErrorCode::INVALID_CARD_NUMBER),
    declined(Cc, "4000000000010076", ErrorCode::INVALID_CARD_NUMBER),
    declined(Cc, "4000000000050080", ErrorCode::INVALID_CVV),
];

/// The published instrument with this number.
pub fn published_instrument(number: &str) -> Option<&'static Instrument> {
    INSTRUMENTS.iter().find(|i| i.published && i.number == number)
}

/// The outcome the last four digits of a `kind` card select, if any.
pub fn by_last_four(kind: CardKind, number: &str) -> Option<&'static Instrument> {
    let last4 = number.get(number.len().saturating_sub(4)..)?;
    INSTRUMENTS.iter().find(|i| !i.published && i.kind == kind && i.last_four() == last4)
}

/// How a payment the issuer left undecided with `interim` ends: the `then` of the
/// instrument that answers it (success for a code no instrument has).
pub fn resolution(interim: ErrorCode) -> ErrorCode {
    INSTRUMENTS
        .iter()
        .find_map(|i| match i.outcome {
            Outcome::Undecided { interim: c, then } if c == interim => Some(then),
            _ => None,
        })
        .unwrap_or(ErrorCode::SUCCESS)
}

fn date_text(i: &Instrument) -> String {
    match i.date {
        DateRule::Exactly(d) => d.to_string(),
        DateRule::Any => "*".to_owned(),
    }
}

/// The rows of `kind` as the card page prints them (`*` = any value).
pub fn test_cards(kind: CardKind) -> Vec<TestCard> {
    INSTRUMENTS
        .iter()
        .filter(|i| i.kind == kind)
        .map(|i| TestCard {
            number: i.number,
            holder: i.holder.unwrap_or("*"),
            date: date_text(i),
            cvv: i.cvv.unwrap_or("*"),
            published: i.published,
            outcome: i.outcome.after_otp(),
            then: match i.outcome {
                Outcome::Undecided { then, .. } => Some(then),
                _ => None,
            },
        })
        .collect()
}

fn code_text(code: ErrorCode) -> String {
    format!("{} {}", code.code(), code.message(Lang::En))
}

/// The test-kit table as Markdown, for the README and docs/appotapay-api.md §7 (where
/// it stands between `<!-- instruments:begin -->` and `<!-- instruments:end -->`).
pub fn markdown() -> String {
    let mut out = String::new();
    out.push_str(
        "OTP `123456` for every card. `any`: any value the card form accepts (an ATM issue \
         date within the last 30 years, a CC expiry within the next 20, a CVV of 3 or 4 digits).\n\n",
    );
    out.push_str("AppotaPay's published instruments succeed with exactly their holder, date and CVV:\n\n");
    out.push_str("| kind | number | holder | date | CVV | outcome |\n|---|---|---|---|---|---|\n");
    for i in INSTRUMENTS.iter().filter(|i| i.published) {
        let (kind, date_word) = match i.kind {
            CardKind::Atm => ("ATM".to_owned(), "issue"),
            CardKind::Cc => (format!("CC ({})", i.bank_code()), "expiry"),
        };
        let date = match i.date {
            DateRule::Exactly(d) => format!("{date_word} {d}"),
            DateRule::Any => "any".to_owned(),
        };
        let cvv = match (i.kind, i.cvv) {
            (CardKind::Atm, _) => "—",
            (CardKind::Cc, Some(c)) => c,
            (CardKind::Cc, None) => "any",
        };
        let _ = writeln!(
            out,
            "| {kind} | {} | {} | {date} | {cvv} | {} |",
            i.number,
            i.holder.unwrap_or("any"),
            code_text(i.outcome.after_otp())
        );
    }
    out.push_str(
        "\nEvery other outcome has its cards, with any holder, any date and any CVV. The last four \
         digits choose the outcome, on any number of the kind; a dash: no card of that kind has \
         this outcome (its last four digits select nothing, and the card is declined with 65):\n\n",
    );
    out.push_str("| outcome after the OTP | ATM (NAPAS) | CC (Visa) |\n|---|---|---|\n");
    let mut seen: Vec<Outcome> = Vec::new();
    for i in INSTRUMENTS.iter().filter(|i| !i.published) {
        if seen.contains(&i.outcome) {
            continue;
        }
        seen.push(i.outcome);
        let number = |kind| {
            INSTRUMENTS
                .iter()
                .find(|j| !j.published && j.kind == kind && j.outcome == i.outcome)
                .map_or("—", |j| j.number)
        };
        let outcome = match i.outcome {
            Outcome::Undecided { interim, then } => format!(
                "{} for `sandbox_processing_delay`, then {}{}",
                code_text(interim),
                code_text(then),
                if then.is_success() { "" } else { " (failed)" }
            ),
            o => code_text(o.final_code()),
        };
        let _ = writeln!(out, "| {outcome} | {} | {} |", number(CardKind::Atm), number(CardKind::Cc));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::card::{Brand, brand_of, luhn_valid};

    #[test]
    fn every_decline_and_non_final_code_has_a_card_and_none_collide() {
        for code in appotapay_protocol::DECLINE_CODES {
            let kinds: Vec<CardKind> =
                INSTRUMENTS.iter().filter(|i| i.outcome == Outcome::Declined(*code)).map(|i| i.kind).collect();
            assert!(!kinds.is_empty(), "no card for {code:?}");
            let one_kind = [ErrorCode::INVALID_ISSUE_DATE, ErrorCode::INVALID_EXPIRY_DATE, ErrorCode::INVALID_CVV];
            assert!(one_kind.contains(code) || kinds.len() == 2, "both kinds for {code:?}");
        }
        for code in crate::domain::order::PROCESSING_CODES {
            for kind in [Atm, Cc] {
                assert!(
                    INSTRUMENTS.iter().any(|i| i.kind == kind && i.outcome.after_otp() == code),
                    "{kind:?} for {code:?}"
                );
            }
        }
        for (n, a) in INSTRUMENTS.iter().enumerate() {
            for b in &INSTRUMENTS[n + 1..] {
                assert_ne!(a.number, b.number);
                let same_match = !a.published && !b.published && a.kind == b.kind;
                assert!(!(same_match && a.last_four() == b.last_four()), "{} and {} collide", a.number, b.number);
            }
            // A published number is never read as a magic one either.
            assert!(!a.published || by_last_four(a.kind, a.number).is_none(), "{} ends like a magic card", a.number);
        }
    }

    #[test]
    fn numbers_are_valid_cards_of_their_kind() {
        for i in INSTRUMENTS {
            assert!(luhn_valid(i.number), "{}", i.number);
            assert_eq!(i.number.len(), 16, "{}", i.number);
            let brand = brand_of(i.number);
            match i.kind {
                Atm => assert_eq!(brand, Some(Brand::Napas), "{}", i.number),
                Cc => assert_eq!(brand.and_then(Brand::cc_bank_code), Some(i.bank_code()), "{}", i.number),
            }
            if !i.published {
                let code = i.outcome.after_otp();
                let scheme =
                    if code == ErrorCode::DECLINED { "0002".to_owned() } else { format!("{:04}", code.code()) };
                assert_eq!(i.last_four(), scheme, "{}", i.number);
            }
            assert!(
                i.outcome.final_code().is_success()
                    || appotapay_protocol::DECLINE_CODES.contains(&i.outcome.final_code()),
                "{} ends final",
                i.number
            );
        }
    }

    #[test]
    fn non_final_cards_resolve() {
        assert_eq!(resolution(ErrorCode::PROCESSING), ErrorCode::SUCCESS);
        assert_eq!(resolution(ErrorCode::PENDING), ErrorCode::SUCCESS);
        assert_eq!(resolution(ErrorCode::UNDEFINED_ERROR), ErrorCode::ISSUER_NO_RESPONSE);
        assert_eq!(resolution(ErrorCode(4242)), ErrorCode::SUCCESS);
    }

    #[test]
    fn the_page_rows_are_the_table() {
        let atm = test_cards(Atm);
        let cc = test_cards(Cc);
        assert_eq!(atm.len() + cc.len(), INSTRUMENTS.len());
        assert_eq!(atm[0].number, "9704229306604047");
        assert_eq!((atm[0].holder, atm[0].date.as_str()), ("ARTURO MOEN", "01/23"));
        assert_eq!((cc[0].date.as_str(), cc[0].cvv), ("03/27", "123"));
        assert!(cc.iter().any(|r| r.outcome == ErrorCode::UNDEFINED_ERROR && r.then == Some(ErrorCode(72))));
        let md = markdown();
        for i in INSTRUMENTS {
            assert!(md.contains(i.number), "{} documented", i.number);
        }
    }
}
