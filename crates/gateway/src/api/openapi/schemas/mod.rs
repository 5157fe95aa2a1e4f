//! The request and answer bodies of the partner API, the sandbox helpers and the
//! admin API, as schemas for the OpenAPI document only.
//!
//! The handlers read raw JSON (see [`crate::api`]) and answer the protocol crate's
//! messages: these types are never built. Each mirrors one wire shape field for
//! field, with the names exactly as sent (camelCase, except the token card's
//! snake_case, as AppotaPay spells it). A field the gateway may leave out or send as
//! `null` is an `Option`.
//!
//! One file per part of the API (`v1`, `v11`, `v2`, `sandbox`, `admin`); everything
//! is re-exported here, where the handlers' annotations name it
//! (`crate::api::openapi::schemas::X`). The shapes more than one part shares (the
//! error bodies, the enums) are in this file.

#![allow(dead_code)]

mod admin;
mod console;
mod sandbox;
mod v1;
mod v11;
mod v2;

pub use admin::*;
pub use console::*;
pub use sandbox::*;
pub use v1::*;
pub use v2::*;
pub use v11::*;

use serde::Serialize;
use utoipa::ToSchema;

/// `{"errorCode", "message"}`: every error of API v1.0 and v1.1 and of the sandbox
/// helpers. The detail (which field, why) is in the `X-Error-Detail` header.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// The errorCode of spec §8 (each operation lists those it can answer).
    error_code: u32,
    /// Its message, Vietnamese by default, English with `X-Language: en`.
    message: String,
}

/// One wrong field of a v2 error.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field's path, e.g. `transaction.amount`.
    field: String,
    /// What is wrong with it.
    reason: String,
}

/// `{"errorCode", "message", "errors"}`: every error of API v2.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct V2ErrorBody {
    /// The errorCode of spec §8.
    error_code: u32,
    /// Its message.
    message: String,
    /// The wrong field, when the error is about one (else empty).
    errors: Vec<FieldProblem>,
}

/// `{"errorCode": 0, "message"}`: a call that answers nothing else.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Success {
    /// 0.
    error_code: u32,
    /// Its message.
    message: String,
}

// ---------------------------------------------------------------- enums

/// The card methods of API v1.0 and v1.1.
#[derive(Debug, Serialize, ToSchema)]
pub enum CardMethod {
    /// Domestic ATM card.
    #[serde(rename = "ATM")]
    Atm,
    /// Credit card.
    #[serde(rename = "CC")]
    Cc,
    /// The customer chooses.
    #[serde(rename = "ALL")]
    All,
}

/// The methods of API v2 (`VA`: a VietQR transfer).
#[derive(Debug, Serialize, ToSchema)]
pub enum V2Method {
    /// Domestic ATM card.
    #[serde(rename = "ATM")]
    Atm,
    /// Credit card.
    #[serde(rename = "CC")]
    Cc,
    /// The customer chooses.
    #[serde(rename = "ALL")]
    All,
    /// Bank transfer to a virtual account (VietQR).
    #[serde(rename = "VA")]
    Va,
}

/// What a v1.1 or v2 payment does with the card.
#[derive(Debug, Serialize, ToSchema)]
pub enum Action {
    /// Pay.
    #[serde(rename = "PAY")]
    Pay,
    /// Pay and save the card (its token comes in the IPN's tokenResult).
    #[serde(rename = "PAY_WITH_RETURN_TOKEN")]
    PayWithReturnToken,
    /// Pay with a saved card (`token`).
    #[serde(rename = "PAY_WITH_TOKEN")]
    PayWithToken,
}

/// The only currency.
#[derive(Debug, Serialize, ToSchema)]
pub enum Currency {
    /// Vietnamese đồng.
    #[serde(rename = "VND")]
    Vnd,
}

/// A bank feed provider, as its webhook's path names it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FeedProvider {
    /// SePay.
    Sepay,
    /// Casso.
    Casso,
}

/// The outcome of a refund paid back by hand.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ByHandStatus {
    /// Paid back.
    Success,
    /// Not paid back.
    Error,
}
