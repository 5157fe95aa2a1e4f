//! Orders: statements, parameters, row decoding.

use super::rows::{SqlRow, corrupt};
use super::{Sql, Value, values};
use crate::domain::order::State;
use crate::store::{CardRecord, Order, OrderKind, StateChange, StoreResult};
use appotapay_protocol::{BankCode, ErrorCode};

/// The columns of an order, in [`order_from_row`]'s and [`order_params`]' order.
pub const ORDER_COLUMNS: &str = "trans_id, partner_code, order_id, kind, payment_method, bank_code, amount, \
    order_info, client_ip, notify_url, redirect_url, extra_data, sub_account, state, error_code, card_number, \
    card_date, card_name, card_country, qr_payload, created_at_ms, expires_at_ms, updated_at_ms, settled_at_ms";

/// Inserts an order ([`order_params`]). `ON CONFLICT` without a target covers both
/// unique keys (the trans id, the partner's order id): no row on either. A
/// concurrent insert of the same key waits for the other transaction, then does
/// nothing.
pub static INSERT_ORDER: Sql = Sql::new(|| {
    format!(
        "INSERT INTO orders ({ORDER_COLUMNS}) VALUES ({}) ON CONFLICT DO NOTHING",
        super::placeholders(1, super::column_count(ORDER_COLUMNS))
    )
});

/// A row if the partner `$1` has an order `$2`: tells a duplicate order id from a
/// trans id taken, once [`INSERT_ORDER`] inserted nothing.
pub static ORDER_ID_TAKEN: Sql = Sql::new(|| "SELECT 1 FROM orders WHERE partner_code = $1 AND order_id = $2".into());

/// An order by trans id (`$1`).
pub static GET_ORDER: Sql = Sql::new(|| format!("SELECT {ORDER_COLUMNS} FROM orders WHERE trans_id = $1"));

/// An order by partner (`$1`) and the partner's order id (`$2`).
pub static FIND_ORDER: Sql =
    Sql::new(|| format!("SELECT {ORDER_COLUMNS} FROM orders WHERE partner_code = $1 AND order_id = $2"));

/// The compare-and-set of a state change ([`change_params`]): changes the order only
/// if it is still in the state the change was decided from. Under PostgreSQL's READ
/// COMMITTED a concurrent change of the row makes this one wait, re-check `state` on
/// the new version, and match nothing.
pub static APPLY_CHANGE: Sql = Sql::new(|| {
    "UPDATE orders SET state = $1, error_code = $2, updated_at_ms = $3, \
     settled_at_ms = CASE WHEN $4 THEN $3 ELSE settled_at_ms END, \
     bank_code = COALESCE($5, bank_code), payment_method = COALESCE($6, payment_method), \
     card_number = COALESCE($7, card_number), card_date = COALESCE($8, card_date), \
     card_name = COALESCE($9, card_name), card_country = COALESCE($10, card_country) \
     WHERE trans_id = $11 AND state = $12"
        .into()
});

/// Pending orders whose lifetime ended at or before `$1`, at most `$2`.
pub static OVERDUE_ORDERS: Sql = Sql::new(|| {
    format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE state = 'pending' AND expires_at_ms <= $1 \
         ORDER BY expires_at_ms LIMIT $2"
    )
});

/// The parameters of [`INSERT_ORDER`].
pub fn order_params(o: &Order) -> Vec<Value<'_>> {
    let card = o.card.as_ref();
    values![
        &o.trans_id,
        &o.partner_code,
        &o.order_id,
        o.kind.as_str(),
        o.payment_method,
        o.bank_code.map_or("", BankCode::as_str),
        o.amount,
        &o.order_info,
        &o.client_ip,
        &o.notify_url,
        &o.redirect_url,
        &o.extra_data,
        &o.sub_account,
        o.state.as_str(),
        o.code.code(),
        card.map(|c| c.number_masked.as_str()),
        card.map(|c| c.date.as_str()),
        card.map(|c| c.name.as_str()),
        card.map(|c| c.country.as_str()),
        &o.qr_payload,
        o.created_at_ms,
        o.expires_at_ms,
        o.updated_at_ms,
        o.settled_at_ms,
    ]
}

/// The parameters of [`APPLY_CHANGE`].
pub fn change_params(ch: &StateChange) -> Vec<Value<'_>> {
    let card = ch.card.as_ref();
    values![
        ch.to.as_str(),
        ch.code.code(),
        ch.now_ms,
        ch.to.is_final(),
        &ch.bank_code,
        &ch.payment_method,
        card.map(|c| c.number_masked.as_str()),
        card.map(|c| c.date.as_str()),
        card.map(|c| c.name.as_str()),
        card.map(|c| c.country.as_str()),
        &ch.trans_id,
        ch.from.as_str(),
    ]
}

/// A row of [`ORDER_COLUMNS`].
pub fn order_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<Order> {
    let card = match r.text_opt(15)? {
        Some(number_masked) => Some(CardRecord {
            number_masked,
            date: r.text_opt(16)?.unwrap_or_default(),
            name: r.text_opt(17)?.unwrap_or_default(),
            country: r.text_opt(18)?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(Order {
        trans_id: r.trans_id(0)?,
        partner_code: r.text(1)?,
        order_id: r.text(2)?,
        kind: OrderKind::parse(&r.text(3)?).ok_or_else(|| corrupt("kind"))?,
        payment_method: r.method(4)?,
        bank_code: r.bank_opt(5)?,
        amount: r.int(6)?,
        order_info: r.text(7)?,
        client_ip: r.text(8)?,
        notify_url: r.text(9)?,
        redirect_url: r.text(10)?,
        extra_data: r.text(11)?,
        sub_account: r.text_opt(12)?,
        state: State::parse(&r.text(13)?).ok_or_else(|| corrupt("state"))?,
        code: ErrorCode(r.u32(14, "error_code")?),
        card,
        qr_payload: r.text_opt(19)?,
        created_at_ms: r.int(20)?,
        expires_at_ms: r.int(21)?,
        updated_at_ms: r.int(22)?,
        settled_at_ms: r.int_opt(23)?,
    })
}
