//! Orders: statements, parameters, row decoding.

use super::rows::{SqlRow, corrupt};
use super::{Sql, Value, values};
use crate::domain::order::State;
use crate::store::{
    ApiVersion, CardRecord, CardToken, CreateOutcome, Order, OrderKind, OrderQuery, StateChange, StoreResult,
};
use appotapay_protocol::v11::Action;
use appotapay_protocol::{BankCode, ErrorCode};

/// The columns of an order, in [`order_from_row`]'s and [`order_params`]' order.
pub const ORDER_COLUMNS: &str = "trans_id, partner_code, order_id, kind, payment_method, bank_code, amount, \
    order_info, client_ip, notify_url, redirect_url, extra_data, sub_account, state, error_code, card_number, \
    card_date, card_name, card_country, qr_payload, created_at_ms, expires_at_ms, updated_at_ms, settled_at_ms, \
    api_version, action, token, signature_reading";

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

/// The trans id of the partner `$1`'s order `$2`, if it has one: tells a duplicate
/// order id from a trans id taken, once [`INSERT_ORDER`] inserted nothing (and, on
/// PostgreSQL, an order inserted by an earlier try whose answer was lost).
pub static ORDER_ID_TAKEN: Sql =
    Sql::new(|| "SELECT trans_id FROM orders WHERE partner_code = $1 AND order_id = $2".into());

/// Why [`INSERT_ORDER`] inserted nothing, from the trans id holding the partner's
/// order id ([`ORDER_ID_TAKEN`]): another order has it (a duplicate), none does (the
/// trans id was taken), or this very order does (an earlier try of it committed and
/// its answer was lost: it was created, and inserting it again changes nothing).
pub fn not_inserted(holder: Option<&str>, trans_id: &str) -> CreateOutcome {
    match holder {
        Some(t) if t == trans_id => CreateOutcome::Created,
        Some(_) => CreateOutcome::DuplicateOrderId,
        None => CreateOutcome::TransIdTaken,
    }
}

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
     card_name = COALESCE($9, card_name), card_country = COALESCE($10, card_country), \
     token = COALESCE($13, token) \
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
        o.api.as_str(),
        o.action.as_str(),
        &o.token,
        &o.signature_reading,
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
        ch.token.as_ref().map(|t| t.token.as_str()),
    ]
}

/// Inserts a saved card ([`token_params`]).
pub static INSERT_TOKEN: Sql =
    Sql::new(|| format!("INSERT INTO card_tokens ({TOKEN_COLUMNS}) VALUES ({})", super::placeholders(1, 10)));

/// The columns of a saved card, in [`token_from_row`]'s and [`token_params`]' order.
pub const TOKEN_COLUMNS: &str = "token, partner_code, trans_id, card_number, card_name, card_date, card_type, bank_code, created_at_ms, \
     deleted_at_ms";

/// A saved card by token (`$1`), deleted or not.
pub static GET_TOKEN: Sql = Sql::new(|| format!("SELECT {TOKEN_COLUMNS} FROM card_tokens WHERE token = $1"));

/// Marks the partner `$2`'s live token `$3` deleted at `$1`.
pub static DELETE_TOKEN: Sql = Sql::new(|| {
    "UPDATE card_tokens SET deleted_at_ms = $1 WHERE partner_code = $2 AND token = $3 AND deleted_at_ms IS NULL".into()
});

/// The parameters of [`INSERT_TOKEN`].
pub fn token_params(t: &CardToken) -> Vec<Value<'_>> {
    values![
        &t.token,
        &t.partner_code,
        &t.trans_id,
        &t.number_masked,
        &t.holder,
        &t.date,
        &t.card_type,
        t.bank_code.as_str(),
        t.created_at_ms,
        t.deleted_at_ms,
    ]
}

/// A row of [`TOKEN_COLUMNS`].
pub fn token_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<CardToken> {
    Ok(CardToken {
        token: r.text(0)?,
        partner_code: r.text(1)?,
        trans_id: r.text(2)?,
        number_masked: r.text(3)?,
        holder: r.text(4)?,
        date: r.text(5)?,
        card_type: r.text(6)?,
        bank_code: r.bank_opt(7)?.ok_or_else(|| corrupt("token bank code"))?,
        created_at_ms: r.int(8)?,
        deleted_at_ms: r.int_opt(9)?,
    })
}

/// The `WHERE` of a list ([`list_params`]): the partner `$1`, then optional
/// filters whose parameter is NULL when unused: sub-account `$2`, created from `$3`
/// to `$4`, payment method `$5`, and up to six states `$6`…`$11`.
const LIST_WHERE: &str = "WHERE partner_code = $1 AND ($2 IS NULL OR sub_account = $2) \
     AND ($3 IS NULL OR created_at_ms >= $3) AND ($4 IS NULL OR created_at_ms <= $4) \
     AND ($5 IS NULL OR payment_method = $5) \
     AND ($6 IS NULL OR state IN ($6, $7, $8, $9, $10, $11))";

/// How many orders a list matches.
pub static COUNT_ORDERS: Sql = Sql::new(|| format!("SELECT COUNT(*) FROM orders {LIST_WHERE}"));

/// A page of a list, newest first; `$12` rows after skipping `$13`.
pub static LIST_ORDERS: Sql = Sql::new(|| {
    format!(
        "SELECT {ORDER_COLUMNS} FROM orders {LIST_WHERE} ORDER BY created_at_ms DESC, trans_id DESC LIMIT $12 OFFSET $13"
    )
});

/// The parameters of [`COUNT_ORDERS`] (`page` false) or [`LIST_ORDERS`].
pub fn list_params(q: &OrderQuery, page: bool) -> Vec<Value<'_>> {
    let state = |i: usize| q.states.get(i).or(q.states.first()).map(|s| s.as_str());
    let mut v = values![
        &q.partner_code,
        &q.sub_account,
        q.start_ms,
        q.end_ms,
        q.payment_method.map(|m| m.as_str()),
        state(0),
        state(1),
        state(2),
        state(3),
        state(4),
        state(5),
    ];
    if page {
        v.extend(values![i64::from(q.limit), i64::try_from(q.offset).unwrap_or(i64::MAX)]);
    }
    v
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
        api: ApiVersion::parse(&r.text(24)?).ok_or_else(|| corrupt("api version"))?,
        action: Action::parse(&r.text(25)?).ok_or_else(|| corrupt("action"))?,
        token: r.text_opt(26)?,
        signature_reading: r.text_opt(27)?,
    })
}
