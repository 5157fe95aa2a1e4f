//! Running a gateway: assembling it from its configuration (the store, the keys and
//! the acquirer adapter, each chosen here once), the checks a node makes before it
//! serves, and the HTTP server with the background jobs beside it, stopped by one
//! cancellation token so that in-flight IPN deliveries finish.
//!
//! This is the one place that turns the configured mode into behaviour: sandbox mode
//! picks the sandbox acquirer (and lets IPNs reach the merchant's own machine),
//! production picks the unconnected one. Nothing after start-up asks the mode again.

use crate::acquirer::{Acquirer, bank_feeds::BankFeeds, sandbox::SandboxAcquirer, unconnected::Unconnected};
use crate::config::{Config, Mode, ProductionAcquirer};
use crate::core::{self, Gateway, Parts};
use crate::crypto::Keys;
use crate::domain::outbound::OutboundPolicy;
use crate::store;
use appotapay_protocol::sandbox_partner;
use axum::Router;
use axum::routing::get;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

mod conn;

/// A start-up failure.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Storage could not open.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// Keys could not load.
    #[error(transparent)]
    Key(#[from] crate::crypto::KeyError),
    /// Core failure.
    #[error(transparent)]
    Core(#[from] core::CoreError),
    /// Sandbox mode on an address others can reach.
    #[error(
        "sandbox mode listens on {0}, which is not a loopback address: anyone reaching it holds the public \
         sandbox keys, can settle orders and make this gateway POST to this machine's own services. Listen on \
         127.0.0.1 (APPOTAPAY_LISTEN), or set APPOTAPAY_SANDBOX_PUBLIC=true (sandbox_public) to serve a shared \
         sandbox (IPNs then reach loopback only through APPOTAPAY_OUTBOUND_ALLOW)"
    )]
    PublicSandbox(SocketAddr),
    /// The listener could not bind.
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    /// The database's partners were sealed under another master key.
    #[error(
        "partner {0}'s secret key does not decrypt under this master key: every node on a database must be \
         started with the same APPOTAPAY_MASTER_KEY"
    )]
    MasterKeyMismatch(String),
    /// The database belongs to the other mode.
    #[error(
        "this database belongs to a {recorded} gateway, and this node runs in {node} mode: start it with \
         APPOTAPAY_MODE={recorded} (or --mode {recorded}), or give it a database of its own \
         (APPOTAPAY_DATABASE_URL)"
    )]
    ModeMismatch {
        /// The mode recorded in the database.
        recorded: String,
        /// This node's mode.
        node: &'static str,
    },
    /// Production with partners anyone can sign for.
    #[error(
        "partner(s) {} hold the published sandbox secret key, so anyone can sign their requests; production \
         refuses to start until each is locked (appotapay-gateway --mode production partner lock <CODE>) or \
         has new keys without a grace period (appotapay-gateway --mode production partner rotate-keys --code <CODE>)",
        .0.join(", ")
    )]
    PublicSecret(Vec<String>),
}

/// The acquirer adapter and outbound policy of a mode: chosen here, once.
fn adapters(config: &Config) -> (Arc<dyn Acquirer>, OutboundPolicy) {
    match config.mode {
        Mode::Sandbox => (
            Arc::new(SandboxAcquirer {
                processing_delay: config.sandbox_processing_delay,
                refund_delay: config.sandbox_refund_delay,
            }),
            // A sandbox others can reach must not let them aim IPNs at this machine.
            OutboundPolicy { allow: config.outbound_allow.clone(), local_merchants: !config.sandbox_public },
        ),
        Mode::Production => {
            let acquirer: Arc<dyn Acquirer> = match config.production_acquirer {
                ProductionAcquirer::BankFeeds => Arc::new(BankFeeds),
                ProductionAcquirer::Unconnected => Arc::new(Unconnected),
            };
            (acquirer, OutboundPolicy { allow: config.outbound_allow.clone(), local_merchants: false })
        }
    }
}

/// Opens the store and keys for an admin command: it never records the database's
/// mode nor creates a partner, and refuses a database of the other mode.
pub async fn open_admin(config: Config) -> Result<Arc<Gateway>, StartError> {
    let gw = assemble(config, false).await?;
    let node = gw.config().mode.as_str();
    if let Some(recorded) = gw.recorded_mode().await? {
        if recorded != node {
            return Err(StartError::ModeMismatch { recorded, node });
        }
    }
    check_master_key(&gw).await?;
    Ok(gw)
}

/// Opens a gateway to serve: records the database's mode at its first start (or
/// refuses a database of the other mode), checks the master key, refuses production
/// while an unlocked partner holds the published sandbox secret, and in sandbox mode
/// makes sure the public sandbox partner exists.
pub async fn open(config: Config) -> Result<Arc<Gateway>, StartError> {
    check_sandbox_listen(&config)?;
    let gw = assemble(config, true).await?;
    let mode = gw.config().mode;
    let recorded = gw.claim_mode(mode.as_str()).await?;
    if recorded != mode.as_str() {
        return Err(StartError::ModeMismatch { recorded, node: mode.as_str() });
    }
    check_master_key(&gw).await?;
    match mode {
        Mode::Sandbox => gw.ensure_sandbox_partner().await?,
        Mode::Production => {
            let exposed = gw.partners_with_public_secret().await?;
            if !exposed.is_empty() {
                return Err(StartError::PublicSecret(exposed));
            }
        }
    }
    Ok(gw)
}

