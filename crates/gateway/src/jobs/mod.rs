//! Background jobs of a node, entry points like the HTTP handlers: they call the core
//! and nothing else, and stop when the node's shutdown token is cancelled.
//! - [`sweeper`]: expires overdue orders, moves refunds on, settles payments an
//!   issuer kept processing, prunes used JWT ids;
//! - [`ipn`]: delivers IPNs from the durable outbox;
//! - [`reconcile`]: polls bank feeds' transaction lists for what their webhooks
//!   missed, and judges again credits whose judging died.

pub mod ipn;
pub mod reconcile;
pub mod sweeper;
