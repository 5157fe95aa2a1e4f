//! Result delivery: the IPN outbox worker (its HTTP client and POST are
//! [`crate::notify`]'s).
//!
//! The redirect URL and the IPN body are built by the core at settlement; the IPN
//! row is written in the same transaction as the final state, so a delivery can
//! never be lost between "paid" and "queued". This worker claims due rows with a
//! lease, POSTs them, records every attempt, and schedules the next one.

pub mod worker;

pub use worker::run;
