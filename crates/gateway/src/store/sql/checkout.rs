//! Checkout progress: statements, parameters, row decoding.

use super::rows::{SqlRow, corrupt};
use super::{Sql, Value, values};
use crate::store::{CardRecord, Checkout, PendingCard, StoreResult};
use appotapay_protocol::ErrorCode;

/// The columns of a checkout row, in [`checkout_from_row`]'s and
/// [`checkout_params`]' order.
pub const CHECKOUT_COLUMNS: &str = "trans_id, method, bank_code, card_number, card_date, card_name, card_country, \
    card_bank, card_outcome, otp_failures, process_due_ms, updated_at_ms";

/// The checkout row of an order (`$1`).
pub static GET_CHECKOUT: Sql =
    Sql::new(|| format!("SELECT {CHECKOUT_COLUMNS} FROM checkout_sessions WHERE trans_id = $1"));

/// Inserts or replaces a checkout row ([`checkout_params`]), all but its count of
/// wrong OTPs, which only [`ADD_WRONG_OTP`] raises.
pub static PUT_CHECKOUT: Sql = Sql::new(|| {
    format!(
        "INSERT INTO checkout_sessions ({CHECKOUT_COLUMNS}) VALUES ({}) ON CONFLICT (trans_id) DO UPDATE SET \
         method = excluded.method, bank_code = excluded.bank_code, card_number = excluded.card_number, \
         card_date = excluded.card_date, card_name = excluded.card_name, card_country = excluded.card_country, \
         card_bank = excluded.card_bank, card_outcome = excluded.card_outcome, \
         process_due_ms = excluded.process_due_ms, updated_at_ms = excluded.updated_at_ms",
        super::placeholders(1, super::column_count(CHECKOUT_COLUMNS))
    )
});

/// Counts a wrong OTP on the order `$1` at `$2`; returns the new count (no row
/// without a checkout row).
pub static ADD_WRONG_OTP: Sql = Sql::new(|| {
    "UPDATE checkout_sessions SET otp_failures = otp_failures + 1, updated_at_ms = $2 \
     WHERE trans_id = $1 RETURNING otp_failures"
        .into()
});

/// Checkout rows whose processing payment is due at `$1` and whose order is still
/// processing, earliest first, at most `$2`.
pub static DUE_PROCESSING: Sql = Sql::new(|| {
    format!(
        "SELECT {} FROM checkout_sessions c JOIN orders o ON o.trans_id = c.trans_id \
         WHERE c.process_due_ms IS NOT NULL AND c.process_due_ms <= $1 AND o.state = 'processing' \
         ORDER BY c.process_due_ms LIMIT $2",
        super::qualified("c", CHECKOUT_COLUMNS)
    )
});

/// The parameters of [`PUT_CHECKOUT`].
pub fn checkout_params(co: &Checkout) -> Vec<Value<'_>> {
    let card = co.card.as_ref();
    values![
        &co.trans_id,
        &co.method,
        &co.bank_code,
        card.map(|p| p.card.number_masked.as_str()),
        card.map(|p| p.card.date.as_str()),
        card.map(|p| p.card.name.as_str()),
        card.map(|p| p.card.country.as_str()),
        card.map(|p| p.bank_code.as_str()),
        card.map(|p| p.outcome.code()),
        co.otp_failures,
        co.process_due_ms,
        co.updated_at_ms,
    ]
}

/// A row of [`CHECKOUT_COLUMNS`].
pub fn checkout_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<Checkout> {
    let card = match r.text_opt(3)? {
        Some(number_masked) => Some(PendingCard {
            card: CardRecord {
                number_masked,
                date: r.text_opt(4)?.unwrap_or_default(),
                name: r.text_opt(5)?.unwrap_or_default(),
                country: r.text_opt(6)?.unwrap_or_default(),
            },
            bank_code: r.bank_opt(7)?.ok_or_else(|| corrupt("card_bank"))?,
            outcome: ErrorCode(
                r.int_opt(8)?.and_then(|c| u32::try_from(c).ok()).ok_or_else(|| corrupt("card_outcome"))?,
            ),
        }),
        None => None,
    };
    Ok(Checkout {
        trans_id: r.trans_id(0)?,
        method: r.method_opt(1)?,
        bank_code: r.bank_opt(2)?,
        card,
        otp_failures: r.u32(9, "otp_failures")?,
        process_due_ms: r.int_opt(10)?,
        updated_at_ms: r.int(11)?,
    })
}

/// A row of [`ADD_WRONG_OTP`].
pub fn wrong_otps_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<u32> {
    r.u32(0, "otp_failures")
}
