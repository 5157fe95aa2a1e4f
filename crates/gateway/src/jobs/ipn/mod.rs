//! Result delivery: the IPN outbox worker and the resolver that keeps it away from
//! addresses the outbound policy refuses.
//!
//! The redirect URL and the IPN body are built by the core at settlement; the IPN
//! row is written in the same transaction as the final state, so a delivery can
//! never be lost between "paid" and "queued". This worker claims due rows with a
//! lease, POSTs them, records every attempt, and schedules the next one.

pub mod resolver;
pub mod worker;

pub use worker::run;
