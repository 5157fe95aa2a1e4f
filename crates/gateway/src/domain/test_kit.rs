//! The sandbox's merchant test kit, its records: scripted IPN delivery faults and
//! per-partner test clocks.
//!
//! Production delivers late, twice, or loses a request; a merchant's handler must
//! cope, and waiting for it to happen takes days. A [`FaultScript`] makes it happen
//! on purpose to one order's IPNs or to a partner's next orders. A partner's test
//! clock moves what is due for that partner (order expiry, IPN retries, the sandbox
//! refund delay, the processing card's delay) forward, without real waiting and
//! without disturbing another partner sharing the sandbox.

/// How the IPNs of an order are delivered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultScript {
    /// Deliver the notification twice (a second, identical delivery shortly after).
    pub twice: bool,
    /// Deliver it this much later than the schedule says.
    pub delay_ms: i64,
    /// Lose the first attempt: recorded as failed, never sent; the retry schedule
    /// goes on as after any failure.
    pub lose_first: bool,
}

/// The longest scripted delay: one day.
pub const MAX_FAULT_DELAY_MS: i64 = 24 * 3600 * 1000;

/// How long after the first the second delivery of a [`FaultScript::twice`] is due.
pub const TWICE_AFTER_MS: i64 = 1_000;

/// A fault script to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewFault {
    /// The partner.
    pub partner_code: String,
    /// One order's IPNs; `None`: the partner's next orders.
    pub trans_id: Option<String>,
    /// Next orders: how many (`None`: until cleared).
    pub remaining: Option<i64>,
    /// What happens.
    pub script: FaultScript,
    /// When it was recorded.
    pub created_at_ms: i64,
}

/// A recorded fault script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryFault {
    /// Its id.
    pub id: i64,
    /// What was recorded.
    pub fault: NewFault,
}

/// The longest a test clock moves at once: 30 days.
pub const MAX_ADVANCE_MS: i64 = 30 * 24 * 3600 * 1000;
