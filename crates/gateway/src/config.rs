//! Layered configuration: the embedded defaults file, an optional config file,
//! `APPOTAPAY_*` environment variables, then command-line flags. Every value is
//! checked at start-up; a bad one stops the gateway with a message that names the
//! setting and where its value came from.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod checks;
mod http;
use checks::*;
pub use http::HttpLimits;
use http::{check_http, positive};

const DEFAULTS: &str = include_str!("../config/default.toml");

/// Sandbox (test helpers, public sandbox partner, loopback IPN) or production.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Offline testing.
    Sandbox,
    /// Real use.
    Production,
}

impl Mode {
    /// The setting's value (`sandbox`, `production`), as recorded in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Sandbox => "sandbox",
            Mode::Production => "production",
        }
    }
}

/// The bank a production gateway uses (sandbox mode always uses its simulator).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProductionAcquirer {
    /// QR payments into partners' own accounts, reported by bank feeds.
    BankFeeds,
    /// No bank: nothing can be paid or refunded.
    Unconnected,
}

/// The raw settings as layered, before checking.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct RawConfig {
    listen: Option<String>,
    public_url: Option<String>,
    database_url: Option<String>,
    data_dir: Option<String>,
    mode: Option<String>,
    payment_ttl: Option<String>,
    sandbox_refund_delay: Option<String>,
    ipn_retry_schedule: Option<String>,
    ipn_timeout: Option<String>,
    ipn_concurrency: Option<usize>,
    outbound_allow: Option<String>,
    master_key: Option<String>,
    jwt_leeway: Option<String>,
    jwt_replay_check: Option<bool>,
    jwt_max_lifetime: Option<String>,
    sandbox_public: Option<bool>,
    header_read_timeout: Option<String>,
    keep_alive_timeout: Option<String>,
    request_timeout: Option<String>,
    body_read_timeout: Option<String>,
    max_connections: Option<usize>,
    sweep_interval: Option<String>,
    partner_cache_ttl: Option<String>,
    sandbox_processing_delay: Option<String>,
    production_acquirer: Option<String>,
    vietqr_bin: Option<String>,
    vietqr_account: Option<String>,
    vietqr_name: Option<String>,
    log_format: Option<String>,
    metrics_token: Option<String>,
    admin_token: Option<String>,
    sandbox_request_log: Option<bool>,
    console_login: Option<bool>,
    sandbox_request_log_max: Option<u32>,
    sandbox_request_log_ttl: Option<String>,
    v11_request_signature: Option<String>,
    v11_response_signature: Option<String>,
    v11_sign_token_result: Option<bool>,
}

/// Settings given as command-line flags (highest precedence).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Overrides {
    /// `--listen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    /// `--public-url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    /// `--database-url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// `--data-dir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<String>,
    /// `--mode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

/// The VietQR collecting account of partners that have none of their own.
pub use crate::domain::credit::BankAccount as CollectingAccount;

pub use crate::metrics::MetricsAccess;

