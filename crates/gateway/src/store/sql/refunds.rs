//! Refunds: statements, parameters, row decoding, the list filter and the admission
//! decision.
//!
//! Admitting a refund reads three things in the transaction that inserts it — the
//! order ([`ORDER_FOR_REFUND`]), whether the partner's refundId is taken
//! ([`REFUND_ID_TAKEN`]), the order's refund sums ([`REFUND_TOTALS`]) — and
//! [`admission`] decides on what was read. Each backend only runs the reads and the
//! insert in its own transaction, serialised per order its own way (see
//! [`crate::store::RefundStore`]).

use super::rows::{SqlRow, corrupt};
use super::{Sql, Value, values};
use crate::domain::order::State;
use crate::domain::refund::{self, Ledger, RefundStatus, RefundType, Refusal};
use crate::store::{Refund, RefundChange, RefundCreate, RefundFilter, RefundTotals, StoreResult};

/// The columns of a refund, in [`refund_from_row`]'s and [`refund_params`]' order.
pub const REFUND_COLUMNS: &str = "refund_id, partner_code, refund_original_id, trans_id, amount, reason, status, \
    created_at_ms, updated_at_ms, due_at_ms";

/// Inserts a refund ([`refund_params`]); no row if either id is taken.
pub static INSERT_REFUND: Sql = Sql::new(|| {
    format!(
        "INSERT INTO refunds ({REFUND_COLUMNS}) VALUES ({}) ON CONFLICT DO NOTHING",
        super::placeholders(1, super::column_count(REFUND_COLUMNS))
    )
});

/// The owner, state and amount of the order `$1` ([`RefundOrder`]).
pub static ORDER_FOR_REFUND: Sql =
    Sql::new(|| "SELECT partner_code, state, amount FROM orders WHERE trans_id = $1".into());

/// A row if the partner `$1` already used the refundId `$2`.
pub static REFUND_ID_TAKEN: Sql =
    Sql::new(|| "SELECT 1 FROM refunds WHERE partner_code = $1 AND refund_original_id = $2".into());

/// Sums of a transaction's (`$1`) refunds: not in error (committed), in success
/// (refunded). Cast, as PostgreSQL's `SUM(bigint)` is `numeric`.
pub static REFUND_TOTALS: Sql = Sql::new(|| {
    "SELECT CAST(COALESCE(SUM(CASE WHEN status <> 'error' THEN amount ELSE 0 END), 0) AS BIGINT), \
     CAST(COALESCE(SUM(CASE WHEN status = 'success' THEN amount ELSE 0 END), 0) AS BIGINT) \
     FROM refunds WHERE trans_id = $1"
        .into()
});

/// The compare-and-set of a refund's status ([`change_params`]).
pub static UPDATE_REFUND: Sql = Sql::new(|| {
    "UPDATE refunds SET status = $1, updated_at_ms = $2, due_at_ms = $3 WHERE refund_id = $4 AND status = $5".into()
});

/// A refund by the gateway's id (`$1`).
pub static GET_REFUND: Sql = Sql::new(|| format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE refund_id = $1"));

/// A refund by partner (`$1`) and the partner's refundId (`$2`).
pub static FIND_REFUND: Sql =
    Sql::new(|| format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE partner_code = $1 AND refund_original_id = $2"));

/// The refunds of a transaction (`$1`), oldest first.
pub static ORDER_REFUNDS: Sql =
    Sql::new(|| format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE trans_id = $1 ORDER BY created_at_ms, seq"));

/// Pending and processing refunds due at `$1`, earliest first, at most `$2`.
pub static DUE_REFUNDS: Sql = Sql::new(|| {
    format!(
        "SELECT {REFUND_COLUMNS} FROM refunds WHERE status IN ('pending', 'processing') \
         AND due_at_ms <= $1 ORDER BY due_at_ms LIMIT $2"
    )
});

/// The parameters of [`INSERT_REFUND`].
pub fn refund_params(r: &Refund) -> Vec<Value<'_>> {
    values![
        &r.refund_id,
        &r.partner_code,
        &r.refund_original_id,
        &r.trans_id,
        r.amount,
        &r.reason,
        r.status.as_str(),
        r.created_at_ms,
        r.updated_at_ms,
        r.due_at_ms,
    ]
}

/// The parameters of [`UPDATE_REFUND`].
pub fn change_params(ch: &RefundChange) -> Vec<Value<'_>> {
    values![ch.to.as_str(), ch.now_ms, ch.due_at_ms, &ch.refund_id, ch.from.as_str()]
}

/// The parameters of [`REFUND_ID_TAKEN`] for a refund.
pub fn refund_id_params(r: &Refund) -> Vec<Value<'_>> {
    values![&r.partner_code, &r.refund_original_id]
}

