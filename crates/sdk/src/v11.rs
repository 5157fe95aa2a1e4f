//! API v1.1 from the SDK ([`Client::v11`]): card payments that save the card
//! (`PAY_WITH_RETURN_TOKEN`) or pay with a saved one (`PAY_WITH_TOKEN`), the nested
//! status answer, the transaction list, and the token lookup and delete.
//!
//! AppotaPay's material leaves three v1.1 signatures open. The client signs the
//! create request with every body key ([`Reading::A`], what AppotaPay's Postman
//! collection does; [`V11Api::with_reading`] picks another), and accepts a create
//! answer signed over `errorCode` and `message` or over v1.0's five fields. A
//! notification may or may not sign `tokenResult`: [`crate::verify_ipn_v11`] and
//! [`crate::verify_redirect_v11`] accept either.

use crate::client::{Client, Expect};
use crate::error::Error;
use appotapay_protocol::headers as protocol_headers;
use appotapay_protocol::messages::ErrorBody;
use appotapay_protocol::signing::{self, SignatureSpec};
use appotapay_protocol::v11::{
    self, BankPaymentRequest, BankPaymentResponse, ListResponse, Reading, StatusResponse, TokenLookupResponse,
};
use reqwest::Method;
use reqwest::header::HeaderValue;
use serde::{Deserialize, Serialize};

/// The create answer's accepted field lists.
const CREATE_ANSWERS: &[&SignatureSpec] = &[&v11::CREATE_RESPONSE, &signing::BANK_PAYMENT_RESPONSE];

/// Filters and page of [`V11Api::transactions`]; `None` is not sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// Created at or after, unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
    /// Created at or before, unix seconds (needs `start_time`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<i64>,
    /// `success`, `pending`, `processing`, `error`, `cancelled`, `expired`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `ATM`, `CC`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<String>,
    /// 1 to 50 (default 15).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// From 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
}

impl ListQuery {
    /// The query's `(key, value)` pairs, sorted by key, as sent and signed.
    pub fn pairs(&self) -> Vec<(String, String)> {
        let value = serde_json::to_value(self).unwrap_or_default();
        let mut pairs: Vec<(String, String)> = value
            .as_object()
            .map(|o| o.iter().map(|(k, v)| (k.clone(), signing::raw_value(v).into_owned())).collect())
            .unwrap_or_default();
        pairs.sort();
        pairs
    }
}

/// The v1.1 calls of a [`Client`].
#[derive(Clone, Copy, Debug)]
pub struct V11Api<'a> {
    pub(crate) client: &'a Client,
}

/// The v1.1 calls with a chosen reading of the create signature.
#[derive(Clone, Copy, Debug)]
pub struct V11WithReading<'a> {
    api: V11Api<'a>,
    reading: Reading,
}

impl<'a> V11Api<'a> {
    /// Signs create requests under `reading` instead of [`Reading::A`] (for a
    /// gateway in a strict mode).
    pub fn with_reading(self, reading: Reading) -> V11WithReading<'a> {
        V11WithReading { api: self, reading }
    }

    /// Creates a card payment (`POST /api/v1.1/orders/payment/bank`), signed under
    /// reading A; an owner-type sub-account's orders take its `account_ref_id`.
    ///
    /// # Errors
    ///
    /// See [`Error`]; [`Error::Api`] with 87 for an unknown or deleted token.
    pub async fn create_bank_payment(
        &self,
        request: BankPaymentRequest,
        account_ref_id: Option<&str>,
    ) -> Result<BankPaymentResponse, Error> {
        self.with_reading(Reading::A).create_bank_payment(request, account_ref_id).await
    }

    /// The state of a transaction by the partner's order id
    /// (`POST /api/v1.1/orders/transaction/bank/status`): the nested answer, signed
    /// over 14 fields. As with v1.0, a signed answer is `Ok` whatever its code.
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn transaction_status(
        &self,
        order_id: &str,
        account_ref_id: Option<&str>,
    ) -> Result<StatusResponse, Error> {
        let request = self.client.status_request(order_id);
        let url = self.client.url(&["api", "v1.1", "orders", "transaction", "bank", "status"])?;
        let extra = account_header(account_ref_id)?;
        self.client.call(Method::POST, url, Some(&request), extra, Expect::StatusWith(&v11::STATUS_RESPONSE)).await
    }

    /// A page of the partner's transactions (`GET /api/v1.1/orders/transactions`),
    /// the query signed over the parameters sent.
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn transactions(&self, query: &ListQuery) -> Result<ListResponse, Error> {
        let pairs = query.pairs();
        let data = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        let signature = signing::sign_data(self.client.secret(), &data);
        let mut url = self.client.url(&["api", "v1.1", "orders", "transactions"])?;
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in &pairs {
                q.append_pair(k, v);
            }
            q.append_pair("signature", &signature);
        }
        self.client.call::<(), _>(Method::GET, url, None, None, Expect::Unsigned).await
    }

    /// The card an order saved (`GET /api/v1.1/token/{orderId}`).
    ///
    /// # Errors
    ///
    /// See [`Error`]; [`Error::Api`] with 87 when the order saved none.
    pub async fn token_of_order(&self, order_id: &str) -> Result<TokenLookupResponse, Error> {
        let url = self.client.url(&["api", "v1.1", "token", order_id])?;
        self.client.call::<(), _>(Method::GET, url, None, None, Expect::Unsigned).await
    }

    /// Deletes a saved card (`DELETE /api/v1.1/token/delete`).
    ///
    /// # Errors
    ///
    /// See [`Error`]; [`Error::Api`] with 87 for an unknown or deleted token.
    pub async fn delete_token(&self, token: &str) -> Result<ErrorBody, Error> {
        delete_token(self.client, &["api", "v1.1", "token", "delete"], token).await
    }
}

impl V11WithReading<'_> {
    /// [`V11Api::create_bank_payment`] signed under the chosen reading.
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn create_bank_payment(
        &self,
        mut request: BankPaymentRequest,
        account_ref_id: Option<&str>,
    ) -> Result<BankPaymentResponse, Error> {
        let client = self.api.client;
        request.sign(client.secret(), self.reading);
        let url = client.url(&["api", "v1.1", "orders", "payment", "bank"])?;
        let extra = account_header(account_ref_id)?;
        client.call(Method::POST, url, Some(&request), extra, Expect::SignedAny(CREATE_ANSWERS)).await
    }
}

/// The `X-Account-Ref-ID` header of a call, if any.
pub(crate) fn account_header(id: Option<&str>) -> Result<Option<(&'static str, HeaderValue)>, Error> {
    match id {
        Some(id) => HeaderValue::from_str(id)
            .map(|v| Some((protocol_headers::ACCOUNT_REF_ID, v)))
            .map_err(|_| Error::InvalidRequest("the account reference id is not a valid header value".into())),
        None => Ok(None),
    }
}

/// A token delete of either version.
pub(crate) async fn delete_token(client: &Client, path: &[&str], token: &str) -> Result<ErrorBody, Error> {
    let url = client.url(path)?;
    let body = v11::TokenDeleteRequest { token: token.to_owned() };
    client.call(Method::DELETE, url, Some(&body), None, Expect::Unsigned).await
}
