//! Result delivery: the IPN outbox worker and the guard on where it may connect.
//!
//! The redirect URL and the IPN body are built in [`crate::app`] at settlement; the
//! IPN row is written in the same transaction as the final state, so a delivery can
//! never be lost between "paid" and "queued". This worker claims due rows with a
//! lease, POSTs them, records every attempt, and schedules the next one.

pub mod guard;
pub mod worker;

pub use guard::OutboundGuard;
pub use worker::run as run_worker;
