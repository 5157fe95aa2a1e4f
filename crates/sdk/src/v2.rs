//! API v2 from the SDK ([`Client::v2`]): nested requests authenticated by the JWT
//! alone, and results delivered as a signed base64 envelope.
//!
//! [`verify_ipn_v2`] and [`verify_redirect_v2`] check an envelope's signature over
//! its `data` text exactly as received before decoding anything, and return the
//! typed [`Payload`]; its `tokenResult` (a JSON string inside the JSON) is covered by
//! that signature.

use crate::client::{Client, Expect};
use crate::error::Error;
use crate::notification::NotificationError;
use crate::v11::account_header;
use appotapay_protocol::SecretKey;
use appotapay_protocol::messages::ErrorBody;
use appotapay_protocol::v2::{
    CreateRequest, CreateResponse, Envelope, EnvelopeError, ListResponse, Payload, RefundRequest, RefundResponse,
    StatusResponse,
};
use reqwest::Method;

pub use crate::v11::ListQuery;

/// Which id a v2 status or refund query names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferenceType {
    /// The gateway's id (`transactionId`, `refundId`).
    TransactionId,
    /// The partner's id (its order id, its `partnerRefId`).
    PartnerOrderId,
}

impl ReferenceType {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceType::TransactionId => "TRANSACTION_ID",
            ReferenceType::PartnerOrderId => "PARTNER_ORDER_ID",
        }
    }
}

/// The v2 calls of a [`Client`].
#[derive(Clone, Copy, Debug)]
pub struct V2Api<'a> {
    pub(crate) client: &'a Client,
}

impl V2Api<'_> {
    /// Creates a payment (`POST /api/v2/orders/payment`); send the customer to
    /// `payment.url`.
    ///
    /// # Errors
    ///
    /// See [`Error`]; e.g. [`Error::Api`] with 140 or 141 for a method or bank the
    /// partner may not use.
    pub async fn create_payment(
        &self,
        request: &CreateRequest,
        account_ref_id: Option<&str>,
    ) -> Result<CreateResponse, Error> {
        let url = self.client.url(&["api", "v2", "orders", "payment"])?;
        let extra = account_header(account_ref_id)?;
        self.client.call(Method::POST, url, Some(request), extra, Expect::Unsigned).await
    }

    /// A transaction's state (`GET /api/v2/orders/transaction`); its own state is
    /// `transaction.error_code`.
    ///
    /// # Errors
    ///
    /// See [`Error`]; [`Error::Api`] with 36 for an unknown transaction.
    pub async fn transaction_status(
        &self,
        reference_id: &str,
        kind: ReferenceType,
        account_ref_id: Option<&str>,
    ) -> Result<StatusResponse, Error> {
        let mut url = self.client.url(&["api", "v2", "orders", "transaction"])?;
        url.query_pairs_mut().append_pair("referenceId", reference_id).append_pair("type", kind.as_str());
        let extra = account_header(account_ref_id)?;
        self.client.call::<(), _>(Method::GET, url, None, extra, Expect::Unsigned).await
    }

    /// A page of the partner's transactions (`GET /api/v2/orders/transactions`).
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn transactions(&self, query: &ListQuery) -> Result<ListResponse, Error> {
        let mut url = self.client.url(&["api", "v2", "orders", "transactions"])?;
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in query.pairs() {
                q.append_pair(&k, &v);
            }
        }
        self.client.call::<(), _>(Method::GET, url, None, None, Expect::Unsigned).await
    }

    /// Refunds (part of) a transaction (`POST /api/v2/transaction/refund`); the
    /// answer's signature over every top-level key is verified.
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn refund(&self, request: &RefundRequest) -> Result<RefundResponse, Error> {
        let url = self.client.url(&["api", "v2", "transaction", "refund"])?;
        self.client.call(Method::POST, url, Some(request), None, Expect::AllKeys).await
    }

    /// One refund (`GET /api/v2/transaction/refund/{id}?type=…`).
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn refund_detail(&self, id: &str, kind: ReferenceType) -> Result<RefundResponse, Error> {
        let mut url = self.client.url(&["api", "v2", "transaction", "refund", id])?;
        url.query_pairs_mut().append_pair("type", kind.as_str());
        self.client.call::<(), _>(Method::GET, url, None, None, Expect::AllKeys).await
    }

    /// Deletes a saved card (`DELETE /api/v2/token/delete`).
    ///
    /// # Errors
    ///
    /// See [`Error`]; [`Error::Api`] with 87 for an unknown or deleted token.
    pub async fn delete_token(&self, token: &str) -> Result<ErrorBody, Error> {
        crate::v11::delete_token(self.client, &["api", "v2", "token", "delete"], token).await
    }

    /// [`verify_ipn_v2`] with the client's secret key.
    ///
    /// # Errors
    ///
    /// See [`NotificationError`].
    pub fn verify_ipn(&self, body: &[u8]) -> Result<Payload, NotificationError> {
        verify_ipn_v2(self.client.secret(), body)
    }

    /// [`verify_redirect_v2`] with the client's secret key.
    ///
    /// # Errors
    ///
    /// See [`NotificationError`].
    pub fn verify_redirect(&self, query: &str) -> Result<Payload, NotificationError> {
        verify_redirect_v2(self.client.secret(), query)
    }
}

fn opened(env: &Envelope, key: &SecretKey) -> Result<Payload, NotificationError> {
    env.open(key).map_err(|e| match e {
        EnvelopeError::Signature(_) => NotificationError::BadSignature,
        EnvelopeError::Data => NotificationError::Malformed("data is not the base64 of a v2 payload".into()),
    })
}

/// Verifies a v2 IPN body (`{"data", "signature", "time"}`) and decodes its payload.
///
/// ```
/// use appotapay::{verify_ipn_v2, NotificationError, SecretKey};
/// let key = SecretKey::new("XAonJgy14YhtePEITXhyBS2unjfJLAV3");
/// let forged = br#"{"data":"e30=","signature":"00","time":1}"#;
/// assert_eq!(verify_ipn_v2(&key, forged), Err(NotificationError::BadSignature));
/// ```
///
/// # Errors
///
/// See [`NotificationError`].
pub fn verify_ipn_v2(key: &SecretKey, body: &[u8]) -> Result<Payload, NotificationError> {
    let env: Envelope = serde_json::from_slice(body)
        .map_err(|e| NotificationError::Malformed(format!("the body is not a v2 envelope: {e}")))?;
    opened(&env, key)
}

/// Verifies a v2 redirect's query string (`data` percent-encoded, `signature`,
/// `time`) and decodes its payload.
///
/// # Errors
///
/// See [`NotificationError`].
pub fn verify_redirect_v2(key: &SecretKey, query: &str) -> Result<Payload, NotificationError> {
    let env = Envelope::from_query(query).ok_or(NotificationError::MissingField("data"))?;
    opened(&env, key)
}
