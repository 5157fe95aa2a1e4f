//! Background jobs of a node, entry points like the HTTP handlers: they call the core
//! and nothing else, and stop when the node's shutdown token is cancelled.
//! - [`sweeper`]: expires overdue orders, moves refunds on, settles payments an
//!   issuer kept processing, prunes used JWT ids;
//! - [`ipn`]: delivers IPNs from the durable outbox.

pub mod ipn;
pub mod sweeper;
