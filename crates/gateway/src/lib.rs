//! # appotapay-gateway
//!
//! An AppotaPay v1 compatible payment gateway: a merchant's existing AppotaPay
//! integration works against it by changing only its base URL.
//!
//! Layout, outside in:
//! - [`cli`], [`config`], [`server`]: start-up, layered settings, serving;
//! - [`api`]: the partner API, the sandbox helpers and the operations endpoints;
//! - [`checkout`]: the hosted payment pages behind `paymentUrl` and the QR images;
//! - [`app`]: the core operations every entry point shares; [`ids`]: how
//!   `appotapayTransId`s are drawn;
//! - [`payments`]: the order state machine, pure;
//! - [`acquirer`]: what the banks do (a sandbox here);
//! - [`notify`]: IPN delivery through a durable outbox;
//! - [`store`]: persistence behind a trait (SQLite for one node, PostgreSQL for
//!   several nodes acting as one gateway);
//! - [`crypto`], [`metrics`].

pub mod acquirer;
pub mod api;
pub mod app;
pub mod checkout;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod ids;
pub mod metrics;
pub mod notify;
pub mod payments;
pub mod server;
pub mod store;

pub use app::now_ms;

/// Installs the log subscriber (once; later calls are ignored). `RUST_LOG` filters,
/// default `info`.
pub fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}