/// A row of [`REFUND_COLUMNS`].
pub fn refund_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<Refund> {
    Ok(Refund {
        refund_id: r.text(0)?,
        partner_code: r.text(1)?,
        refund_original_id: r.text(2)?,
        trans_id: r.trans_id(3)?,
        amount: r.int(4)?,
        reason: r.text(5)?,
        status: RefundStatus::parse(&r.text(6)?).ok_or_else(|| corrupt("refund status"))?,
        created_at_ms: r.int(7)?,
        updated_at_ms: r.int(8)?,
        due_at_ms: r.int_opt(9)?,
    })
}

/// A row of [`REFUND_TOTALS`].
pub fn totals_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<RefundTotals> {
    Ok(RefundTotals { committed: r.int(0)?, refunded: r.int(1)? })
}

/// What a refund's admission needs of its order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundOrder {
    /// The owning partner.
    pub partner_code: String,
    /// The payment's state.
    pub state: State,
    /// The paid amount.
    pub paid: i64,
}

/// A row of [`ORDER_FOR_REFUND`].
pub fn refund_order_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<RefundOrder> {
    Ok(RefundOrder {
        partner_code: r.text(0)?,
        state: State::parse(&r.text(1)?).ok_or_else(|| corrupt("state"))?,
        paid: r.int(2)?,
    })
}

/// Whether `refund` may be inserted, given what its transaction read: the order (if
/// any), whether the partner's refundId is taken, and the order's refund sums. The
/// order must exist and be the refunding partner's (else 36), the refundId must be
/// new (31), then [`refund::admit`] decides.
pub fn admission(
    refund: &Refund,
    order: Option<&RefundOrder>,
    refund_id_taken: bool,
    totals: RefundTotals,
    min_amount: i64,
) -> Result<(), Refusal> {
    let Some(order) = order.filter(|o| o.partner_code == refund.partner_code) else {
        return Err(Refusal::UnknownTransaction);
    };
    if refund_id_taken {
        return Err(Refusal::DuplicateRefundId);
    }
    let ledger = Ledger { paid: order.paid, committed: totals.committed, refunded: totals.refunded };
    refund::admit(order.state, ledger, refund.amount, min_amount)
}

/// The outcome of an admitted refund's insert: created, or — when a concurrent
/// insert won — whose id was taken (`refund_id_taken`: read again after the insert).
pub fn inserted(rows: u64, refund_id_taken: bool) -> RefundCreate {
    if rows == 1 {
        RefundCreate::Created
    } else if refund_id_taken {
        RefundCreate::Refused(Refusal::DuplicateRefundId)
    } else {
        RefundCreate::RefundIdTaken
    }
}

/// The two statements of a refund list: the count and sum of every match, and one
/// page of them, newest first; the same parameters serve both (the page's `LIMIT`
/// and `OFFSET` come last, unused by the count).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundList<'a> {
    /// `SELECT COUNT(*), SUM(amount)` of the matches.
    pub count_sql: String,
    /// `SELECT` of the page.
    pub page_sql: String,
    /// The parameters of the count (the filter's).
    pub filter_params: Vec<Value<'a>>,
    /// The parameters of the page: the filter's, `LIMIT`, `OFFSET`.
    pub page_params: Vec<Value<'a>>,
}