/// Checked configuration.
#[derive(Clone)]
pub struct Config {
    /// Listen address.
    pub listen: SocketAddr,
    /// Public base URL without trailing slash.
    pub public_url: String,
    /// Database URL.
    pub database_url: String,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Mode.
    pub mode: Mode,
    /// Payment lifetime.
    pub payment_ttl: Duration,
    /// How long the sandbox bank takes to answer an ATM refund.
    pub sandbox_refund_delay: Duration,
    /// IPN attempt delays.
    pub ipn_schedule: Vec<Duration>,
    /// Whether delays after the first get ±20 % jitter.
    pub ipn_jitter: bool,
    /// IPN attempt timeout.
    pub ipn_timeout: Duration,
    /// IPN deliveries in flight.
    pub ipn_concurrency: usize,
    /// Allowed private destinations.
    pub outbound_allow: Vec<IpNet>,
    /// Master key (hex), if configured.
    pub master_key: Option<String>,
    /// JWT leeway, seconds.
    pub jwt_leeway_secs: i64,
    /// Whether a JWT id may be used only once (spec §3: off by default).
    pub jwt_replay_check: bool,
    /// Longest lifetime a JWT may claim, seconds (`exp` at most this far ahead).
    pub jwt_max_lifetime_secs: i64,
    /// Sandbox mode may listen on a non-loopback address (the sandbox keys are public).
    pub sandbox_public: bool,
    /// HTTP connection limits.
    pub http: HttpLimits,
    /// Sweeper period.
    pub sweep_interval: Duration,
    /// Partner cache lifetime.
    pub partner_cache_ttl: Duration,
    /// How long a sandbox card payment that the issuer leaves undecided (the
    /// `…0034`, `…0035` and `…0099` cards) stays so before it is decided.
    pub sandbox_processing_delay: Duration,
    /// The bank of a production gateway.
    pub production_acquirer: ProductionAcquirer,
    /// VietQR collecting account.
    pub collecting: CollectingAccount,
    /// Log format.
    pub log_json: bool,
    /// Who may read `/metrics`.
    pub metrics: MetricsAccess,
    /// Who may call the admin API (`/admin/api/v1/…`): the holder of `admin_token`;
    /// nobody without one.
    pub admin: MetricsAccess,
    /// Sandbox request log: entries kept per partner.
    pub sandbox_request_log_max: u32,
    /// Sandbox: whether partner API calls are kept in the request log (default on;
    /// off for a load test of the sandbox, where recording costs about as much as
    /// the order itself).
    pub sandbox_request_log: bool,
    /// Sandbox request log: how long an entry is kept.
    pub sandbox_request_log_ttl: Duration,
    /// The console asks for an admin token even on a loopback sandbox (where it
    /// otherwise opens without one).
    pub console_login: bool,
    /// How API v1.1's undecided signatures are read.
    pub v11: V11Signatures,
}

/// The readings of API v1.1's signatures that AppotaPay's public material leaves
/// open (docs §12).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct V11Signatures {
    /// The create request's accepted readings, tried in order (every one by
    /// default; strict: one).
    pub request: Vec<appotapay_protocol::v11::Reading>,
    /// The create answer's field list.
    pub response: &'static appotapay_protocol::signing::SignatureSpec,
    /// Whether the redirect and IPN signature covers `tokenResult`.
    pub sign_token_result: bool,
}

impl Default for V11Signatures {
    fn default() -> V11Signatures {
        V11Signatures {
            request: appotapay_protocol::v11::Reading::ALL.to_vec(),
            response: &appotapay_protocol::v11::CREATE_RESPONSE,
            sign_token_result: false,
        }
    }
}

fn check_v11(raw: &RawConfig) -> Result<V11Signatures, ConfigError> {
    use appotapay_protocol::v11::{CREATE_RESPONSE, Reading};
    let req_s = get(&raw.v11_request_signature);
    let request = match req_s.as_str() {
        "any" => Reading::ALL.to_vec(),
        one => {
            vec![Reading::parse(one).ok_or_else(|| bad("v11_request_signature", &req_s, "expected any, A, B or C"))?]
        }
    };
    let resp_s = get(&raw.v11_response_signature);
    let response = match resp_s.as_str() {
        "errorCode,message" => &CREATE_RESPONSE,
        "v1" => &appotapay_protocol::signing::BANK_PAYMENT_RESPONSE,
        _ => return Err(bad("v11_response_signature", &resp_s, "expected errorCode,message or v1")),
    };
    Ok(V11Signatures { request, response, sign_token_result: raw.v11_sign_token_result.unwrap_or(false) })
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("public_url", &self.public_url)
            .field("database_url", &crate::store::redact_url(&self.database_url))
            .field("mode", &self.mode)
            .field("master_key", &self.master_key.as_ref().map(|_| "***"))
            .field("metrics", &self.metrics)
            .field("admin", &self.admin)
            .finish_non_exhaustive()
    }
}

/// A setting with a bad value.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

fn bad(key: &str, value: &str, why: impl std::fmt::Display) -> ConfigError {
    ConfigError(format!(
        "setting `{key}` (env APPOTAPAY_{}) has an invalid value {value:?}: {why}",
        key.to_ascii_uppercase()
    ))
}

/// Parses a duration such as `10s`, `5m`, `1h30m`, `250ms`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim()).map_err(|e| e.to_string())
}

