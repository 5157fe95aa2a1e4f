//! The core: the only code that changes the gateway's state.
//!
//! Every entry point (the partner API, the hosted checkout, the background jobs, the
//! command line) calls the methods of [`Gateway`] and nothing else: its fields are
//! private, so no handler can reach the store or a bank around the rules here. The
//! core itself reaches the world only through two ports, chosen once at start-up:
//! the store ([`crate::store::Store`]: SQLite or PostgreSQL) and the acquirer
//! ([`crate::acquirer::Acquirer`]: the sandbox bank, or none in production). The
//! rules it applies are the domain's pure functions ([`crate::domain`]).
//!
//! One module per resource:
//! - [`partners`]: partners (cached, secrets decrypted), sub-accounts, JWT ids;
//! - [`orders`]: order creation and lookups; [`ids`]: how `appotapayTransId`s are
//!   drawn;
//! - [`settle`]: every state change of an order, through the one state machine,
//!   with the IPN queued in the same transaction; the expiry sweep;
//! - [`results`]: the signed IPN body and redirect URL of a final order;
//! - [`links`]: payment links, QR image URLs and the checkout's form tokens;
//! - [`pay`]: what the hosted checkout's steps do (choices, card, OTP, cancel);
//! - [`credits`]: VietQR payloads, bank-feed webhooks, and matching a bank credit
//!   to its QR order; [`feeds`]: partners' collecting accounts and bank feeds;
//! - [`simulate`]: settlements on demand, with a simulated bank only;
//!   [`conformance`]: the IPN conformance runner (sandbox only; v2 orders get v2's
//!   envelopes);
//! - [`refunds`]: refunds, admitted by the store, executed by the acquirer;
//! - [`idempotency`]: partners' idempotency keys and the answers kept for them;
//! - [`request_log`]: the sandbox's log of partner API calls;
//! - [`outbox`]: what the IPN worker needs (claims, attempts, the retry schedule);
//! - [`test_kit`]: the sandbox's delivery faults and test clocks;
//! - [`tokens`]: saved cards (v1.1 and v2 tokens);
//! - [`console`]: what the console, the admin API and the operator's commands do
//!   (admin tokens, the audit log, resends and redrives, operators' refunds), and
//!   this node's live events;
//! - [`stats`]: the operator's overview, aggregated by the store;
//! - [`startup`]: the checks a node makes before it serves.

pub mod conformance;
mod conformance_v2;
pub mod console;
pub mod credits;
pub mod feeds;
pub mod idempotency;
pub mod ids;
pub mod links;
pub mod orders;
pub mod outbox;
pub mod partners;
pub mod pay;
pub mod refunds;
pub mod request_log;
pub mod results;
pub mod settle;
pub mod simulate;
pub mod startup;
pub mod stats;
pub mod test_kit;
pub mod tokens;

pub use credits::{CreditOutcome, CreditQuery, CreditResult, FeedReceipt, FeedRequest};
pub use feeds::{FeedInfo, NewFeed, Poll, SetupError};
pub use orders::NewOrder;
pub use partners::{Partner, PartnerKeys, Rotated};
pub use refunds::{ByHand, NewRefund};
pub use settle::{SettleDetails, Settlement};

use crate::acquirer::{Acquirer, Simulator};
use crate::config::Config;
use crate::crypto::Keys;
use crate::domain::outbound::OutboundPolicy;
use crate::store::{Store, StoreError};
use appotapay_protocol::token_cache::VerifiedTokens;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;
use tokio::sync::Notify;

/// A failure of a core operation.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored secret does not decrypt.
    #[error("partner {0}: stored secret does not decrypt under the master key")]
    Key(String),
}

pub use crate::now_ms;

/// How many verified JWTs a node remembers (a few hundred bytes each).
pub const TOKEN_CACHE_CAPACITY: usize = 10_000;

/// How long each step of the health check may take before the node counts as down.
pub const HEALTH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// What a failed health check found.
#[derive(Debug)]
pub struct Unhealthy {
    /// The step that failed: `read` or `write`.
    pub failed: &'static str,
    /// Why, for the log.
    pub error: String,
}

