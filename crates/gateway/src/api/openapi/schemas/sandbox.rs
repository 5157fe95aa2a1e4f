//! The OpenAPI schemas (documentation only) of the sandbox helpers (spec §7).

#![allow(dead_code)]

use serde::Serialize;
use utoipa::ToSchema;

/// `POST /api/v1/sandbox/transactions/{trans_id}/complete`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompleteRequest {
    /// The outcome: 0, 38, 77 or a decline code.
    error_code: u32,
}

/// A settlement's answer: 0 (HTTP 200), or the order's code when it became
/// something else than asked (HTTP 400, e.g. 77 past its lifetime).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompleteResponse {
    /// 0, or the order's code.
    error_code: u32,
    /// Its message.
    message: String,
    /// The signed redirect the customer is sent to.
    redirect_url: String,
}

/// `POST /api/v1/sandbox/bank-credit`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankCreditRequest {
    /// VND credited.
    amount: i64,
    /// The transfer's memo: the QR order's appotapayTransId.
    memo: String,
}

/// `POST /api/v1/sandbox/conformance`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConformanceRequest {
    /// A pending order of the partner.
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,50}$")]
    order_id: String,
    /// Send here instead of the order's notifyUrl.
    notify_url: Option<String>,
}

/// `report.counts`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConformanceCounts {
    /// Cases passed.
    passed: u64,
    /// Cases failed.
    failed: u64,
    /// Warnings.
    warnings: u64,
}

/// The conformance run's report.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConformanceReport {
    /// The order.
    order_id: String,
    /// Its transaction.
    appotapay_trans_id: String,
    /// Where the cases were sent.
    notify_url: String,
    /// Whether every case that must pass passed.
    passed: bool,
    /// Counts.
    counts: ConformanceCounts,
    /// Whether the order was settled after.
    settled: bool,
    /// Each case: what was sent, the answer, the verdict.
    cases: Vec<serde_json::Value>,
}

/// The answer of a conformance run.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConformanceResponse {
    /// 0.
    error_code: u32,
    /// Its message.
    message: String,
    /// The report.
    report: ConformanceReport,
}

/// `POST /api/v1/sandbox/delivery-faults`: how the IPNs of one order, or of the
/// partner's next orders, are delivered.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryFaultRequest {
    /// One order's transaction (else the next orders).
    appotapay_trans_id: Option<String>,
    /// How many of the next orders (absent: until cleared).
    next_orders: Option<i64>,
    /// Deliver each IPN twice.
    twice: Option<bool>,
    /// Delay each delivery.
    delay_seconds: Option<i64>,
    /// Lose the first delivery.
    lose_first: Option<bool>,
}

/// A delivery fault script.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryFault {
    /// Its id.
    id: i64,
    /// One order's transaction.
    appotapay_trans_id: Option<String>,
    /// How many of the next orders remain.
    next_orders: Option<i64>,
    /// Deliver twice.
    twice: bool,
    /// Delay, seconds.
    delay_seconds: i64,
    /// Lose the first delivery.
    lose_first: bool,
}

/// A script, added.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryFaultResponse {
    /// 0.
    error_code: u32,
    /// Its message.
    message: String,
    /// The script.
    fault: DeliveryFault,
}

/// The partner's scripts still to be used.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryFaultsResponse {
    /// 0.
    error_code: u32,
    /// Its message.
    message: String,
    /// The scripts.
    faults: Vec<DeliveryFault>,
}

/// The scripts, forgotten.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClearedFaultsResponse {
    /// 0.
    error_code: u32,
    /// Its message.
    message: String,
    /// How many were forgotten.
    cleared: u64,
}

/// `POST /api/v1/sandbox/clock/advance`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdvanceClockRequest {
    /// Seconds to move the partner's test clock ahead.
    seconds: i64,
}

/// The partner's test clock.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClockResponse {
    /// 0.
    error_code: u32,
    /// Its message.
    message: String,
    /// Unix seconds.
    now: i64,
}