/// Sandbox mode serves loopback only, unless `sandbox_public` says otherwise (then
/// with a warning): its keys are published.
fn check_sandbox_listen(config: &Config) -> Result<(), StartError> {
    if config.mode != Mode::Sandbox || config.listen.ip().is_loopback() {
        return Ok(());
    }
    if !config.sandbox_public {
        return Err(StartError::PublicSandbox(config.listen));
    }
    tracing::warn!(
        listen = %config.listen,
        "sandbox mode on a non-loopback address (sandbox_public): anyone reaching it can use the public sandbox keys"
    );
    Ok(())
}

/// `serving`: the store is opened for the process that serves it (on SQLite, one
/// process per file: [`store::open_serving`]), else as an administration handle.
async fn assemble(config: Config, serving: bool) -> Result<Arc<Gateway>, StartError> {
    let keys = Keys::load_or_create(config.master_key.as_deref(), &config.data_dir)?;
    let store = if serving {
        store::open_serving(&config.database_url).await?
    } else {
        store::open(&config.database_url).await?
    };
    let (acquirer, outbound) = adapters(&config);
    Ok(Arc::new(Gateway::new(Parts { config, store, keys, acquirer, outbound })))
}

/// Nodes sharing a database must share the master key too (partners' secrets and
/// payment links depend on it): a node with another key would fail every request of
/// every partner, so it refuses to start instead.
async fn check_master_key(gw: &Gateway) -> Result<(), StartError> {
    gw.master_key_fits().await?.map_err(StartError::MasterKeyMismatch)
}

/// The gateway's router: the partner API (with the sandbox helpers when the acquirer
/// is a simulator), the hosted checkout, the operations endpoints, behind the
/// common HTTP stack.
pub fn router(gw: Arc<Gateway>) -> Router {
    let limits = gw.config().http;
    let routes = crate::api::routes(&gw)
        .merge(crate::checkout::routes(&gw))
        .merge(crate::console::routes())
        .route("/", axum::routing::any(front_door))
        .route("/healthz", get(crate::api::ops::healthz))
        .route("/metrics", get(crate::api::ops::metrics))
        .fallback(crate::api::not_found)
        .method_not_allowed_fallback(crate::api::method_not_allowed);
    let routes = crate::api::limits::apply(routes, limits);
    crate::api::http_stack(routes).with_state(gw)
}

/// `/`: a short page for a browser (see [`crate::console::front_door`]), the JSON
/// answer of an unknown path for API clients.
async fn front_door(
    axum::extract::State(gw): axum::extract::State<Arc<Gateway>>,
    method: axum::http::Method,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if method == axum::http::Method::GET && crate::console::wants_html(&headers) {
        crate::console::front_door(&gw, &headers).await
    } else {
        crate::api::not_found().await.into_response()
    }
}

/// A gateway running in this process.
#[derive(Debug)]
pub struct Running {
    /// The bound address.
    pub addr: SocketAddr,
    /// The gateway.
    pub gateway: Arc<Gateway>,
    shutdown: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stops accepting requests, finishes in-flight requests and IPN deliveries.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Starts serving on `listener` with the IPN worker, the sweeper and the bank feeds'
/// reconciliation.
pub async fn start(gw: Arc<Gateway>, listener: TcpListener) -> Result<Running, StartError> {
    let addr = listener.local_addr().map_err(|e| StartError::Bind(gw.config().listen, e))?;
    // Install the metrics recorder before anything is counted.
    let _ = crate::metrics::handle();
    // Leases a previous run of this node left: a single-node store releases them, a
    // shared one leaves them to run out.
    gw.release_leases().await?;
    let shutdown = gw.stopping();
    let app = router(gw.clone());
    let http = tokio::spawn(conn::serve(listener, app, gw.config().http, shutdown.clone()));
    let worker = tokio::spawn(crate::jobs::ipn::run(gw.clone(), shutdown.clone()));
    let sweeper = tokio::spawn(crate::jobs::sweeper::run(gw.clone(), shutdown.clone()));
    let reconcile = tokio::spawn(crate::jobs::reconcile::run(gw.clone(), shutdown.clone()));
    Ok(Running { addr, gateway: gw, shutdown, tasks: vec![http, worker, sweeper, reconcile] })
}

/// Runs until SIGTERM or Ctrl-C (the `serve` command).
pub async fn serve(config: Config) -> Result<(), StartError> {
    let listen = config.listen;
    let gw = open(config).await?;
    let listener = TcpListener::bind(listen).await.map_err(|e| StartError::Bind(listen, e))?;
    let running = start(gw.clone(), listener).await?;
    println!("AppotaPay-compatible gateway listening on {}", gw.config().public_url);
    println!("  mode: {}", gw.config().mode.as_str());
    println!("  bank: {}", gw.acquirer_name());
    println!("  database: {}", store::redact_url(&gw.config().database_url));
    if gw.simulator().is_some() {
        println!("  sandbox partner:");
        println!("    PARTNER_CODE = {}", sandbox_partner::PARTNER_CODE);
        println!("    API_KEY      = {}", sandbox_partner::API_KEY);
        println!("    SECRET_KEY   = {}", sandbox_partner::SECRET_KEY);
    }
    tracing::info!(addr = %running.addr, "listening");
    wait_for_signal().await;
    tracing::info!("shutting down: finishing in-flight requests and IPN deliveries");
    running.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
