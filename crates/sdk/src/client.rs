//! The HTTP client of the partner API (spec §3, §5).

use crate::error::Error;
use crate::notification::{self, NotificationError};
use appotapay_protocol::headers as protocol_headers;
use appotapay_protocol::messages::sandbox::{BankCreditRequest, BankCreditResponse, CompleteRequest, CompleteResponse};
use appotapay_protocol::messages::{
    BankPaymentRequest, BankPaymentResponse, OrderRefundsResponse, PaymentNotification, QrPaymentRequest,
    QrPaymentResponse, RefundListQuery, RefundListResponse, RefundRequest, RefundResponse, StatusRequest,
    StatusResponse,
};
use appotapay_protocol::signing::{self, SignatureSpec, Signed};
use appotapay_protocol::{Amount, ErrorCode, Lang, SecretKey, jwt};
use reqwest::Method;
use reqwest::header::HeaderValue;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use url::Url;

/// A cached token is replaced this long before it expires (at most half its lifetime).
const JWT_REFRESH_MARGIN_SECS: i64 = 60;
/// Longest accepted JWT lifetime: seven days, the longest seen in use (spec §3).
const MAX_JWT_LIFETIME_SECS: i64 = 7 * 24 * 3600;
/// Answers longer than this are refused rather than buffered.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

mod builder;
pub use builder::{ClientBuilder, Environment};

/// A client of the AppotaPay v1 partner API (or of any compatible gateway).
///
/// Every call carries `X-APPOTAPAY-AUTH: Bearer <JWT>` (the token is cached and reused
/// until shortly before it expires), signs its request and verifies the signature of
/// the answer before returning it. Cloning is cheap and clones share the token cache.
///
/// ```no_run
/// use appotapay::{Client, Environment, SecretKey};
/// # async fn run() -> Result<(), appotapay::Error> {
/// let client = Client::builder()
///     .environment(Environment::Sandbox)
///     .partner_code("APPOTAPAY")
///     .api_key("FJcmF8uj2ISveL5FvvNk4pnp8xrhINz8")
///     .secret_key(SecretKey::new("XAonJgy14YhtePEITXhyBS2unjfJLAV3"))
///     .build()?;
/// let status = client.transaction_status("ORDER-1").await?;
/// println!("state of ORDER-1: {}", status.error_code);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: Url,
    partner_code: String,
    api_key: String,
    secret: SecretKey,
    language: Lang,
    timeout: Duration,
    jwt_lifetime: i64,
    token: Mutex<Option<CachedToken>>,
    /// Set when every request gets a token of its own.
    token_per_request: Option<TokenSequence>,
}

/// Makes each `jti` unique: a per-client nonce and a counter.
struct TokenSequence {
    nonce: u32,
    next: AtomicU64,
}

struct CachedToken {
    token: String,
    renew_at: i64,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url.as_str())
            .field("partner_code", &self.inner.partner_code)
            .field("language", &self.inner.language)
            .field("timeout", &self.inner.timeout)
            .field("jwt_lifetime_secs", &self.inner.jwt_lifetime)
            .finish_non_exhaustive()
    }
}

/// How an answer is checked.
#[derive(Clone, Copy)]
pub(crate) enum Expect {
    /// Signed with this field list; `errorCode` ≠ 0 is an API error.
    Signed(&'static SignatureSpec),
    /// The status API: a signed answer is valid whatever its `errorCode`.
    Status,
    /// A status API signed with this field list (v1.1).
    StatusWith(&'static SignatureSpec),
    /// Signed with one of these field lists (a reading AppotaPay leaves open).
    SignedAny(&'static [&'static SignatureSpec]),
    /// Signed over every top-level key but `signature`, sorted (v2 refunds).
    AllKeys,
    /// Unsigned; `errorCode` ≠ 0 is an API error.
    Unsigned,
}

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)).unwrap_or(0)
}

