//! # appotapay
//!
//! Merchant SDK for the AppotaPay payment gateway (API v1.0, and v1.1 and v2 through
//! [`Client::v11`] and [`Client::v2`]) and for AppotaPay-compatible
//! gateways: create card/bank and dynamic-QR payments, query a transaction's state,
//! refund, and verify the payment result delivered by IPN and by redirect.
//!
//! Every request is signed and authenticated (`X-APPOTAPAY-AUTH` JWT, cached), and
//! every signed answer is verified against the raw JSON received before it is
//! returned. The wire rules (signed field lists, JWT, error codes) come from
//! [`appotapay_protocol`], re-exported as [`protocol`].
//!
//! ## Quick start
//!
//! ```no_run
//! use appotapay::{Amount, BankPaymentRequest, Client, Environment, PaymentMethod, SecretKey};
//!
//! # async fn run() -> Result<(), appotapay::Error> {
//! let client = Client::builder()
//!     .environment(Environment::Sandbox) // or Production, or Custom("http://127.0.0.1:8080".into())
//!     .partner_code("APPOTAPAY")
//!     .api_key("FJcmF8uj2ISveL5FvvNk4pnp8xrhINz8")
//!     .secret_key(SecretKey::new("XAonJgy14YhtePEITXhyBS2unjfJLAV3"))
//!     .build()?;
//!
//! // 1. Create the payment and send the customer to the hosted checkout.
//! let payment = client
//!     .create_bank_payment(BankPaymentRequest {
//!         order_id: "ORDER-1".into(),
//!         order_info: "Thanh toán đơn hàng ORDER-1".into(),
//!         amount: Amount::vnd(150_000),
//!         client_ip: "203.0.113.7".into(),
//!         notify_url: "https://shop.example/appotapay/ipn".into(),
//!         redirect_url: "https://shop.example/appotapay/return".into(),
//!         payment_method: PaymentMethod::All,
//!         bank_code: String::new(),
//!         extra_data: String::new(),
//!         signature: String::new(), // signed by the client
//!     })
//!     .await?;
//! println!("redirect the customer to {}", payment.payment_url);
//!
//! // 2. The result arrives by IPN (`verify_ipn`, or with the `axum` feature
//! //    `appotapay::axum::ipn_route`) and with the customer's browser (`verify_redirect`).
//!
//! // 3. Confirm with the status API before fulfilling, if in doubt.
//! let status = client.transaction_status("ORDER-1").await?;
//! if status.error_code.is_success() && status.amount == Amount::vnd(150_000) {
//!     println!("paid");
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ## Errors
//!
//! API calls return [`Error`]: [`Error::Api`] for an `{errorCode, message}` answer,
//! [`Error::Signature`] for an answer whose signature does not verify,
//! [`Error::Timeout`], [`Error::Transport`] and [`Error::Decode`]. When
//! [`Error::is_final`] is `false` the outcome is unknown: ask the status API later.
//!
//! ## Verifying results
//!
//! [`verify_ipn`] checks the JSON body POSTed to your `notifyUrl`, [`verify_redirect`]
//! the query string the customer's browser brings to your `redirectUrl`. Both verify
//! the signature before returning a typed [`PaymentNotification`]. IPN delivery is
//! at-least-once: handle duplicates idempotently (e.g. keyed by `appotapay_trans_id`).
//!
//! ```
//! use appotapay::{verify_redirect, NotificationError, SecretKey};
//! let secret = SecretKey::new("XAonJgy14YhtePEITXhyBS2unjfJLAV3");
//! // The raw query string the browser brought to your redirectUrl:
//! let query = "orderId=ORDER-1&amount=150000&signature=0000";
//! assert!(matches!(verify_redirect(&secret, query), Err(NotificationError::MissingField(_))));
//! ```
//!
//! ## API v1.1 and v2
//!
//! [`Client::v11`] and [`Client::v2`] hold the calls of the two later versions, beside
//! v1.0's methods on [`Client`]: a payment that saves the card
//! (`Action::PayWithReturnToken`) or pays with a saved one (`Action::PayWithToken`),
//! the v1.1 nested status and list, the token lookup and delete, and v2's create,
//! status, list and refunds. Their notifications are verified by [`verify_ipn_v11`] /
//! [`verify_redirect_v11`] (a signature with or without `tokenResult`) and
//! [`verify_ipn_v2`] / [`verify_redirect_v2`] (the envelope's HMAC over its `data`
//! text, checked before anything is decoded).
//!
//! ```
//! use appotapay::{verify_redirect_v2, NotificationError, SecretKey};
//! let secret = SecretKey::new("XAonJgy14YhtePEITXhyBS2unjfJLAV3");
//! let forged = "data=e30%3D&signature=00&time=1";
//! assert_eq!(verify_redirect_v2(&secret, forged), Err(NotificationError::BadSignature));
//! ```
//!
//! ## Logging what was signed
//!
//! [`CanonicalData::canonical_data`] gives the `data` string of any request type,
//! and [`Client::sign_request`] / [`Client::status_request`] the request exactly as
//! the client sends it, to log before sending (see [`CanonicalData`]).
//!
//! ## Features
//!
//! - `axum`: `appotapay::axum::ipn_route`, a ready IPN endpoint for axum 0.8.

#![warn(missing_docs)]

#[cfg(feature = "axum")]
pub mod axum;
mod canonical;
mod client;
mod error;
mod notification;
mod test_kit;
pub mod v11;
pub mod v2;

pub use appotapay_protocol as protocol;
pub use canonical::CanonicalData;
pub use client::{Client, ClientBuilder, Environment, SandboxApi};
pub use error::Error;
pub use notification::{NotificationError, verify_ipn, verify_ipn_v11, verify_redirect, verify_redirect_v11};
pub use v2::{verify_ipn_v2, verify_redirect_v2};

pub use appotapay_protocol::messages::sandbox::{BankCreditResponse, CompleteResponse};
pub use appotapay_protocol::messages::{
    BankPaymentRequest, BankPaymentResponse, CardInfo, ErrorBody, OrderRefunds, OrderRefundsResponse,
    PaymentNotification, QrData, QrPaymentRequest, QrPaymentResponse, RefundData, RefundListMeta, RefundListQuery,
    RefundListResponse, RefundRequest, RefundResponse, RefundStatus, RefundType, StatusRequest, StatusResponse,
};
pub use appotapay_protocol::{Amount, BankCode, ErrorCode, Lang, PaymentMethod, SecretKey};
