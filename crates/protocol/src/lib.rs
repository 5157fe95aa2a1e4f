//! # appotapay-protocol
//!
//! The AppotaPay wire contract (v1.0, v1.1 and v2) as data and pure functions, shared by the merchant
//! SDK (`appotapay`) and the gateway (`appotapay-gateway`) so that each rule exists
//! exactly once:
//!
//! - [`messages`]: typed request, response and notification bodies;
//! - [`signing`]: the table of signed field lists, the canonical `data` builder,
//!   HMAC-SHA256 signing and constant-time verification;
//! - [`jwt`]: the `X-APPOTAPAY-AUTH` token, built and verified rule by rule;
//!   [`token_cache`]: verified tokens remembered, expiry and key still checked;
//! - [`headers`]: the names of the API's HTTP headers;
//! - [`fields`]: the rules of the request fields (lengths, forms, URLs, IPs);
//! - [`ErrorCode`], [`PaymentMethod`], [`BankCode`], [`Amount`], [`AppotapayTransId`];
//! - [`vietqr`]: VietQR payload encoding and EMVCo parsing;
//! - [`v11`] and [`v2`]: API v1.1 (saved-card tokens, three readings of the create
//!   signature) and v2 (nested bodies, base64 notification envelopes) beside v1.0;
//!   [`php_json`]: JSON as PHP's `json_encode` writes it, which their signed texts use;
//! - [`bankfeed`]: SePay and Casso bank-transaction feeds (webhook authentication,
//!   bodies, reconciliation lists) and the memo rule that finds an `appotapayTransId`.
//!
//! This crate does no I/O.
//!
//! ```
//! use appotapay_protocol::{messages::QrPaymentRequest, signing::Signed, Amount, SecretKey};
//! let key = SecretKey::new("XAonJgy14YhtePEITXhyBS2unjfJLAV3");
//! let req = QrPaymentRequest {
//!     order_id: "u7XR9xfTj".into(),
//!     order_info: "test thanh toan".into(),
//!     amount: Amount::vnd(10_000),
//!     client_ip: "103.53.171.140".into(),
//!     notify_url: "http://yourwebsite.com/ipn".into(),
//!     redirect_url: "http://yourwebsite.com/redirect".into(),
//!     extra_data: String::new(),
//!     signature: String::new(),
//! }
//! .signed(&key);
//! assert!(req.verify(&key).is_ok());
//! ```

#![warn(missing_docs)]

pub mod amount;
pub mod bankfeed;
pub mod error;
pub mod fields;
pub mod headers;
pub mod ids;
pub mod jwt;
pub mod messages;
pub mod method;
pub mod php_json;
pub mod signing;
pub mod token_cache;
pub mod v11;
pub mod v2;
pub mod vietqr;

pub use amount::{Amount, AmountLimits, AmountOutOfRange};
pub use error::{DECLINE_CODES, ERROR_CODES, ErrorCode, Lang};
pub use fields::FieldError;
pub use ids::{AppotapayTransId, InvalidTransId, is_valid_order_id};
pub use method::{BANKS, BankCode, BankInfo, PaymentMethod, UnknownPaymentMethod};
pub use signing::{SecretKey, SignatureError, Signed};

/// `currency` of every transaction.
pub const CURRENCY: &str = "VND";
/// `paymentType` of every transaction.
pub const PAYMENT_TYPE: &str = "WEB";
/// The public AppotaPay sandbox partner (spec §11).
pub mod sandbox_partner {
    /// Partner code.
    pub const PARTNER_CODE: &str = "APPOTAPAY";
    /// API key.
    pub const API_KEY: &str = "FJcmF8uj2ISveL5FvvNk4pnp8xrhINz8";
    /// Secret key (public: it is AppotaPay's published sandbox key).
    pub const SECRET_KEY: &str = "XAonJgy14YhtePEITXhyBS2unjfJLAV3";
}
