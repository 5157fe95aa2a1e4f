//! Integration tests of the gateway over real HTTP, on a real SQLite file and a real
//! PostgreSQL server, with real merchant endpoints on 127.0.0.1. One test binary
//! (faster to link).
//!
//! Every test on PostgreSQL has a name ending in `postgres`; `scripts/test` checks
//! that they ran.

mod harness;
mod pg;

mod admin_console;
mod bad_input;
mod bank_feeds;
mod browser;
mod browser_tokens;
mod checkout;
mod conformance;
mod conformance_v2;
mod conn_limits;
mod console_browser;
mod core_rules;
mod crash;
mod drills;
mod flows;
mod idempotency;
mod instruments;
mod ipn;
mod locked;
mod multinode;
mod nodes;
mod openapi;
mod ops;
mod overview;
mod public_sandbox;
mod refunds;
mod request_rules;
mod rotation;
mod safety;
mod sdk_versions;
mod sig_debugger;
mod store_suite;
mod store_versions;
mod test_kit;
mod tokens;
mod v11;
mod v2;
mod webdriver;