impl Client {
    /// Starts building a client.
    ///
    /// ```
    /// use appotapay::{Client, Environment, Lang, SecretKey};
    /// use std::time::Duration;
    /// let client = Client::builder()
    ///     .environment(Environment::Custom("http://127.0.0.1:8080".into()))
    ///     .partner_code("APPOTAPAY")
    ///     .api_key("FJcmF8uj2ISveL5FvvNk4pnp8xrhINz8")
    ///     .secret_key(SecretKey::new("XAonJgy14YhtePEITXhyBS2unjfJLAV3"))
    ///     .language(Lang::En)
    ///     .timeout(Duration::from_secs(10))
    ///     .build()
    ///     .expect("valid configuration");
    /// assert!(!format!("{client:?}").contains("XAonJgy14YhtePEITXhyBS2unjfJLAV3"));
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The partner code the client authenticates as.
    pub fn partner_code(&self) -> &str {
        &self.inner.partner_code
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// A request signed with the client's secret, exactly as the client sends it
    /// (the `create_*` and `refund` calls sign again and get the same signature):
    /// to log its [`canonical_data`](crate::CanonicalData::canonical_data) and
    /// signature before sending.
    ///
    /// ```
    /// use appotapay::{Amount, CanonicalData, Client, Environment, QrPaymentRequest, SecretKey};
    /// let client = Client::builder()
    ///     .environment(Environment::Custom("http://127.0.0.1:8080".into()))
    ///     .partner_code("APPOTAPAY")
    ///     .api_key("FJcmF8uj2ISveL5FvvNk4pnp8xrhINz8")
    ///     .secret_key(SecretKey::new("XAonJgy14YhtePEITXhyBS2unjfJLAV3"))
    ///     .build()
    ///     .expect("valid configuration");
    /// let request = client.sign_request(QrPaymentRequest {
    ///     order_id: "u7XR9xfTj".into(),
    ///     order_info: "test thanh toan".into(),
    ///     amount: Amount::vnd(10_000),
    ///     client_ip: "103.53.171.140".into(),
    ///     notify_url: "http://yourwebsite.com/ipn".into(),
    ///     redirect_url: "http://yourwebsite.com/redirect".into(),
    ///     extra_data: String::new(),
    ///     signature: String::new(),
    /// });
    /// assert_eq!(
    ///     request.canonical_data(),
    ///     "amount=10000&clientIp=103.53.171.140&extraData=&notifyUrl=http://yourwebsite.com/ipn&orderId=u7XR9xfTj\
    ///      &orderInfo=test thanh toan&redirectUrl=http://yourwebsite.com/redirect"
    /// );
    /// assert_eq!(request.signature, "c1ad6f769866d74003ffd4f7cf4f21230723c059e0744ec4fd75d16b8bff1001");
    /// ```
    pub fn sign_request<R: Signed>(&self, request: R) -> R {
        request.signed(&self.inner.secret)
    }

    /// The signed status request [`Client::transaction_status`] sends for
    /// `order_id`, e.g. to log its canonical data.
    ///
    /// ```
    /// use appotapay::{CanonicalData, Client, Environment, SecretKey};
    /// let client = Client::builder()
    ///     .environment(Environment::Sandbox)
    ///     .partner_code("APPOTAPAY")
    ///     .api_key("FJcmF8uj2ISveL5FvvNk4pnp8xrhINz8")
    ///     .secret_key(SecretKey::new("XAonJgy14YhtePEITXhyBS2unjfJLAV3"))
    ///     .build()
    ///     .expect("valid configuration");
    /// let request = client.status_request("5f5b46cb73fd0");
    /// assert_eq!(request.canonical_data(), "orderId=5f5b46cb73fd0");
    /// assert_eq!(request.signature, "0d5395e8bcffd9f2527f4a966440dbbde1a14923b5f8812bd947818f2313e7fc");
    /// ```
    pub fn status_request(&self, order_id: &str) -> StatusRequest {
        self.sign_request(StatusRequest { order_id: order_id.to_owned(), signature: String::new() })
    }

    /// Creates a card / bank payment (`POST /api/v1/orders/payment/bank`, spec §5.1).
    /// The request is signed here: leave its `signature` empty. Send the customer to
    /// the returned `payment_url`.
    ///
    /// ```no_run
    /// # async fn run(client: appotapay::Client) -> Result<(), appotapay::Error> {
    /// use appotapay::{Amount, BankPaymentRequest, PaymentMethod};
    /// let payment = client
    ///     .create_bank_payment(BankPaymentRequest {
    ///         order_id: "ORDER-1".into(),
    ///         order_info: "Thanh toán đơn hàng ORDER-1".into(),
    ///         amount: Amount::vnd(150_000),
    ///         client_ip: "203.0.113.7".into(),
    ///         notify_url: "https://shop.example/appotapay/ipn".into(),
    ///         redirect_url: "https://shop.example/appotapay/return".into(),
    ///         payment_method: PaymentMethod::Atm,
    ///         bank_code: String::new(),
    ///         extra_data: String::new(),
    ///         signature: String::new(),
    ///     })
    ///     .await?;
    /// println!("{}", payment.payment_url);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// See [`Error`]; e.g. [`Error::Api`] with code 30 for a duplicate order id.
    pub async fn create_bank_payment(&self, request: BankPaymentRequest) -> Result<BankPaymentResponse, Error> {
        let request = request.signed(&self.inner.secret);
        let url = self.url(&["api", "v1", "orders", "payment", "bank"])?;
        self.call(Method::POST, url, Some(&request), None, Expect::Signed(&signing::BANK_PAYMENT_RESPONSE)).await
    }

    /// Creates a dynamic-QR payment (`POST /api/v1/orders/payment/qr`, spec §5.2),
    /// optionally for a sub-account (`X-Account-Ref-ID`). The request is signed here:
    /// leave its `signature` empty.
    ///
    /// ```no_run
    /// # async fn run(client: appotapay::Client) -> Result<(), appotapay::Error> {
    /// use appotapay::{Amount, QrPaymentRequest};
    /// let qr = client
    ///     .create_qr_payment(
    ///         QrPaymentRequest {
    ///             order_id: "ORDER-2".into(),
    ///             order_info: "ORDER-2".into(),
    ///             amount: Amount::vnd(79_000),
    ///             client_ip: "203.0.113.7".into(),
    ///             notify_url: "https://shop.example/appotapay/ipn".into(),
    ///             redirect_url: String::new(),
    ///             extra_data: String::new(),
    ///             signature: String::new(),
    ///         },
    ///         None,
    ///     )
    ///     .await?;
    /// println!("QR image: {}, payable until {}", qr.qr_data.qr_code_url, qr.qr_data.qr_code_expiry_in);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// See [`Error`]; [`Error::InvalidRequest`] when `account_ref_id` cannot be a header value.
    pub async fn create_qr_payment(
        &self,
        request: QrPaymentRequest,
        account_ref_id: Option<&str>,
    ) -> Result<QrPaymentResponse, Error> {
        let request = request.signed(&self.inner.secret);
        let url = self.url(&["api", "v1", "orders", "payment", "qr"])?;
        let extra =
            match account_ref_id {
                Some(id) => Some(HeaderValue::from_str(id).map_err(|_| {
                    Error::InvalidRequest("the account reference id is not a valid header value".into())
                })?),
                None => None,
            };
        let extra = extra.map(|v| (protocol_headers::ACCOUNT_REF_ID, v));
        self.call(Method::POST, url, Some(&request), extra, Expect::Signed(&signing::QR_PAYMENT_RESPONSE)).await
    }

    /// Asks for the state of a transaction by the partner's order id
    /// (`POST /api/v1/orders/transaction/bank/status`, spec §5.3).
    ///
    /// The answer's `error_code` **is the transaction's state**, and a signed answer
    /// is returned as `Ok` whatever it is: 0 success, 35 pending, 34 processing,
    /// 77 expired, 38 cancelled, or a decline code. Only an unsigned error body
    /// (e.g. 36, unknown order) is an [`Error::Api`].
    ///
    /// ```no_run
    /// # async fn run(client: appotapay::Client) -> Result<(), appotapay::Error> {
    /// let status = client.transaction_status("ORDER-1").await?;
    /// if status.error_code.is_success() {
    ///     println!("paid {} ({})", status.amount, status.appotapay_trans_id);
    /// } else if !status.error_code.is_final() {
    ///     println!("not settled yet, ask again later");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn transaction_status(&self, order_id: &str) -> Result<StatusResponse, Error> {
        let request = self.status_request(order_id);
        let url = self.url(&["api", "v1", "orders", "transaction", "bank", "status"])?;
        self.call(Method::POST, url, Some(&request), None, Expect::Status).await
    }

