//! # appotapay-gateway
//!
//! An AppotaPay compatible payment gateway (API v1.0, v1.1 and v2 side by side): a
//! merchant's existing AppotaPay integration works against it by changing only its
//! base URL.
//!
//! ## Layout, and the one direction imports go
//!
//! ```text
//! entry points   cli, server, api/, checkout/, console/, jobs/
//!      │            (HTTP handlers, pages, background jobs, start-up)
//!      ▼
//! core/          the only code that changes state: partners, orders, settlement,
//!      │            results, links, checkout steps, credits and bank feeds, refunds,
//!      │            saved cards, outbox, the sandbox's test kit, the console's
//!      │            actions and audit log, the overview's statistics
//!      ▼
//! ports          store/ (traits; adapters store/sqlite, store/postgres)
//!                acquirer/ (traits; adapters acquirer/sandbox, acquirer/bank_feeds,
//!                   acquirer/unconnected)
//!      ▼
//! domain/        pure types and rules (state machines, cards, records, outbound
//!                   policy); imports only appotapay-protocol
//! ```
//!
//! - Entry points call the core and nothing beneath it: [`core::Gateway`]'s fields
//!   are private. Only [`server`] (and [`cli`] through it) assembles a gateway, and
//!   only it turns the configured mode into adapters: nothing else asks which mode
//!   the gateway runs in.
//! - Nothing imports an entry point, except [`cli`] → [`server`] → the others to
//!   run them.
//! - Adapters import only the domain and their own port (plus [`metrics`]).
//! - [`config`] (typed settings), [`crypto`] (keys), [`logging`], [`metrics`],
//!   [`notify`] (the POST of a notification) and [`now_ms`] are leaves any layer
//!   may use.
//!
//! `scripts/test` checks these rules on every run (`scripts/check-layers`).

/// The value of a `Result<T, E>`, or the handler returns the error as its answer
/// (for entry points whose errors are answers already).
macro_rules! or_answer {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
}

pub mod acquirer;
pub mod api;
pub mod checkout;
pub mod cli;
pub mod config;
pub mod console;
pub mod core;
pub mod crypto;
pub mod domain;
pub mod jobs;
pub mod logging;
pub mod metrics;
pub mod notify;
pub mod server;
pub mod store;

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}

pub use logging::init_tracing;
