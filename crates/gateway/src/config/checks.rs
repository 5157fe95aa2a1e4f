//! The checks of single settings, each naming the setting it refuses: what
//! [`super::Config::load`] runs once the layers are merged.

use super::*;

pub(super) fn get(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

pub(super) fn dur(key: &str, v: &Option<String>) -> Result<Duration, ConfigError> {
    let s = get(v);
    parse_duration(&s).map_err(|e| bad(key, &s, e))
}

pub(super) fn check_public_url(public_s: &str, listen: SocketAddr) -> Result<String, ConfigError> {
    if public_s.is_empty() {
        return Ok(format!("http://{listen}"));
    }
    let u = url::Url::parse(public_s).map_err(|e| bad("public_url", public_s, e))?;
    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
        return Err(bad("public_url", public_s, "expected an absolute http(s) URL"));
    }
    Ok(public_s.trim_end_matches('/').to_owned())
}

pub(super) fn check_database_url(db_s: String, data_dir: &Path) -> Result<String, ConfigError> {
    let database_url =
        if db_s.is_empty() { format!("sqlite://{}", data_dir.join("gateway.db").display()) } else { db_s };
    if !(database_url.starts_with("sqlite:") || crate::store::is_postgres_url(&database_url)) {
        return Err(bad(
            "database_url",
            &crate::store::redact_url(&database_url),
            "expected sqlite://path or postgres://…",
        ));
    }
    Ok(database_url)
}

/// The IPN delivery settings, checked.
pub(super) struct IpnSettings {
    pub(super) schedule: Vec<Duration>,
    pub(super) jitter: bool,
    pub(super) timeout: Duration,
    pub(super) concurrency: usize,
    pub(super) outbound_allow: Vec<IpNet>,
}

pub(super) fn check_ipn(raw: &RawConfig) -> Result<IpnSettings, ConfigError> {
    let sched_s = get(&raw.ipn_retry_schedule);
    let (schedule, jitter) = if sched_s.trim() == "extended" {
        (EXTENDED_SCHEDULE.iter().map(|s| Duration::from_secs(*s)).collect(), true)
    } else {
        let list = sched_s
            .split(',')
            .map(parse_duration)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad("ipn_retry_schedule", &sched_s, e))?;
        if list.is_empty() || list.len() > 50 {
            return Err(bad("ipn_retry_schedule", &sched_s, "expected 1 to 50 delays"));
        }
        (list, false)
    };
    let timeout = dur("ipn_timeout", &raw.ipn_timeout)?;
    if timeout.is_zero() {
        return Err(bad("ipn_timeout", &get(&raw.ipn_timeout), "must be positive"));
    }
    let concurrency = raw.ipn_concurrency.unwrap_or(64);
    if concurrency == 0 {
        return Err(bad("ipn_concurrency", "0", "must be positive"));
    }
    let allow_s = get(&raw.outbound_allow);
    let outbound_allow = allow_s
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<IpNet>().or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad("outbound_allow", &allow_s, e))?;
    Ok(IpnSettings { schedule, jitter, timeout, concurrency, outbound_allow })
}

pub(super) fn check_master_key(
    key: Option<String>,
    mode: Mode,
    database_url: &str,
) -> Result<Option<String>, ConfigError> {
    let master_key = key.filter(|k| !k.is_empty());
    if let Some(k) = &master_key {
        if k.len() != 64 || hex::decode(k).is_err() {
            return Err(bad("master_key", "***", "expected 64 hexadecimal digits"));
        }
    } else if mode == Mode::Production {
        return Err(ConfigError(
            "setting `master_key` (env APPOTAPAY_MASTER_KEY) is required in production mode".into(),
        ));
    } else if crate::store::is_postgres_url(database_url) {
        // A generated key lives in one node's data directory; nodes sharing a
        // database must all be given the same key.
        return Err(ConfigError(
            "setting `master_key` (env APPOTAPAY_MASTER_KEY) is required with a PostgreSQL database: \
             every node on the database must be given the same key"
                .into(),
        ));
    }
    Ok(master_key)
}

/// `/metrics` behind a bearer token when one is set; without one, public in sandbox
/// mode and not served in production.
pub(super) fn check_metrics_token(token: Option<String>, mode: Mode) -> Result<MetricsAccess, ConfigError> {
    MetricsAccess::from_setting(token, mode == Mode::Production).map_err(|why| bad("metrics_token", "***", why))
}

pub(super) fn check_collecting(raw: &RawConfig) -> Result<CollectingAccount, ConfigError> {
    let bin = get(&raw.vietqr_bin);
    let account = get(&raw.vietqr_account);
    let name = get(&raw.vietqr_name);
    let probe = appotapay_protocol::vietqr::VietQr::dynamic(&bin, &account, 1000, "AP000000000000");
    if let Err(e) = probe.encode() {
        let (key, value) =
            if e.to_string().contains("BIN") { ("vietqr_bin", &bin) } else { ("vietqr_account", &account) };
        return Err(bad(key, value, e));
    }
    Ok(CollectingAccount { bin, account, name })
}

/// Most entries the sandbox request log may keep per partner.
const MAX_REQUEST_LOG_ENTRIES: u32 = 1_000_000;

/// Longest the sandbox request log may keep an entry.
const MAX_REQUEST_LOG_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// The sandbox request log's bounds: 1 to 1,000,000 entries per partner, kept for
/// 1 second to 30 days.
pub(super) fn check_request_log(raw: &RawConfig) -> Result<(u32, Duration), ConfigError> {
    let max = raw.sandbox_request_log_max.unwrap_or(1000);
    if !(1..=MAX_REQUEST_LOG_ENTRIES).contains(&max) {
        return Err(bad("sandbox_request_log_max", &max.to_string(), "must be 1 to 1000000"));
    }
    let ttl = dur("sandbox_request_log_ttl", &raw.sandbox_request_log_ttl)?;
    if ttl < Duration::from_secs(1) || ttl > MAX_REQUEST_LOG_TTL {
        return Err(bad("sandbox_request_log_ttl", &get(&raw.sandbox_request_log_ttl), "must be 1s to 30d"));
    }
    Ok((max, ttl))
}