    /// Refunds (part of) a successful transaction (`POST /api/v1/transaction/refund`,
    /// spec §5.4). The request is signed here: leave its `signature` empty.
    ///
    /// ```no_run
    /// # async fn run(client: appotapay::Client) -> Result<(), appotapay::Error> {
    /// use appotapay::{Amount, RefundRequest};
    /// let refund = client
    ///     .refund(RefundRequest {
    ///         refund_id: "REFUND-1".into(),
    ///         appotapay_trans_id: "AP221434473737".into(),
    ///         amount: Amount::vnd(10_000),
    ///         reason: "Customer returned the goods".into(),
    ///         signature: String::new(),
    ///     })
    ///     .await?;
    /// println!("refund {} is {}", refund.data.refund_id, refund.data.status.as_str());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// See [`Error`]; e.g. [`Error::Api`] with 31 (duplicate refund id), 102 (not a
    /// successful transaction) or 103 (refunds exceed the paid amount).
    pub async fn refund(&self, request: RefundRequest) -> Result<RefundResponse, Error> {
        let request = request.signed(&self.inner.secret);
        let url = self.url(&["api", "v1", "transaction", "refund"])?;
        self.call(Method::POST, url, Some(&request), None, Expect::Signed(&signing::REFUND_RESPONSE)).await
    }

