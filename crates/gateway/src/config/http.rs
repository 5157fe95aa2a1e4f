//! The HTTP server's limits: the connection and request time limits and the
//! connection cap (applied by `server` and `api::limits`), typed and checked here.

use super::{ConfigError, RawConfig, bad, dur, get};
use std::time::Duration;

/// The HTTP server's time limits and connection cap.
#[derive(Clone, Copy, Debug)]
pub struct HttpLimits {
    /// From a request's first byte to the end of its headers.
    pub header_read: Duration,
    /// How long a connection may sit idle between requests.
    pub keep_alive: Duration,
    /// From a request's headers to the end of its answer's headers.
    pub request: Duration,
    /// From a request's headers to the end of its body.
    pub body_read: Duration,
    /// Connections open at once; beyond it new connections are answered 503 and closed.
    pub max_connections: usize,
}

pub(super) fn positive(key: &str, v: &Option<String>) -> Result<Duration, ConfigError> {
    let d = dur(key, v)?;
    if d < Duration::from_secs(1) {
        return Err(bad(key, &get(v), "must be at least 1s"));
    }
    Ok(d)
}

pub(super) fn check_http(raw: &RawConfig) -> Result<HttpLimits, ConfigError> {
    let max_connections = raw.max_connections.unwrap_or(1024);
    if max_connections == 0 {
        return Err(bad("max_connections", "0", "must be positive"));
    }
    Ok(HttpLimits {
        header_read: positive("header_read_timeout", &raw.header_read_timeout)?,
        keep_alive: positive("keep_alive_timeout", &raw.keep_alive_timeout)?,
        request: positive("request_timeout", &raw.request_timeout)?,
        body_read: positive("body_read_timeout", &raw.body_read_timeout)?,
        max_connections,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::with;
    use super::*;

    #[test]
    fn http_limits_are_checked() {
        for (key, f) in [
            (
                "APPOTAPAY_HEADER_READ_TIMEOUT",
                (|r: &mut RawConfig| r.header_read_timeout = Some("0s".into())) as fn(&mut RawConfig),
            ),
            ("APPOTAPAY_KEEP_ALIVE_TIMEOUT", |r| r.keep_alive_timeout = Some("never".into())),
            ("APPOTAPAY_REQUEST_TIMEOUT", |r| r.request_timeout = Some("0s".into())),
            ("APPOTAPAY_BODY_READ_TIMEOUT", |r| r.body_read_timeout = Some("0s".into())),
            ("APPOTAPAY_MAX_CONNECTIONS", |r| r.max_connections = Some(0)),
            ("APPOTAPAY_JWT_MAX_LIFETIME", |r| r.jwt_max_lifetime = Some("0s".into())),
        ] {
            let e = with(f).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(key), "{key}: {e}");
        }
    }
}