/// The ports and settings a gateway is assembled from (see [`Gateway::new`]).
pub struct Parts {
    /// Checked configuration.
    pub config: Config,
    /// The store.
    pub store: Arc<dyn Store>,
    /// Keys.
    pub keys: Keys,
    /// The banks.
    pub acquirer: Arc<dyn Acquirer>,
    /// Where IPNs may go.
    pub outbound: OutboundPolicy,
}

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parts").field("config", &self.config).field("acquirer", &self.acquirer.name()).finish()
    }
}

/// A running gateway's state, shared by every entry point.
pub struct Gateway {
    config: Config,
    store: Arc<dyn Store>,
    keys: Keys,
    acquirer: Arc<dyn Acquirer>,
    outbound: OutboundPolicy,
    /// Wakes the IPN worker when a row is queued: by this node, or by another one
    /// when the store is shared (`outbox_signal`).
    outbox_wake: Arc<Notify>,
    partners: RwLock<HashMap<String, (Arc<Partner>, Instant)>>,
    /// JWTs this node verified, so that a reused token is not verified again.
    tokens: VerifiedTokens,
    trans_ids: ids::TransIds,
    /// The sandbox's request-log queue.
    request_log: request_log::RequestLogQueue,
    /// This node's live events, for the console.
    live: tokio::sync::broadcast::Sender<console::LiveEvent>,
    /// Cancelled when the node stops serving.
    stop: tokio_util::sync::CancellationToken,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("config", &self.config)
            .field("acquirer", &self.acquirer.name())
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// Assembles a gateway from its ports.
    pub fn new(parts: Parts) -> Gateway {
        let Parts { config, store, keys, acquirer, outbound } = parts;
        let outbox_wake = store.outbox_signal().unwrap_or_else(|| Arc::new(Notify::new()));
        Gateway {
            config,
            store,
            keys,
            acquirer,
            outbound,
            outbox_wake,
            partners: RwLock::new(HashMap::new()),
            tokens: VerifiedTokens::new(TOKEN_CACHE_CAPACITY),
            trans_ids: Default::default(),
            request_log: Default::default(),
            live: tokio::sync::broadcast::channel(console::LIVE_BUFFER).0,
            stop: tokio_util::sync::CancellationToken::new(),
        }
    }

    /// Cancelled when this node stops serving (the server's shutdown): the jobs stop
    /// and long-lived answers, such as the console's live stream, end with it, so
    /// that a graceful shutdown does not wait for them.
    pub fn stopping(&self) -> tokio_util::sync::CancellationToken {
        self.stop.clone()
    }

    /// The configuration the gateway runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The simulated bank's extra powers, when the acquirer is a simulator (the
    /// sandbox): the helper routes and the test-card table exist only then.
    pub fn simulator(&self) -> Option<&dyn Simulator> {
        self.acquirer.simulator()
    }

    /// The name of the acquirer in use (`sandbox`, `unconnected`).
    pub fn acquirer_name(&self) -> &'static str {
        self.acquirer.name()
    }

    /// The JWTs this node already verified (see [`appotapay_protocol::token_cache`]).
    pub fn verified_tokens(&self) -> &VerifiedTokens {
        &self.tokens
    }

    /// Where IPNs may go.
    pub fn outbound(&self) -> &OutboundPolicy {
        &self.outbound
    }

    /// The health check (`/healthz`): the database answers a read, then commits a
    /// write (the heartbeat, one row of `gateway_meta`), each within
    /// [`HEALTH_TIMEOUT`]. A node whose writes all fail (the SQLite file locked by
    /// another process, a full disk, a dead writer thread, a read-only PostgreSQL
    /// after a failover) is not healthy even though it reads.
    pub async fn health(&self) -> Result<(), Unhealthy> {
        let within = |what: &'static str, e: Option<CoreError>| Unhealthy {
            failed: what,
            error: e.map_or_else(|| format!("no answer within {HEALTH_TIMEOUT:?}"), |e| e.to_string()),
        };
        match tokio::time::timeout(HEALTH_TIMEOUT, self.store.ping()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(within("read", Some(e.into()))),
            Err(_) => return Err(within("read", None)),
        }
        match tokio::time::timeout(HEALTH_TIMEOUT, self.store.ping_write(now_ms())).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(within("write", Some(e.into()))),
            Err(_) => Err(within("write", None)),
        }
    }
}