    /// One refund by the partner's refund id (`GET /api/v1/transaction/refund/{refundId}`).
    ///
    /// ```no_run
    /// # async fn run(client: appotapay::Client) -> Result<(), appotapay::Error> {
    /// let refund = client.refund_detail("REFUND-1").await?;
    /// println!("{}", refund.data.status.as_str());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn refund_detail(&self, refund_id: &str) -> Result<RefundResponse, Error> {
        let url = self.url(&["api", "v1", "transaction", "refund", refund_id])?;
        self.call::<(), _>(Method::GET, url, None, None, Expect::Signed(&signing::REFUND_RESPONSE)).await
    }

    /// The refunds of one order (`GET /api/v1/transaction/{orderId}/refund`; unsigned).
    ///
    /// ```no_run
    /// # async fn run(client: appotapay::Client) -> Result<(), appotapay::Error> {
    /// let refunds = client.refunds_by_order("ORDER-1").await?;
    /// println!("{} refund(s)", refunds.data.refund_transactions.len());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn refunds_by_order(&self, order_id: &str) -> Result<OrderRefundsResponse, Error> {
        let url = self.url(&["api", "v1", "transaction", order_id, "refund"])?;
        self.call::<(), _>(Method::GET, url, None, None, Expect::Unsigned).await
    }

    /// Lists refunds (`GET /api/v1/refunds`; unsigned). `None` filters are not sent.
    ///
    /// ```no_run
    /// # async fn run(client: appotapay::Client) -> Result<(), appotapay::Error> {
    /// use appotapay::{RefundListQuery, RefundStatus};
    /// let query = RefundListQuery { status: Some(RefundStatus::Success), page: Some(1), ..Default::default() };
    /// let page = client.refund_list(&query).await?;
    /// println!("{} of {} refunds", page.data.len(), page.meta.total);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn refund_list(&self, query: &RefundListQuery) -> Result<RefundListResponse, Error> {
        let mut url = self.url(&["api", "v1", "refunds"])?;
        let value = serde_json::to_value(query)
            .map_err(|e| Error::InvalidRequest(format!("the refund query cannot be encoded: {e}")))?;
        if let Some(object) = value.as_object().filter(|o| !o.is_empty()) {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in object {
                if !v.is_null() {
                    pairs.append_pair(k, &signing::raw_value(v));
                }
            }
        }
        self.call::<(), _>(Method::GET, url, None, None, Expect::Unsigned).await
    }

    /// The API v1.1 calls (saved-card tokens), beside v1.0's.
    pub fn v11(&self) -> crate::v11::V11Api<'_> {
        crate::v11::V11Api { client: self }
    }

    /// The API v2 calls, beside v1.0's.
    pub fn v2(&self) -> crate::v2::V2Api<'_> {
        crate::v2::V2Api { client: self }
    }

    /// The client's secret key (for the version modules' signing).
    pub(crate) fn secret(&self) -> &SecretKey {
        &self.inner.secret
    }

    /// The test helpers of an AppotaPay-compatible gateway in sandbox mode (spec §7).
    /// They do not exist on AppotaPay's own services nor in production mode.
    pub fn sandbox(&self) -> SandboxApi<'_> {
        SandboxApi { client: self }
    }

    /// [`verify_ipn`](crate::verify_ipn) with the client's secret key.
    ///
    /// # Errors
    ///
    /// See [`NotificationError`].
    pub fn verify_ipn(&self, body: &[u8]) -> Result<PaymentNotification, NotificationError> {
        notification::verify_ipn(&self.inner.secret, body)
    }

    /// [`verify_redirect`](crate::verify_redirect) with the client's secret key.
    ///
    /// # Errors
    ///
    /// See [`NotificationError`].
    pub fn verify_redirect(&self, query: &str) -> Result<PaymentNotification, NotificationError> {
        notification::verify_redirect(&self.inner.secret, query)
    }

    /// The base URL joined with `segments`, each percent-encoded as one path segment.
    pub(crate) fn url(&self, segments: &[&str]) -> Result<Url, Error> {
        if let Some(bad) = segments.iter().find(|s| s.is_empty() || **s == "." || **s == "..") {
            return Err(Error::InvalidRequest(format!("{bad:?} cannot be used as an id")));
        }
        let mut url = self.inner.base_url.clone();
        url.path_segments_mut()
            .map_err(|()| Error::Config("the base URL cannot be a base".into()))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    /// A valid token: a new one with its own `jti` when `token_per_request` is on,
    /// otherwise from the cache when it is not about to expire.
    fn token(&self) -> String {
        let now = now_secs();
        if let Some(seq) = &self.inner.token_per_request {
            let n = seq.next.fetch_add(1, Ordering::Relaxed);
            let claims = jwt::Claims {
                iss: self.inner.partner_code.clone(),
                jti: Some(format!("{}-{now}-{:08x}{n}", self.inner.api_key, seq.nonce)),
                api_key: self.inner.api_key.clone(),
                exp: now.saturating_add(self.inner.jwt_lifetime),
            };
            return jwt::build_with_claims(&claims, &self.inner.secret);
        }
        let mut cache = self.inner.token.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(cached) = cache.as_ref().filter(|c| now < c.renew_at) {
            return cached.token.clone();
        }
        let lifetime = self.inner.jwt_lifetime;
        let token = jwt::build(&self.inner.partner_code, &self.inner.api_key, &self.inner.secret, now, lifetime);
        let margin = JWT_REFRESH_MARGIN_SECS.min(lifetime / 2);
        *cache = Some(CachedToken { token: token.clone(), renew_at: now.saturating_add(lifetime - margin) });
        token
    }

    pub(crate) async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<&B>,
        extra_header: Option<(&'static str, HeaderValue)>,
        expect: Expect,
    ) -> Result<T, Error> {
        tracing::debug!(method = %method, path = url.path(), "AppotaPay request");
        let auth = HeaderValue::from_str(&format!("Bearer {}", self.token()))
            .map_err(|_| Error::Config("the partner code or API key cannot be put in a token header".into()))?;
        let mut request = self.inner.http.request(method, url).header(protocol_headers::AUTH, auth);
        if let Some((name, value)) = extra_header {
            request = request.header(name, value);
        }
        if let Some(body) = body {
            let bytes = serde_json::to_vec(body)
                .map_err(|e| Error::InvalidRequest(format!("the request cannot be encoded: {e}")))?;
            request = request.body(bytes);
        }
        let mut response = request.send().await.map_err(Error::from_reqwest)?;
        let http_status = response.status().as_u16();
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(Error::from_reqwest)? {
            if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(Error::Decode { http_status, reason: "the answer is larger than 1 MiB".into() });
            }
            bytes.extend_from_slice(&chunk);
        }
        tracing::debug!(http_status, len = bytes.len(), "AppotaPay answer");
        interpret(http_status, &bytes, expect, &self.inner.secret)
    }
}