/// The statements of a partner's refund list matching `f` (`r` = refunds,
/// `o` = orders), in PostgreSQL's form.
pub fn refund_list<'a>(partner_code: &'a str, f: &'a RefundFilter, offset: u64, limit: u32) -> RefundList<'a> {
    let mut clause = String::from("r.partner_code = $1");
    let mut params: Vec<Value<'a>> = values![partner_code];
    let mut add = |condition: &str, v: Value<'a>| {
        params.push(v);
        clause.push_str(&format!(" AND {condition} ${}", params.len()));
    };
    let text = |v: &'a Option<String>| v.as_deref().map(Value::from);
    let conditions = [
        ("r.trans_id =", text(&f.trans_id)),
        ("o.order_id =", text(&f.order_id)),
        ("r.refund_id =", text(&f.refund_id)),
        ("r.refund_original_id =", text(&f.refund_original_id)),
        ("r.status =", f.status.map(|s| Value::from(s.as_str()))),
        ("r.amount =", f.amount.map(Value::from)),
        ("r.created_at_ms >=", f.created_from_ms.map(Value::from)),
        ("r.created_at_ms <=", f.created_to_ms.map(Value::from)),
    ];
    for (condition, v) in conditions {
        if let Some(v) = v {
            add(condition, v);
        }
    }
    if let Some(t) = f.refund_type {
        // An order is "total" once its successful refunds add up to the paid amount.
        let op = match t {
            RefundType::Total => ">=",
            RefundType::Partial => "<",
        };
        clause.push_str(&format!(
            " AND (SELECT COALESCE(SUM(x.amount), 0) FROM refunds x WHERE x.trans_id = r.trans_id \
              AND x.status = 'success') {op} o.amount"
        ));
    }
    let from = format!("FROM refunds r JOIN orders o ON o.trans_id = r.trans_id WHERE {clause}");
    let n = params.len();
    let columns = super::qualified("r", REFUND_COLUMNS);
    let mut page_params = params.clone();
    page_params.push(Value::from(i64::from(limit)));
    page_params.push(Value::from(i64::try_from(offset).unwrap_or(i64::MAX)));
    RefundList {
        count_sql: format!("SELECT COUNT(*), CAST(COALESCE(SUM(r.amount), 0) AS BIGINT) {from}"),
        page_sql: format!(
            "SELECT {columns} {from} ORDER BY r.created_at_ms DESC, r.seq DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        ),
        filter_params: params,
        page_params,
    }
}

/// A row of a [`RefundList::count_sql`]: the number of matches and their sum.
pub fn list_totals_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<(u64, i64)> {
    Ok((u64::try_from(r.int(0)?).unwrap_or_default(), r.int(1)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_filter_numbers_its_parameters() {
        let f = RefundFilter {
            order_id: Some("o-1".into()),
            status: Some(RefundStatus::Success),
            refund_type: Some(RefundType::Total),
            ..RefundFilter::default()
        };
        let list = refund_list("P1", &f, 20, 10);
        assert!(list.count_sql.contains("r.partner_code = $1 AND o.order_id = $2 AND r.status = $3 AND ("));
        assert!(list.page_sql.ends_with("LIMIT $4 OFFSET $5"));
        assert_eq!(list.filter_params, values!["P1", "o-1", "success"]);
        assert_eq!(list.page_params, values!["P1", "o-1", "success", 10i64, 20i64]);
    }

    #[test]
    fn admission_checks_owner_then_refund_id_then_amounts() {
        let r = Refund {
            refund_id: "RF1".into(),
            partner_code: "P1".into(),
            refund_original_id: "r-1".into(),
            trans_id: "AP000000000001".parse().expect("id"),
            amount: 5_000,
            reason: String::new(),
            status: RefundStatus::Pending,
            created_at_ms: 0,
            updated_at_ms: 0,
            due_at_ms: None,
        };
        let paid = RefundOrder { partner_code: "P1".into(), state: State::Success, paid: 10_000 };
        let other = RefundOrder { partner_code: "P2".into(), ..paid.clone() };
        let none = RefundTotals::default();
        assert_eq!(admission(&r, None, false, none, 1_000), Err(Refusal::UnknownTransaction));
        assert_eq!(admission(&r, Some(&other), false, none, 1_000), Err(Refusal::UnknownTransaction));
        assert_eq!(admission(&r, Some(&paid), true, none, 1_000), Err(Refusal::DuplicateRefundId));
        assert_eq!(admission(&r, Some(&paid), false, none, 1_000), Ok(()));
        let full = RefundTotals { committed: 10_000, refunded: 0 };
        assert_eq!(admission(&r, Some(&paid), false, full, 1_000), Err(Refusal::ExceedsPaid));
        assert_eq!(inserted(1, false), RefundCreate::Created);
        assert_eq!(inserted(0, true), RefundCreate::Refused(Refusal::DuplicateRefundId));
        assert_eq!(inserted(0, false), RefundCreate::RefundIdTaken);
    }
}
