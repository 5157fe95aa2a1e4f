//! The operator's overview: the aggregating statements behind
//! [`crate::domain::stats`], their parameters and the decoding of their rows.
//!
//! Each statement groups by bucket in SQL (`(t - $1) / $2`, integer division), so
//! a day of heavy traffic returns a few rows per bucket, never a row per order or
//! attempt. Every statement takes [`span_params`]: `$1` the start of the span, `$2`
//! the length of a bucket, `$3` the end of the span (exclusive); each reads a range
//! of one time column, which an index of migration 13 covers.
//!
//! The outbox depth is read as moves: rows entering the pending set (queued in a
//! bucket, or still pending from before the span, counted in bucket 0) and rows
//! leaving it (delivered or given up in a bucket), each grouped by bucket; the
//! domain adds them up into the depth at each bucket's end. Only rows pending at
//! some time of the span are read: the pending ones (`status = 'pending'`, which is
//! `finished_at_ms IS NULL`), through the index of due rows, and those finished
//! since the span began, through the index of finish times.

use super::rows::{SqlRow, corrupt};
use super::{Sql, Value, values};
use crate::domain::order::State;
use crate::domain::refund::RefundStatus;
use crate::domain::stats::{
    AttemptCount, LATENCY_BOUNDS_MS, OrderCount, OutboxMoves, RefundCount, Span, Tally, latency_bin,
};
use crate::store::StoreResult;

/// Orders created in the span, by bucket, payment method and state
/// ([`order_count_from_row`]).
pub static ORDER_COUNTS: Sql = Sql::new(|| {
    "SELECT (created_at_ms - $1) / $2 AS bucket, payment_method, state, COUNT(*) FROM orders \
     WHERE created_at_ms >= $1 AND created_at_ms < $3 GROUP BY bucket, payment_method, state"
        .into()
});

/// IPN attempts started in the span, by bucket, latency bin, delivery and HTTP
/// status ([`attempt_count_from_row`]). An attempt delivered the IPN when it got a
/// 200 and no error (the worker records an error for every other outcome).
pub static ATTEMPT_COUNTS: Sql = Sql::new(|| {
    format!(
        "SELECT (at_ms - $1) / $2 AS bucket, {} AS bin, \
         CASE WHEN http_status = 200 AND error IS NULL THEN 1 ELSE 0 END AS delivered, http_status, \
         COUNT(*), MAX(latency_ms) FROM ipn_attempts WHERE at_ms >= $1 AND at_ms < $3 \
         GROUP BY bucket, bin, delivered, http_status",
        latency_bin_sql("latency_ms")
    )
});

/// Outbox rows entering (`0`) and leaving (`1`) the pending set, by bucket
/// ([`outbox_moves_from_row`]; see the module documentation).
pub static OUTBOX_MOVES: Sql = Sql::new(|| {
    let entered = "CASE WHEN created_at_ms < $1 THEN 0 ELSE (created_at_ms - $1) / $2 END";
    format!(
        "SELECT 0 AS kind, {entered} AS bucket, COUNT(*) FROM outbox \
         WHERE status = 'pending' AND created_at_ms < $3 GROUP BY bucket \
         UNION ALL \
         SELECT 0 AS kind, {entered} AS bucket, COUNT(*) FROM outbox \
         WHERE finished_at_ms >= $1 AND created_at_ms < $3 GROUP BY bucket \
         UNION ALL \
         SELECT 1 AS kind, (finished_at_ms - $1) / $2 AS bucket, COUNT(*) FROM outbox \
         WHERE finished_at_ms >= $1 AND finished_at_ms < $3 AND created_at_ms < $3 GROUP BY bucket"
    )
});

/// Refunds created in the span, by bucket and status, with their amount
/// ([`refund_count_from_row`]). Cast, as PostgreSQL's `SUM(bigint)` is `numeric`.
pub static REFUND_COUNTS: Sql = Sql::new(|| {
    "SELECT (created_at_ms - $1) / $2 AS bucket, status, COUNT(*), CAST(SUM(amount) AS BIGINT) FROM refunds \
     WHERE created_at_ms >= $1 AND created_at_ms < $3 GROUP BY bucket, status"
        .into()
});

/// The four statements, in the order a backend runs them.
pub fn statements() -> [&'static Sql; 4] {
    [&ORDER_COUNTS, &ATTEMPT_COUNTS, &OUTBOX_MOVES, &REFUND_COUNTS]
}

/// `CASE WHEN column <= 0 THEN 0 WHEN column <= 1 THEN 1 … ELSE 14 END`: the
/// latency bin of [`latency_bin`], in SQL.
pub fn latency_bin_sql(column: &str) -> String {
    let mut sql = String::from("CASE");
    for (bin, bound) in LATENCY_BOUNDS_MS.iter().enumerate() {
        sql.push_str(&format!(" WHEN {column} <= {bound} THEN {bin}"));
    }
    sql.push_str(&format!(" ELSE {} END", latency_bin(i64::MAX)));
    sql
}

/// The parameters of every statement here: `$1` the span's start, `$2` its bucket
/// length, `$3` its end.
pub fn span_params(span: &Span) -> Vec<Value<'static>> {
    values![span.since_ms, span.bucket_ms, span.until_ms()]
}

/// A row of [`ORDER_COUNTS`].
pub fn order_count_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<OrderCount> {
    Ok(OrderCount {
        bucket: r.int(0)?,
        method: r.method(1)?,
        state: State::parse(&r.text(2)?).ok_or_else(|| corrupt("order state"))?,
        count: r.int(3)?,
    })
}

/// A row of [`ATTEMPT_COUNTS`].
pub fn attempt_count_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<AttemptCount> {
    let http_status = r.int_opt(3)?.map(|s| u16::try_from(s).map_err(|_| corrupt("http_status"))).transpose()?;
    Ok(AttemptCount {
        bucket: r.int(0)?,
        bin: usize::try_from(r.int(1)?).map_err(|_| corrupt("latency bin"))?,
        delivered: r.int(2)? != 0,
        http_status,
        count: r.int(4)?,
        max_latency_ms: r.int(5)?,
    })
}

/// A row of [`OUTBOX_MOVES`].
pub fn outbox_moves_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<OutboxMoves> {
    let (bucket, count) = (r.int(1)?, r.int(2)?);
    Ok(match r.int(0)? {
        0 => OutboxMoves { bucket, entered: count, left: 0 },
        _ => OutboxMoves { bucket, entered: 0, left: count },
    })
}

/// A row of [`REFUND_COUNTS`].
pub fn refund_count_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<RefundCount> {
    Ok(RefundCount {
        bucket: r.int(0)?,
        status: RefundStatus::parse(&r.text(1)?).ok_or_else(|| corrupt("refund status"))?,
        tally: Tally { count: r.int(2)?, amount: r.int(3)? },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latency_ladder_is_the_domain_s() {
        let sql = latency_bin_sql("l");
        assert!(sql.starts_with("CASE WHEN l <= 0 THEN 0 WHEN l <= 1 THEN 1 WHEN l <= 2 THEN 2 WHEN l <= 5 THEN 3"));
        assert!(sql.ends_with("WHEN l <= 10000 THEN 13 ELSE 14 END"), "{sql}");
        for s in statements() {
            assert!(!s.sqlite().contains('$'), "{}", s.sqlite());
        }
    }
}