/// The `extended` retry preset: 11 attempts over about 32 hours.
pub const EXTENDED_SCHEDULE: &[u64] = &[0, 60, 300, 900, 1800, 3600, 7200, 14400, 21600, 28800, 36000];

impl Config {
    /// Whether the console opens without a login: a sandbox listening on loopback
    /// only is a developer's own machine (unless `console_login` says to ask anyway).
    /// Anywhere else it asks for an admin token.
    pub fn console_open(&self) -> bool {
        self.mode == Mode::Sandbox && self.listen.ip().is_loopback() && !self.console_login
    }

    /// Whether the console's session cookie is `Secure`: when the public URL is https.
    pub fn cookies_secure(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// Layers defaults, `file` (or `APPOTAPAY_CONFIG`), the environment and `flags`.
    pub fn load(file: Option<&Path>, flags: &Overrides) -> Result<Config, ConfigError> {
        let mut fig = Figment::new().merge(Toml::string(DEFAULTS));
        let env_file = std::env::var_os("APPOTAPAY_CONFIG").map(PathBuf::from);
        if let Some(path) = file.map(Path::to_path_buf).or(env_file) {
            if !path.exists() {
                return Err(ConfigError(format!("config file {} does not exist", path.display())));
            }
            fig = fig.merge(Toml::file(path));
        }
        fig = fig.merge(Env::prefixed("APPOTAPAY_").ignore(&["config"])).merge(Serialized::defaults(flags));
        let raw: RawConfig = fig.extract().map_err(|e| ConfigError(e.to_string()))?;
        Config::check(raw)
    }

    fn check(raw: RawConfig) -> Result<Config, ConfigError> {
        let listen_s = get(&raw.listen);
        let listen: SocketAddr = listen_s.parse().map_err(|e| bad("listen", &listen_s, e))?;
        let mode_s = get(&raw.mode);
        let mode = match mode_s.as_str() {
            "sandbox" => Mode::Sandbox,
            "production" => Mode::Production,
            _ => return Err(bad("mode", &mode_s, "expected sandbox or production")),
        };
        let public_url = check_public_url(&get(&raw.public_url), listen)?;
        let data_dir = PathBuf::from(get(&raw.data_dir));
        let database_url = check_database_url(get(&raw.database_url), &data_dir)?;
        let payment_ttl = dur("payment_ttl", &raw.payment_ttl)?;
        if payment_ttl < Duration::from_secs(1) {
            return Err(bad("payment_ttl", &get(&raw.payment_ttl), "must be at least 1s"));
        }
        let sandbox_refund_delay = dur("sandbox_refund_delay", &raw.sandbox_refund_delay)?;
        if sandbox_refund_delay > Duration::from_secs(7 * 24 * 3600) {
            return Err(bad("sandbox_refund_delay", &get(&raw.sandbox_refund_delay), "must be at most 7 days"));
        }
        let ipn = check_ipn(&raw)?;
        let master_key = check_master_key(raw.master_key.clone(), mode, &database_url)?;
        let jwt_leeway_secs = dur("jwt_leeway", &raw.jwt_leeway)?.as_secs() as i64;
        let jwt_max_lifetime_secs = positive("jwt_max_lifetime", &raw.jwt_max_lifetime)?.as_secs() as i64;
        let http = check_http(&raw)?;
        let sweep_interval = dur("sweep_interval", &raw.sweep_interval)?;
        if sweep_interval.is_zero() {
            return Err(bad("sweep_interval", &get(&raw.sweep_interval), "must be positive"));
        }
        let partner_cache_ttl = dur("partner_cache_ttl", &raw.partner_cache_ttl)?;
        let sandbox_processing_delay = dur("sandbox_processing_delay", &raw.sandbox_processing_delay)?;
        if sandbox_processing_delay > Duration::from_secs(60) {
            return Err(bad(
                "sandbox_processing_delay",
                &get(&raw.sandbox_processing_delay),
                "must be at most 60s (spec: settles within a minute)",
            ));
        }
        let collecting = check_collecting(&raw)?;
        let acquirer_s = get(&raw.production_acquirer);
        let production_acquirer = match acquirer_s.as_str() {
            "bank-feeds" => ProductionAcquirer::BankFeeds,
            "unconnected" => ProductionAcquirer::Unconnected,
            _ => return Err(bad("production_acquirer", &acquirer_s, "expected bank-feeds or unconnected")),
        };
        let metrics = check_metrics_token(raw.metrics_token.clone(), mode)?;
        let admin =
            MetricsAccess::from_setting(raw.admin_token.clone(), true).map_err(|why| bad("admin_token", "***", why))?;
        let (sandbox_request_log_max, sandbox_request_log_ttl) = check_request_log(&raw)?;
        let v11 = check_v11(&raw)?;
        let log_s = get(&raw.log_format);
        let log_json = match log_s.as_str() {
            "text" => false,
            "json" => true,
            _ => return Err(bad("log_format", &log_s, "expected text or json")),
        };
        Ok(Config {
            listen,
            public_url,
            database_url,
            data_dir,
            mode,
            payment_ttl,
            sandbox_refund_delay,
            ipn_schedule: ipn.schedule,
            ipn_jitter: ipn.jitter,
            ipn_timeout: ipn.timeout,
            ipn_concurrency: ipn.concurrency,
            outbound_allow: ipn.outbound_allow,
            master_key,
            jwt_leeway_secs,
            jwt_replay_check: raw.jwt_replay_check.unwrap_or(false),
            jwt_max_lifetime_secs,
            sandbox_public: raw.sandbox_public.unwrap_or(false),
            http,
            sweep_interval,
            partner_cache_ttl,
            sandbox_processing_delay,
            production_acquirer,
            collecting,
            log_json,
            metrics,
            admin,
            sandbox_request_log: raw.sandbox_request_log.unwrap_or(true),
            console_login: raw.console_login.unwrap_or(false),
            sandbox_request_log_max,
            sandbox_request_log_ttl,
            v11,
        })
    }

    /// The defaults alone (tests and tools start from them).
    pub fn defaults() -> Result<Config, ConfigError> {
        let raw: RawConfig =
            Figment::new().merge(Toml::string(DEFAULTS)).extract().map_err(|e| ConfigError(e.to_string()))?;
        Config::check(raw)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(super) fn with(f: impl FnOnce(&mut RawConfig)) -> Result<Config, ConfigError> {
        let mut raw: RawConfig =
            Figment::new().merge(Toml::string(DEFAULTS)).extract().map_err(|e| ConfigError(e.to_string()))?;
        f(&mut raw);
        Config::check(raw)
    }

    #[test]
    fn defaults_are_valid() {
        let c = Config::defaults().expect("defaults");
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://data/gateway.db");
        assert_eq!(c.payment_ttl, Duration::from_secs(900));
        assert_eq!(c.sandbox_refund_delay, Duration::from_secs(10));
        assert_eq!(c.ipn_schedule.len(), 4);
        assert_eq!(c.mode, Mode::Sandbox);
        assert_eq!(c.sandbox_processing_delay, Duration::from_secs(20));
        assert_eq!(c.jwt_max_lifetime_secs, 7 * 24 * 3600);
        assert!(!c.sandbox_public);
        assert_eq!(c.http.header_read, Duration::from_secs(10));
        assert_eq!(c.http.request, Duration::from_secs(30));
        assert_eq!(c.sandbox_request_log_max, 1000);
        assert_eq!(c.sandbox_request_log_ttl, Duration::from_secs(24 * 3600));
    }

    #[test]
    fn request_log_bounds_are_checked() {
        let e = with(|r| r.sandbox_request_log_max = Some(0)).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("APPOTAPAY_SANDBOX_REQUEST_LOG_MAX"), "{e}");
        let e = with(|r| r.sandbox_request_log_max = Some(2_000_000)).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("APPOTAPAY_SANDBOX_REQUEST_LOG_MAX"), "{e}");
        let e =
            with(|r| r.sandbox_request_log_ttl = Some("0s".into())).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("APPOTAPAY_SANDBOX_REQUEST_LOG_TTL"), "{e}");
        let e =
            with(|r| r.sandbox_request_log_ttl = Some("40d".into())).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("APPOTAPAY_SANDBOX_REQUEST_LOG_TTL"), "{e}");
        let c = with(|r| r.sandbox_request_log_ttl = Some("30m".into())).expect("valid");
        assert_eq!(c.sandbox_request_log_ttl, Duration::from_secs(1800));
    }

    #[test]
    fn bad_values_name_their_setting() {
        let e = with(|r| r.payment_ttl = Some("soon".into())).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("APPOTAPAY_PAYMENT_TTL"), "{e}");
        let e =
            with(|r| r.sandbox_refund_delay = Some("later".into())).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("APPOTAPAY_SANDBOX_REFUND_DELAY"), "{e}");
        assert_eq!(
            with(|r| r.sandbox_refund_delay = Some("0s".into())).expect("zero").sandbox_refund_delay,
            Duration::ZERO
        );
        let e = with(|r| r.listen = Some("nope".into())).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("APPOTAPAY_LISTEN"), "{e}");
        let e = with(|r| r.ipn_retry_schedule = Some("0s,5x".into())).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("APPOTAPAY_IPN_RETRY_SCHEDULE"), "{e}");
        let e = with(|r| r.mode = Some("production".into())).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("APPOTAPAY_MASTER_KEY"), "{e}");
        let e =
            with(|r| r.sandbox_processing_delay = Some("2m".into())).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("APPOTAPAY_SANDBOX_PROCESSING_DELAY"), "{e}");
        let e = with(|r| r.vietqr_bin = Some("12".into())).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("APPOTAPAY_VIETQR_BIN"), "{e}");
        let e = with(|r| r.outbound_allow = Some("10.0.0.0/8,bogus".into()))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("APPOTAPAY_OUTBOUND_ALLOW"), "{e}");
        let e = with(|r| r.database_url = Some("postgres://db/gw".into())).err().map(|e| e.to_string());
        assert!(e.as_deref().is_some_and(|e| e.contains("APPOTAPAY_MASTER_KEY")), "{e:?}");
        let ok = with(|r| {
            r.database_url = Some("postgresql://db/gw".into());
            r.master_key = Some("ab".repeat(32));
        })
        .expect("valid");
        assert_eq!(ok.database_url, "postgresql://db/gw");
        let e = with(|r| r.database_url = Some("mysql://u:hunter2@db/gw".into())).err().map(|e| e.to_string());
        assert!(e.as_deref().is_some_and(|e| e.contains("APPOTAPAY_DATABASE_URL")), "{e:?}");
        assert!(e.as_deref().is_some_and(|e| !e.contains("hunter2")), "no password in messages: {e:?}");
        let c = with(|r| {
            r.database_url = Some("postgres://gw:hunter2@db/gw".into());
            r.master_key = Some("ab".repeat(32));
        })
        .expect("valid");
        assert!(!format!("{c:?}").contains("hunter2"), "no password in Debug");
    }

    #[test]
    fn metrics_access_follows_the_token_and_the_mode() {
        assert_eq!(Config::defaults().expect("defaults").metrics, MetricsAccess::Public);
        let production = |r: &mut RawConfig| {
            r.mode = Some("production".into());
            r.master_key = Some("ab".repeat(32));
        };
        assert_eq!(with(production).expect("valid").metrics, MetricsAccess::Off);
        let c = with(|r| {
            production(r);
            r.metrics_token = Some("m3trics-t0ken-0123456789".into());
        })
        .expect("valid");
        assert_eq!(c.metrics, MetricsAccess::Token("m3trics-t0ken-0123456789".into()));
        assert!(!format!("{c:?}").contains("m3trics"), "no token in Debug: {c:?}");
        let e = with(|r| r.metrics_token = Some("short".into())).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("APPOTAPAY_METRICS_TOKEN") && !e.contains("short"), "{e}");
        let c = with(|r| {
            r.database_url = Some("postgres://gw@db/gw?password=hunter2&sslpassword=hunter3".into());
            r.master_key = Some("ab".repeat(32));
        })
        .expect("valid");
        assert!(!format!("{c:?}").contains("hunter"), "no database password in Debug: {c:?}");
    }

    #[test]
    fn extended_preset() {
        let c = with(|r| r.ipn_retry_schedule = Some("extended".into())).expect("valid");
        assert!(c.ipn_schedule.len() >= 10);
        assert!(c.ipn_schedule.iter().map(Duration::as_secs).sum::<u64>() >= 24 * 3600);
        assert!(c.ipn_jitter);
    }
}