/// Turns an answer into the typed response or an [`Error`], verifying its signature
/// before anything else is read from it.
fn interpret<T: DeserializeOwned>(http_status: u16, body: &[u8], expect: Expect, key: &SecretKey) -> Result<T, Error> {
    let decode = |reason: String| Error::Decode { http_status, reason };
    let value: Value = serde_json::from_slice(body).map_err(|e| decode(format!("the answer is not JSON: {e}")))?;
    let object = value.as_object().ok_or_else(|| decode("the answer is not a JSON object".into()))?;
    let code = match object.get("errorCode") {
        Some(v) => v
            .as_u64()
            .and_then(|c| u32::try_from(c).ok())
            .map(ErrorCode)
            .ok_or_else(|| decode("`errorCode` is not a non-negative integer".into()))?,
        None => return Err(decode("the answer has no `errorCode`".into())),
    };
    let api_error = || Error::Api {
        code,
        message: object.get("message").and_then(Value::as_str).unwrap_or_default().to_owned(),
        http_status,
    };
    let signed = object.get("signature").and_then(Value::as_str).is_some_and(|s| !s.is_empty());
    let success = (200..300).contains(&http_status);

    let spec = match expect {
        // A signed status answer describes the transaction, whatever its code.
        Expect::Status if signed => Some(&signing::STATUS_RESPONSE),
        Expect::StatusWith(spec) if signed => Some(spec),
        _ if !success || !code.is_success() => {
            return Err(if code.is_success() {
                decode(format!("HTTP {http_status} with errorCode 0"))
            } else {
                api_error()
            });
        }
        Expect::Status => Some(&signing::STATUS_RESPONSE),
        Expect::StatusWith(spec) | Expect::Signed(spec) => Some(spec),
        Expect::SignedAny(specs) => {
            let ok = specs.iter().any(|spec| signing::verify_json(spec, key, &value).is_ok());
            if !ok {
                let source = specs.first().map_or(signing::SignatureError::Mismatch, |spec| {
                    signing::verify_json(spec, key, &value).err().unwrap_or(signing::SignatureError::Mismatch)
                });
                let spec = specs.first().map_or("signed answer", |s| s.name);
                return Err(Error::Signature { spec, source });
            }
            None
        }
        Expect::AllKeys => {
            appotapay_protocol::v2::RefundResponse::verify_json(key, &value)
                .map_err(|source| Error::Signature { spec: "v2 refund response", source })?;
            None
        }
        Expect::Unsigned => None,
    };
    if let Some(spec) = spec {
        signing::verify_json(spec, key, &value).map_err(|source| Error::Signature { spec: spec.name, source })?;
    }
    serde_json::from_value(value).map_err(|e| decode(format!("unexpected answer: {e}")))
}

