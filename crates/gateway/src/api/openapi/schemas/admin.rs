//! The OpenAPI schemas (documentation only) of the bank-feed webhooks, the
//! operations endpoints and the admin API (which answers `{"error": "…"}`, not
//! errorCodes). New admin endpoints' bodies go here.

#![allow(dead_code)]

use super::ByHandStatus;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

/// What a bank feed's webhook answers: `{"success": true}` once recorded, else
/// `{"success": false, "message"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedAnswer {
    /// Whether the transaction is on record.
    success: bool,
    /// Why not.
    message: Option<String>,
}

/// `/healthz`: `{"status": "ok"}`, or `{"status": "unavailable", "failed": "read" |
/// "write"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    status: String,
    /// What failed.
    failed: Option<String>,
}

/// An admin API error: `{"error": "…"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminError {
    /// What went wrong.
    error: String,
}

/// A bank credit as the admin API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Credit {
    /// Its id.
    id: i64,
    /// The partner whose account was credited.
    partner_code: String,
    /// `sepay` or `casso`.
    provider: String,
    /// The provider's id of the transaction.
    provider_transaction_id: Option<String>,
    /// How it arrived.
    via: String,
    /// The collecting account.
    account: String,
    /// `in` or `out`.
    direction: String,
    /// VND.
    amount: i64,
    /// The transfer's content.
    content: String,
    /// The provider's description.
    description: String,
    /// The provider's reference.
    reference: String,
    /// When the bank booked it, as the provider wrote it.
    booked_at: String,
    /// `received`, `settled`, `open`, `resolved`, `ignored` or `unreadable`.
    status: String,
    /// Why it paid nothing.
    reason: Option<String>,
    /// The transaction it paid, if any.
    appotapay_trans_id: Option<String>,
    /// The operator's note.
    note: Option<String>,
    /// Unix milliseconds.
    received_at_ms: i64,
    /// Unix milliseconds.
    decided_at_ms: Option<i64>,
    /// Unix milliseconds.
    resolved_at_ms: Option<i64>,
    /// The provider's body as received.
    raw: String,
}

/// A page of credits.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditList {
    /// The credits.
    credits: Vec<Credit>,
}

/// Query of `GET /admin/api/v1/credits`.
#[derive(Debug, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreditListQuery {
    /// Only this partner's.
    partner: Option<String>,
    /// Only credits of this status.
    status: Option<String>,
    /// Skip this many (default 0).
    offset: Option<u64>,
    /// 1 to 500 (default 50).
    limit: Option<u32>,
}

/// `POST /admin/api/v1/credits/{id}/resolve`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResolveRequest {
    /// 1 to 1000 characters, no control characters but newlines.
    #[schema(min_length = 1, max_length = 1000)]
    note: String,
}

/// `POST /admin/api/v1/refunds/{refund_id}/by-hand`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ByHandRequest {
    /// `success` or `error`.
    #[schema(value_type = ByHandStatus)]
    status: String,
}

/// A refund as the admin API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminRefund {
    /// The gateway's refund id.
    refund_id: String,
    /// The partner.
    partner_code: String,
    /// The partner's refund id.
    partner_refund_id: String,
    /// The refunded transaction.
    appotapay_trans_id: String,
    /// VND.
    amount: i64,
    /// Its status.
    status: String,
    /// Unix milliseconds.
    updated_at_ms: i64,
}

/// The refund is not waiting to be paid by hand.
#[derive(Debug, Serialize, ToSchema)]
pub struct ByHandConflict {
    /// What went wrong.
    error: String,
    /// The refund as it is.
    refund: AdminRefund,
}
