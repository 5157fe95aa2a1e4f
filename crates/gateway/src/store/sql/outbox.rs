//! The IPN outbox and its attempts: statements, parameters, row decoding.
//!
//! Claiming rows is the one outbox statement the backends write each their own way
//! (PostgreSQL locks with `FOR UPDATE SKIP LOCKED`); both return
//! [`CLAIMED_COLUMNS`], decoded here.

use super::rows::{SqlRow, corrupt};
use super::{Sql, Value, values};
use crate::store::{AttemptRecord, Delivery, DeliveryStatus, NewOutbox, NextStep, OutboxItem, StoreResult};

/// Queues an IPN ([`outbox_params`]).
pub static INSERT_OUTBOX: Sql =
    Sql::new(|| format!("INSERT INTO outbox ({QUEUED_COLUMNS}) VALUES ({})", queued_values(1)));

/// The columns an IPN is queued with, valued by [`queued_values`].
pub const QUEUED_COLUMNS: &str = "trans_id, partner_code, url, body, status, attempts, next_attempt_at_ms, \
     locked_until_ms, created_at_ms, lose_attempts";

/// The values of [`QUEUED_COLUMNS`], the seven of [`outbox_params`] numbered from
/// `$first`: a statement that queues an IPN after other parameters of its own (a
/// settlement's, in one statement on PostgreSQL) numbers them on.
pub fn queued_values(first: usize) -> String {
    let p = |i: usize| format!("${}", first + i);
    format!("{}, {}, {}, {}, 'pending', 0, {}, 0, {}, {}", p(0), p(1), p(2), p(3), p(4), p(5), p(6))
}

/// What a claim returns of each row, in [`claimed_from_row`]'s order.
pub const CLAIMED_COLUMNS: &str = "id, trans_id, partner_code, url, body, attempts, lose_attempts";

/// Records an attempt: `$1` … `$7` of [`attempt_params`].
pub static INSERT_ATTEMPT: Sql = Sql::new(|| {
    "INSERT INTO ipn_attempts (outbox_id, attempt, at_ms, http_status, error, latency_ms, response_head) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)"
        .into()
});

/// Moves an outbox row on after an attempt ([`attempt_params`]). Only the row's
/// latest attempt moves it on, and a delivery always does: a late failure never
/// undoes a delivery nor overrides a newer attempt.
pub static FINISH_OUTBOX_ROW: Sql = Sql::new(|| {
    "UPDATE outbox SET status = $8, next_attempt_at_ms = COALESCE($9, next_attempt_at_ms), \
     locked_until_ms = 0, finished_at_ms = $10 \
     WHERE id = $1 AND ((status = 'pending' AND attempts = $2) OR ($8 = 'delivered' AND status <> 'delivered'))"
        .into()
});

/// When the earliest pending row is due: its next attempt, or its lease's end.
pub static NEXT_OUTBOX_DUE: Sql = Sql::new(|| {
    "SELECT MIN(CASE WHEN next_attempt_at_ms > locked_until_ms THEN next_attempt_at_ms ELSE locked_until_ms END) \
     FROM outbox WHERE status = 'pending'"
        .into()
});

/// The number of pending rows.
pub static OUTBOX_DEPTH: Sql = Sql::new(|| "SELECT COUNT(*) FROM outbox WHERE status = 'pending'".into());

/// Releases every lease (for a store no other node writes to).
pub static RELEASE_LEASES: Sql = Sql::new(|| "UPDATE outbox SET locked_until_ms = 0 WHERE status = 'pending'".into());

/// The outbox rows of a transaction (`$1`), oldest first.
pub static DELIVERIES: Sql =
    Sql::new(|| "SELECT id, url, body, status FROM outbox WHERE trans_id = $1 ORDER BY id".into());

/// The attempts on the outbox rows of a transaction (`$1`), oldest first.
pub static DELIVERY_ATTEMPTS: Sql = Sql::new(|| {
    "SELECT a.outbox_id, a.attempt, a.at_ms, a.http_status, a.error, a.latency_ms, a.response_head \
     FROM ipn_attempts a JOIN outbox o ON o.id = a.outbox_id WHERE o.trans_id = $1 ORDER BY a.id"
        .into()
});