/// The sandbox test helpers of an AppotaPay-compatible gateway (spec §7), from
/// [`Client::sandbox`]. Authenticated like every call.
///
/// ```no_run
/// # async fn run(client: appotapay::Client) -> Result<(), appotapay::Error> {
/// use appotapay::{Amount, ErrorCode};
/// // Settle a card payment as declined, then pay a QR order by a simulated transfer.
/// client.sandbox().complete("AP000000000001", ErrorCode::DECLINED).await?;
/// client.sandbox().bank_credit(Amount::vnd(79_000), "AP000000000002").await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct SandboxApi<'a> {
    pub(crate) client: &'a Client,
}

impl SandboxApi<'_> {
    /// Settles a pending transaction with `outcome`: 0 for success, a decline code,
    /// 38 (cancelled) or 77 (expired)
    /// (`POST /api/v1/sandbox/transactions/{appotapayTransId}/complete`). The gateway
    /// then redirects and sends the IPN as for a real payment.
    ///
    /// # Errors
    ///
    /// See [`Error`]; [`Error::Api`] when the gateway refuses.
    pub async fn complete(&self, appotapay_trans_id: &str, outcome: ErrorCode) -> Result<CompleteResponse, Error> {
        let url = self.client.url(&["api", "v1", "sandbox", "transactions", appotapay_trans_id, "complete"])?;
        let body = CompleteRequest { error_code: outcome };
        self.client.call(Method::POST, url, Some(&body), None, Expect::Unsigned).await
    }

    /// Simulates a credit of `amount` with transfer memo `memo` on the collecting
    /// account (`POST /api/v1/sandbox/bank-credit`): pays the QR order whose
    /// appotapayTransId is `memo` when the amount matches.
    ///
    /// # Errors
    ///
    /// See [`Error`]; [`Error::Api`] when the credit matches no order.
    pub async fn bank_credit(&self, amount: Amount, memo: &str) -> Result<BankCreditResponse, Error> {
        let url = self.client.url(&["api", "v1", "sandbox", "bank-credit"])?;
        let body = BankCreditRequest { amount, memo: memo.to_owned() };
        self.client.call(Method::POST, url, Some(&body), None, Expect::Unsigned).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::new(appotapay_protocol::sandbox_partner::SECRET_KEY)
    }

    #[test]
    fn interpret_rules() {
        let unsigned = r#"{"errorCode":36,"message":"Giao dịch không tồn tại"}"#.as_bytes();
        let e = interpret::<StatusResponse>(400, unsigned, Expect::Status, &key()).expect_err("36 is an error");
        assert!(matches!(e, Error::Api { code: ErrorCode(36), http_status: 400, .. }), "{e:?}");
        let e = interpret::<Value>(200, b"{\"errorCode\":0}", Expect::Status, &key()).expect_err("unsigned");
        assert!(matches!(e, Error::Signature { spec: "status response", .. }), "{e:?}");
        let e = interpret::<Value>(500, b"{\"errorCode\":0}", Expect::Unsigned, &key()).expect_err("500");
        assert!(matches!(e, Error::Decode { http_status: 500, .. }), "{e:?}");
        let e = interpret::<Value>(200, b"[1]", Expect::Unsigned, &key()).expect_err("array");
        assert!(matches!(e, Error::Decode { .. }), "{e:?}");
        let e = interpret::<Value>(200, b"{\"errorCode\":\"x\"}", Expect::Unsigned, &key()).expect_err("string code");
        assert!(matches!(e, Error::Decode { .. }), "{e:?}");
        let ok = interpret::<Value>(200, b"{\"errorCode\":0}", Expect::Unsigned, &key()).expect("unsigned ok");
        assert_eq!(ok["errorCode"], 0);
    }

    #[test]
    fn url_segments_are_encoded() {
        let client = Client::builder()
            .environment(Environment::Custom("http://127.0.0.1:1/prefix/".into()))
            .partner_code("P")
            .api_key("K")
            .secret_key(key())
            .build()
            .expect("client");
        let url = client.url(&["api", "a b/c?d#e%f"]).expect("url");
        assert_eq!(url.as_str(), "http://127.0.0.1:1/prefix/api/a%20b%2Fc%3Fd%23e%25f");
        assert!(matches!(client.url(&[".."]), Err(Error::InvalidRequest(_))));
        assert!(matches!(client.url(&[""]), Err(Error::InvalidRequest(_))));
    }

    #[test]
    fn token_margin_never_exceeds_half_the_lifetime() {
        let client = Client::builder()
            .environment(Environment::Sandbox)
            .partner_code("P")
            .api_key("K")
            .secret_key(key())
            .jwt_lifetime(Duration::from_secs(3600))
            .build()
            .expect("client");
        let t1 = client.token();
        assert_eq!(t1, client.token());
        let renew_at = client.inner.token.lock().expect("lock").as_ref().map(|c| c.renew_at).expect("cached");
        let exp = jwt::decode(&t1).expect("decodes").claims().exp;
        assert_eq!(exp - renew_at, 60);
    }
}
