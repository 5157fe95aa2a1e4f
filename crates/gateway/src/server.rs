//! Running a gateway: the HTTP server with the IPN worker and the expiry sweeper
//! beside it, and a graceful shutdown that lets in-flight IPN deliveries finish.

use crate::app::{self, Gateway, tokio_util_shutdown};
use crate::config::{Config, Mode};
use crate::crypto::Keys;
use crate::store;
use appotapay_protocol::sandbox_partner;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

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
    Core(#[from] app::CoreError),
    /// The listener could not bind.
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    /// The database's partners were sealed under another master key.
    #[error(
        "partner {0}'s secret key does not decrypt under this master key: every node on a database must be \
         started with the same APPOTAPAY_MASTER_KEY"
    )]
    MasterKeyMismatch(String),
}

/// Opens the store and keys, and in sandbox mode makes sure the public sandbox
/// partner exists.
pub async fn open(config: Config) -> Result<Arc<Gateway>, StartError> {
    let keys = Keys::load_or_create(config.master_key.as_deref(), &config.data_dir)?;
    let store = store::open(&config.database_url).await?;
    let gw = Arc::new(Gateway::new(config, store, keys));
    if gw.sandbox() {
        gw.create_partner(
            sandbox_partner::PARTNER_CODE,
            "AppotaPay Sandbox Merchant",
            sandbox_partner::API_KEY,
            sandbox_partner::SECRET_KEY,
            false,
        )
        .await?;
    }
    // Nodes sharing a database must share the master key too (partners' secrets and
    // payment links depend on it): a node with another key would fail every request
    // of every partner, so it refuses to start instead.
    if let Some(rec) = gw.store.list_partners().await?.first() {
        if gw.decrypt_partner(rec).is_err() {
            return Err(StartError::MasterKeyMismatch(rec.code.clone()));
        }
    }
    Ok(gw)
}

/// A gateway running in this process.
#[derive(Debug)]
pub struct Running {
    /// The bound address.
    pub addr: SocketAddr,
    /// The gateway.
    pub gateway: Arc<Gateway>,
    trigger: tokio_util_shutdown::Trigger,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stops accepting requests, finishes in-flight requests and IPN deliveries.
    pub async fn shutdown(self) {
        self.trigger.fire();
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Starts serving on `listener` with the IPN worker and the sweeper.
pub async fn start(gw: Arc<Gateway>, listener: TcpListener) -> Result<Running, StartError> {
    let addr = listener.local_addr().map_err(|e| StartError::Bind(gw.config.listen, e))?;
    // Install the metrics recorder before anything is counted.
    let _ = crate::metrics::handle();
    // Leases a previous run of this node left: a single-node store releases them, a
    // shared one leaves them to run out (see `Store::release_leases`).
    gw.store.release_leases().await?;
    let (trigger, shutdown) = tokio_util_shutdown::channel();
    let router = crate::api::router(gw.clone());
    let http_shutdown = shutdown.clone();
    let http = tokio::spawn(async move {
        let result =
            axum::serve(listener, router).with_graceful_shutdown(async move { http_shutdown.wait().await }).await;
        if let Err(e) = result {
            tracing::error!(error = %e, "HTTP server failed");
        }
    });
    let worker = tokio::spawn(crate::notify::run_worker(gw.clone(), shutdown.clone()));
    let sweeper = tokio::spawn(app::run_sweeper(gw.clone(), shutdown));
    Ok(Running { addr, gateway: gw, trigger, tasks: vec![http, worker, sweeper] })
}

/// Runs until SIGTERM or Ctrl-C (the `serve` command).
pub async fn serve(config: Config) -> Result<(), StartError> {
    let listen = config.listen;
    let gw = open(config).await?;
    let listener = TcpListener::bind(listen).await.map_err(|e| StartError::Bind(listen, e))?;
    let running = start(gw.clone(), listener).await?;
    println!("AppotaPay-compatible gateway listening on {}", gw.config.public_url);
    println!("  mode: {}", if gw.config.mode == Mode::Sandbox { "sandbox" } else { "production" });
    println!("  database: {}", store::redact_url(&gw.config.database_url));
    if gw.sandbox() {
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