/// The parameters of [`INSERT_OUTBOX`]: the IPN `ob` of the transaction `trans_id`,
/// queued at `now_ms`.
pub fn outbox_params<'a>(trans_id: &'a str, ob: &'a NewOutbox, now_ms: i64) -> Vec<Value<'a>> {
    values![trans_id, &ob.partner_code, &ob.url, &ob.body, ob.first_attempt_at_ms, now_ms, ob.lose_attempts]
}

/// The rows an IPN is queued as: itself, and a second copy when a delivery fault
/// says it is delivered twice.
pub fn queued_rows(ob: &NewOutbox) -> Vec<NewOutbox> {
    let mut rows = vec![NewOutbox { again_after_ms: None, fault_id: None, ..ob.clone() }];
    if let Some(after) = ob.again_after_ms {
        rows.push(NewOutbox {
            first_attempt_at_ms: ob.first_attempt_at_ms.saturating_add(after),
            lose_attempts: 0,
            again_after_ms: None,
            fault_id: None,
            ..ob.clone()
        });
    }
    rows
}

/// The parameters of [`INSERT_ATTEMPT`] (the first seven) and [`FINISH_OUTBOX_ROW`]
/// (all ten): the attempt, then its row's status, next attempt and end, `now_ms`
/// being the time the attempt is recorded.
pub fn attempt_params(a: &AttemptRecord, next: NextStep, now_ms: i64) -> Vec<Value<'_>> {
    let (status, next_at, finished) = match next {
        NextStep::Delivered => (DeliveryStatus::Delivered, None, Some(now_ms)),
        NextStep::RetryAt(t) => (DeliveryStatus::Pending, Some(t), None),
        NextStep::GiveUp => (DeliveryStatus::Failed, None, Some(now_ms)),
    };
    values![
        a.outbox_id,
        a.attempt,
        a.at_ms,
        a.http_status,
        a.error.as_deref(),
        a.latency_ms,
        a.response_head.as_str(),
        status.as_str(),
        next_at,
        finished,
    ]
}

/// A row of [`CLAIMED_COLUMNS`].
pub fn claimed_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<OutboxItem> {
    Ok(OutboxItem {
        id: r.int(0)?,
        trans_id: r.trans_id(1)?,
        partner_code: r.text(2)?,
        url: r.text(3)?,
        body: r.text(4)?,
        attempt: r.u32(5, "attempts")?,
        lost: r.int(5)? <= r.int(6)?,
    })
}

/// A row of [`DELIVERY_ATTEMPTS`].
pub fn attempt_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<AttemptRecord> {
    let http_status = r.int_opt(3)?.map(|s| u16::try_from(s).map_err(|_| corrupt("http_status"))).transpose()?;
    Ok(AttemptRecord {
        outbox_id: r.int(0)?,
        attempt: r.u32(1, "attempt")?,
        at_ms: r.int(2)?,
        http_status,
        error: r.text_opt(4)?,
        latency_ms: r.int(5)?,
        response_head: r.text(6)?,
    })
}

/// A row of [`DELIVERIES`], its attempts still to be added.
pub fn delivery_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<Delivery> {
    let status = DeliveryStatus::parse(&r.text(3)?).ok_or_else(|| corrupt("delivery status"))?;
    Ok(Delivery { id: r.int(0)?, url: r.text(1)?, body: r.text(2)?, status, attempts: Vec::new() })
}

/// The deliveries with their attempts (each already in order).
pub fn with_attempts(mut deliveries: Vec<Delivery>, attempts: Vec<AttemptRecord>) -> Vec<Delivery> {
    for a in attempts {
        if let Some(d) = deliveries.iter_mut().find(|d| d.id == a.outbox_id) {
            d.attempts.push(a);
        }
    }
    deliveries
}
