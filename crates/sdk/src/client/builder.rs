//! Configuring a [`Client`]: where it sends its requests ([`Environment`]) and the
//! builder that checks the settings once, up front, so that a client that exists is
//! one that can send.

use super::{Client, Inner, MAX_JWT_LIFETIME_SECS, TokenSequence};
use crate::error::Error;
use appotapay_protocol::headers as protocol_headers;
use appotapay_protocol::{Lang, SecretKey};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use url::Url;

/// Where the client sends its requests.
///
/// ```
/// use appotapay::Environment;
/// assert_eq!(Environment::Sandbox.base_url(), "https://payment.dev.appotapay.com");
/// assert_eq!(Environment::Custom("http://127.0.0.1:8080".into()).base_url(), "http://127.0.0.1:8080");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Environment {
    /// AppotaPay's sandbox, `https://payment.dev.appotapay.com`.
    Sandbox,
    /// AppotaPay's production service, `https://payment.appotapay.com`.
    Production,
    /// Any AppotaPay-compatible gateway, by base URL (`http` or `https`), e.g.
    /// `http://127.0.0.1:8080`. A path prefix is kept.
    Custom(String),
}

impl Environment {
    /// The base URL of the environment.
    pub fn base_url(&self) -> &str {
        match self {
            Environment::Sandbox => "https://payment.dev.appotapay.com",
            Environment::Production => "https://payment.appotapay.com",
            Environment::Custom(url) => url,
        }
    }
}

/// Builds a [`Client`]. Partner code, API key, secret key and environment are
/// required; see [`Client::builder`].
#[must_use]
pub struct ClientBuilder {
    partner_code: Option<String>,
    api_key: Option<String>,
    secret_key: Option<SecretKey>,
    environment: Option<Environment>,
    timeout: Duration,
    connect_timeout: Option<Duration>,
    language: Lang,
    jwt_lifetime: Duration,
    token_per_request: bool,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("partner_code", &self.partner_code)
            .field("environment", &self.environment)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("language", &self.language)
            .field("jwt_lifetime", &self.jwt_lifetime)
            .field("token_per_request", &self.token_per_request)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            partner_code: None,
            api_key: None,
            secret_key: None,
            environment: None,
            timeout: Duration::from_secs(30),
            connect_timeout: None,
            language: Lang::Vi,
            jwt_lifetime: Duration::from_secs(3600),
            token_per_request: false,
        }
    }
}

impl ClientBuilder {
    /// The partner code (`PARTNER_CODE`), the JWT's `iss`.
    pub fn partner_code(mut self, partner_code: impl Into<String>) -> Self {
        self.partner_code = Some(partner_code.into());
        self
    }

    /// The partner's API key (`API_KEY`).
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(api_key.into());
        self
    }

    /// The partner's secret key (`SECRET_KEY`): signs requests and tokens and
    /// verifies answers.
    pub fn secret_key(mut self, secret_key: SecretKey) -> Self {
        self.secret_key = Some(secret_key);
        self
    }

    /// Where requests go.
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = Some(environment);
        self
    }

    /// Total time allowed for one call, from sending to the last byte of the answer.
    /// Default 30 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time allowed to establish a connection. Default: bounded by [`timeout`](Self::timeout) only.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Language of the `message` of answers, sent as `X-Language`. Default Vietnamese.
    pub fn language(mut self, language: Lang) -> Self {
        self.language = language;
        self
    }

    /// Lifetime of the JWTs the client makes, in whole seconds from 1 s to 7 days.
    /// Default 3600 s. A token is reused until 60 s (at most half its lifetime)
    /// before it expires.
    pub fn jwt_lifetime(mut self, lifetime: Duration) -> Self {
        self.jwt_lifetime = lifetime;
        self
    }

    /// Makes a new JWT, with a `jti` of its own, for every request instead of reusing
    /// one. Needed against a gateway that accepts each `jti` once (this project's
    /// gateway with `jwt_replay_check` on); AppotaPay itself does not require it.
    /// Default `false`.
    ///
    /// ```
    /// use appotapay::{Client, Environment, SecretKey};
    /// let client = Client::builder()
    ///     .environment(Environment::Custom("http://127.0.0.1:8080".into()))
    ///     .partner_code("APPOTAPAY")
    ///     .api_key("FJcmF8uj2ISveL5FvvNk4pnp8xrhINz8")
    ///     .secret_key(SecretKey::new("XAonJgy14YhtePEITXhyBS2unjfJLAV3"))
    ///     .token_per_request(true)
    ///     .build();
    /// assert!(client.is_ok());
    /// ```
    pub fn token_per_request(mut self, on: bool) -> Self {
        self.token_per_request = on;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when a required setting is missing or empty, the base URL is
    /// not an absolute `http(s)` URL, the JWT lifetime is out of range, or the HTTP
    /// client cannot be initialised.
    pub fn build(self) -> Result<Client, Error> {
        let required = |v: Option<String>, what: &str| match v {
            Some(v) if !v.trim().is_empty() => Ok(v),
            _ => Err(Error::Config(format!("the {what} is not set"))),
        };
        let partner_code = required(self.partner_code, "partner code")?;
        let api_key = required(self.api_key, "API key")?;
        let secret = match self.secret_key {
            Some(k) if !k.expose().is_empty() => k,
            _ => return Err(Error::Config("the secret key is not set".into())),
        };
        let environment = self.environment.ok_or_else(|| Error::Config("the environment is not set".into()))?;
        let base_url =
            Url::parse(environment.base_url()).map_err(|e| Error::Config(format!("the base URL is invalid: {e}")))?;
        if !matches!(base_url.scheme(), "http" | "https") || base_url.cannot_be_a_base() {
            return Err(Error::Config("the base URL must be an absolute http(s) URL".into()));
        }
        if base_url.query().is_some() || base_url.fragment().is_some() {
            return Err(Error::Config("the base URL must not have a query or fragment".into()));
        }
        let jwt_lifetime = i64::try_from(self.jwt_lifetime.as_secs())
            .ok()
            .filter(|s| (1..=MAX_JWT_LIFETIME_SECS).contains(s))
            .ok_or_else(|| Error::Config("the JWT lifetime must be between one second and seven days".into()))?;

        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(protocol_headers::LANGUAGE, HeaderValue::from_static(self.language.code()));
        let mut http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(self.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("appotapay-rust/", env!("CARGO_PKG_VERSION")));
        if let Some(t) = self.connect_timeout {
            http = http.connect_timeout(t);
        }
        let http = http.build().map_err(|e| Error::Config(format!("the HTTP client cannot be built: {e}")))?;

        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                partner_code,
                api_key,
                secret,
                language: self.language,
                timeout: self.timeout,
                jwt_lifetime,
                token: Mutex::new(None),
                token_per_request: self.token_per_request.then(|| TokenSequence {
                    // Different for every client, so that ids never collide across
                    // processes of one partner.
                    nonce: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos())
                        ^ std::process::id().rotate_left(16),
                    next: AtomicU64::new(0),
                }),
            }),
        })
    }
}
