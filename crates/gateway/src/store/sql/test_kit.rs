//! The sandbox test kit: delivery faults and test clocks; statements, parameters,
//! row decoding.
//!
//! Advancing a partner's clock is one transaction of [`ADVANCE_STATEMENTS`]: every
//! time stored as "due then" for the partner moves earlier by the same amount, so
//! that what falls due happens at once, through the sweeper and the IPN worker, as
//! it would have when the time came.

use super::rows::SqlRow;
use super::{Sql, Value, values};
use crate::domain::test_kit::{DeliveryFault, FaultScript, NewFault};
use crate::store::StoreResult;

/// The columns of a fault, in [`fault_from_row`]'s order.
const FAULT_COLUMNS: &str = "id, partner_code, trans_id, remaining, twice, delay_ms, lose_first, created_at_ms";

/// Records a fault ([`fault_params`]); returns its id.
pub static INSERT_FAULT: Sql = Sql::new(|| {
    "INSERT INTO delivery_faults (partner_code, trans_id, remaining, twice, delay_ms, lose_first, created_at_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"
        .into()
});

/// The faults of the partner `$1`, oldest first.
pub static PARTNER_FAULTS: Sql =
    Sql::new(|| format!("SELECT {FAULT_COLUMNS} FROM delivery_faults WHERE partner_code = $1 ORDER BY id"));

/// Forgets the faults of the partner `$1`.
pub static CLEAR_FAULTS: Sql = Sql::new(|| "DELETE FROM delivery_faults WHERE partner_code = $1".into());

/// The fault that applies to an IPN of the partner `$1`'s order `$2`, created at
/// `$3`: the newest for that order first, else the oldest for the partner's next
/// orders that was recorded before the order was created and has uses left.
pub static FAULT_FOR: Sql = Sql::new(|| {
    format!(
        "SELECT {FAULT_COLUMNS} FROM delivery_faults WHERE partner_code = $1 \
         AND (trans_id = $2 OR (trans_id IS NULL AND created_at_ms <= $3 AND (remaining IS NULL OR remaining > 0))) \
         ORDER BY CASE WHEN trans_id IS NULL THEN 1 ELSE 0 END, CASE WHEN trans_id IS NULL THEN id ELSE -id END \
         LIMIT 1"
    )
});

/// Forgets the scripts of the partner `$1`'s order `$2` (a new one replaces them).
pub static CLEAR_ORDER_FAULTS: Sql =
    Sql::new(|| "DELETE FROM delivery_faults WHERE partner_code = $1 AND trans_id = $2".into());

/// Uses the fault `$1` once: an order's fault and the last use of a counted one go.
pub static USE_FAULT_DELETE: Sql =
    Sql::new(|| "DELETE FROM delivery_faults WHERE id = $1 AND (trans_id IS NOT NULL OR remaining <= 1)".into());

/// Uses a counted fault `$1` once (when it has more than one use left).
pub static USE_FAULT_COUNT: Sql =
    Sql::new(|| "UPDATE delivery_faults SET remaining = remaining - 1 WHERE id = $1 AND remaining > 1".into());

/// The clock offset of the partner `$1`.
pub static CLOCK_OFFSET: Sql = Sql::new(|| "SELECT offset_ms FROM sandbox_clocks WHERE partner_code = $1".into());

/// Moves the partner `$1`'s clock `$2` ms ahead; returns the new offset.
pub static ADVANCE_CLOCK: Sql = Sql::new(|| {
    "INSERT INTO sandbox_clocks (partner_code, offset_ms) VALUES ($1, $2) \
     ON CONFLICT (partner_code) DO UPDATE SET offset_ms = sandbox_clocks.offset_ms + excluded.offset_ms \
     RETURNING offset_ms"
        .into()
});

/// What moves earlier by `$2` ms when the partner `$1`'s clock advances: pending
/// orders' expiry, pending IPNs' next attempts, refunds' next steps, processing card
/// payments' confirmation.
pub static ADVANCE_STATEMENTS: [Sql; 4] = [
    Sql::new(|| {
        "UPDATE orders SET expires_at_ms = expires_at_ms - $2 WHERE partner_code = $1 AND state = 'pending'".into()
    }),
    Sql::new(|| {
        "UPDATE outbox SET next_attempt_at_ms = next_attempt_at_ms - $2 WHERE partner_code = $1 AND status = 'pending'"
            .into()
    }),
    Sql::new(|| {
        "UPDATE refunds SET due_at_ms = due_at_ms - $2 WHERE partner_code = $1 AND due_at_ms IS NOT NULL".into()
    }),
    Sql::new(|| {
        "UPDATE checkout_sessions SET process_due_ms = process_due_ms - $2 WHERE process_due_ms IS NOT NULL \
         AND trans_id IN (SELECT trans_id FROM orders WHERE partner_code = $1 AND state = 'processing')"
            .into()
    }),
];

/// The parameters of [`INSERT_FAULT`].
pub fn fault_params(f: &NewFault) -> Vec<Value<'_>> {
    values![
        &f.partner_code,
        &f.trans_id,
        f.remaining,
        f.script.twice,
        f.script.delay_ms,
        f.script.lose_first,
        f.created_at_ms
    ]
}

/// A row of the fault statements.
pub fn fault_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<DeliveryFault> {
    Ok(DeliveryFault {
        id: r.int(0)?,
        fault: NewFault {
            partner_code: r.text(1)?,
            trans_id: r.text_opt(2)?,
            remaining: r.int_opt(3)?,
            script: FaultScript { twice: r.bool(4)?, delay_ms: r.int(5)?, lose_first: r.bool(6)? },
            created_at_ms: r.int(7)?,
        },
    })
}
