//! The canonical `data` string of a request, for logging.
//!
//! When a gateway answers errorCode 2 (bad signature), the first question is which
//! string was signed. Every request type the client sends can say so, with
//! [`CanonicalData::canonical_data`]; [`Client::sign_request`](crate::Client::sign_request)
//! and [`Client::status_request`](crate::Client::status_request) give the request
//! exactly as the client would send it, signed, to log before sending. A sandbox
//! gateway answers a bad signature with the string it expected, percent-encoded, in
//! `X-Expected-Signature-Data` ([`protocol::headers::decode_signature_data`](crate::protocol::headers::decode_signature_data)
//! decodes it) — compare the two. The string holds the request's values, never the
//! secret; the signature is a separate field.

use appotapay_protocol::signing::Signed;

/// The `data` string a request's signature covers (spec §4): its documented
/// fields, sorted, `key=value` joined by `&`, values raw.
///
/// ```
/// use appotapay::{CanonicalData, RefundRequest, Amount};
/// let refund = RefundRequest {
///     refund_id: "237052c887614019bedfd1851a287d9c".into(),
///     appotapay_trans_id: "AP211364332963".into(),
///     amount: Amount::vnd(10_000),
///     reason: "Test refund".into(),
///     signature: String::new(),
/// };
/// assert_eq!(
///     refund.canonical_data(),
///     "amount=10000&appotapayTransId=AP211364332963&reason=Test refund&refundId=237052c887614019bedfd1851a287d9c"
/// );
/// ```
pub trait CanonicalData {
    /// The `data` string (never the secret, never the signature).
    fn canonical_data(&self) -> String;
}

impl<T: Signed> CanonicalData for T {
    fn canonical_data(&self) -> String {
        self.data()
    }
}
