//! Integration tests of the gateway over real HTTP, on a real SQLite file and a real
//! PostgreSQL server, with real merchant endpoints on 127.0.0.1. One test binary
//! (faster to link).
//!
//! Every test on PostgreSQL has a name ending in `postgres`; `scripts/test` checks
//! that they ran.

mod harness;
mod pg;

mod bad_input;
mod browser;
mod checkout;
mod conn_limits;
mod core_rules;
mod crash;
mod flows;
mod ipn;
mod multinode;
mod nodes;
mod public_sandbox;
mod refunds;
mod safety;
mod store_suite;
mod tokens;
mod webdriver;
