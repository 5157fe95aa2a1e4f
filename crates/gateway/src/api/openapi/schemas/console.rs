//! The OpenAPI schemas (documentation only) of the console's admin API: orders and
//! their story, IPN deliveries and redrives, partners, the audit log and the admin
//! tokens (see [`crate::api::admin_console`]).

#![allow(dead_code)]

use super::AdminRefund;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

/// `GET /admin/api/v1/whoami`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhoAmI {
    /// The token's id (`adm_…`; `config` for the configured admin_token).
    id: String,
    /// Its name.
    name: String,
    /// `viewer` or `operator`.
    role: String,
}

/// A saved card's masked data on an order.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminCard {
    /// First 6 and last 4 digits.
    number_masked: String,
    /// `MM/YY`.
    date: String,
    /// Holder.
    name: String,
    /// Country.
    country: String,
}

/// An order with every field.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminOrder {
    /// The gateway's id.
    appotapay_trans_id: String,
    /// The partner.
    partner_code: String,
    /// The partner's id.
    order_id: String,
    /// `bank` or `qr`.
    kind: String,
    /// `1.0`, `1.1` or `2`.
    api_version: String,
    /// `PAY`, `PAY_WITH_RETURN_TOKEN` or `PAY_WITH_TOKEN`.
    action: String,
    /// Which reading of a v1.1 create signature matched (`A`, `B`, `C`).
    signature_reading: Option<String>,
    /// `ATM`, `CC`, `ALL`, `QR`…
    payment_method: String,
    /// The bank or brand, once known.
    bank_code: Option<String>,
    /// VND.
    amount: i64,
    /// Description.
    order_info: String,
    /// The customer's IP.
    client_ip: String,
    /// The IPN URL.
    notify_url: String,
    /// The redirect URL.
    redirect_url: String,
    /// The partner's extra data.
    extra_data: String,
    /// The sub-account.
    sub_account: Option<String>,
    /// `pending`, `processing`, `success`, `failed`, `cancelled`, `expired`.
    state: String,
    /// The order's code (spec §8).
    error_code: u32,
    /// The card paid with, masked.
    card: Option<AdminCard>,
    /// The VietQR payload of a QR order.
    qr_payload: Option<String>,
    /// The saved-card token.
    token: Option<String>,
    /// Unix milliseconds.
    created_at_ms: i64,
    /// Unix milliseconds.
    expires_at_ms: i64,
    /// Unix milliseconds.
    updated_at_ms: i64,
    /// Unix milliseconds.
    settled_at_ms: Option<i64>,
}

/// A page of the order search.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminOrderList {
    /// How many orders match.
    total: i64,
    /// Rows skipped.
    offset: u64,
    /// Page size.
    limit: u32,
    /// Newest first.
    orders: Vec<AdminOrder>,
}

/// Query of `GET /admin/api/v1/orders`.
#[derive(Debug, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminOrderQuery {
    /// Only this partner's.
    partner: Option<String>,
    /// `pending`, `processing`, `success`, `failed`, `cancelled` or `expired`.
    state: Option<String>,
    /// A payment method (any case).
    method: Option<String>,
    /// The partner's orderId.
    #[serde(rename = "orderId")]
    order_id: Option<String>,
    /// The appotapayTransId.
    #[serde(rename = "appotapayTransId")]
    appotapay_trans_id: Option<String>,
    /// Created at or after (unix ms).
    #[serde(rename = "fromMs")]
    from_ms: Option<i64>,
    /// Created at or before (unix ms).
    #[serde(rename = "toMs")]
    to_ms: Option<i64>,
    /// Rows skipped (default 0).
    offset: Option<u64>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

/// A line of an order's timeline.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimelineLine {
    /// Unix milliseconds.
    at_ms: i64,
    /// `created`, `checkout`, `settled`, `expired`, `ipn` or `refund`.
    kind: String,
    /// What happened.
    what: String,
}

/// An IPN attempt.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminAttempt {
    /// Its number, from 1.
    attempt: u32,
    /// Unix milliseconds.
    at_ms: i64,
    /// The merchant's HTTP status.
    http_status: Option<u16>,
    /// Why it did not count as delivered (timeout, refused, wrong answer…).
    error: Option<String>,
    /// Milliseconds.
    latency_ms: i64,
    /// The start of the merchant's answer.
    response_head: String,
    /// HTTP 200 with `{"status":"ok"}`.
    delivered: bool,
}

/// An IPN (an outbox row) with its attempts.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminDelivery {
    /// The outbox id.
    outbox_id: i64,
    /// The notify URL.
    url: String,
    /// The exact body sent.
    body: String,
    /// `pending`, `delivered` or `failed`.
    status: String,
    /// Oldest first.
    attempts: Vec<AdminAttempt>,
}

/// `GET /admin/api/v1/orders/{trans_id}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminOrderStory {
    /// Every field.
    order: AdminOrder,
    /// The payment link.
    payment_url: String,
    /// The signed redirect URL, once the order is final.
    redirect_url: Option<String>,
    /// Created, checkout steps, settlement or expiry, attempts, refunds.
    timeline: Vec<TimelineLine>,
    /// Its IPNs.
    deliveries: Vec<AdminDelivery>,
    /// Its refunds.
    refunds: Vec<AdminRefund>,
}

/// `{"queued": true, "outboxId"}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Resent {
    /// Always true.
    queued: bool,
    /// The IPN sent again.
    outbox_id: i64,
}

/// An action refused in the current state (`errorCode` when a refund or settlement
/// was refused with one).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminConflict {
    /// Why.
    error: String,
    /// The refusal's code (spec §8).
    error_code: Option<u32>,
}

/// `POST /admin/api/v1/orders/{trans_id}/refund`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminRefundRequest {
    /// VND, positive.
    #[schema(minimum = 1)]
    amount: i64,
    /// At most 255 characters.
    #[schema(max_length = 255)]
    reason: Option<String>,
    /// The same key again answers the same refund (1 to 32 of A-Z a-z 0-9 _ -).
    #[schema(pattern = "^[A-Za-z0-9_-]{1,32}$")]
    key: Option<String>,
}

/// `POST /admin/api/v1/orders/{trans_id}/settle`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettleRequest {
    /// 0, 38, 77 or a decline code.
    error_code: u32,
}

/// A failing IPN.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailingIpn {
    /// The outbox id.
    outbox_id: i64,
    /// The order.
    appotapay_trans_id: String,
    /// The partner.
    partner_code: String,
    /// The notify URL.
    url: String,
    /// `pending` (retrying) or `failed` (given up).
    status: String,
    /// Attempts made.
    attempts: u32,
    /// Unix milliseconds.
    created_at_ms: i64,
    /// The last finished attempt.
    last_attempt: Option<AdminAttempt>,
}

/// The failing IPNs of a partner to a URL.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryGroup {
    /// The partner.
    partner_code: String,
    /// The notify URL.
    url: String,
    /// How many are failing.
    failing: u64,
    /// Of which given up.
    exhausted: u64,
    /// The oldest one's queueing time (unix ms).
    failing_since_ms: i64,
    /// The URL's last delivery (unix ms).
    last_delivered_ms: Option<i64>,
    /// Only failures for an hour or more.
    down: bool,
    /// Newest first.
    items: Vec<FailingIpn>,
}

/// `GET /admin/api/v1/deliveries`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryGroups {
    /// By partner and URL.
    groups: Vec<DeliveryGroup>,
}

/// Query of `GET /admin/api/v1/deliveries`.
#[derive(Debug, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Only this partner's.
    partner: Option<String>,
}

/// `POST /admin/api/v1/deliveries/{outbox_id}/redrive`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RedrivenOne {
    /// 1.
    queued: u64,
    /// The IPN as it was.
    delivery: FailingIpn,
}

/// `POST /admin/api/v1/deliveries/redrive`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RedriveRequest {
    /// The partner.
    #[schema(min_length = 1)]
    partner_code: String,
    /// Only the IPNs to this URL.
    url: Option<String>,
}

/// How many IPNs were queued again.
#[derive(Debug, Serialize, ToSchema)]
pub struct Redriven {
    /// How many.
    queued: u64,
}

/// A sub-account.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminSubAccount {
    /// Its id (`X-Account-Ref-ID`).
    id: String,
    /// The partner.
    partner_code: String,
    /// Owner type.
    owner: bool,
    /// Unix milliseconds.
    created_at_ms: i64,
}

/// A partner (never its secret).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminPartner {
    /// Its code.
    partner_code: String,
    /// Its name.
    name: String,
    /// Its API key.
    api_key: String,
    /// Locked: its calls answer 13.
    locked: bool,
    /// IPNs of failed payments too.
    notify_failures: bool,
    /// VND.
    amount_min: i64,
    /// VND.
    amount_max: i64,
    /// Unix milliseconds.
    created_at_ms: i64,
    /// A rotation's old keys are accepted until then (unix ms).
    previous_key_until_ms: Option<i64>,
    /// Allowed methods (empty: all).
    allowed_methods: Vec<String>,
    /// Allowed banks (empty: all).
    allowed_banks: Vec<String>,
    /// Its sub-accounts (one partner's page only).
    sub_accounts: Option<Vec<AdminSubAccount>>,
}

/// `GET /admin/api/v1/partners`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminPartners {
    /// By code.
    partners: Vec<AdminPartner>,
}

/// `POST /admin/api/v1/partners`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewPartnerRequest {
    /// 1 to 32 of A-Z a-z 0-9 _.
    #[schema(pattern = "^[A-Za-z0-9_]{1,32}$")]
    partner_code: String,
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    /// IPNs of failed payments too (default false).
    notify_failures: Option<bool>,
}

/// New credentials, shown once.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartnerCredentials {
    /// The partner.
    partner_code: String,
    /// Its name.
    name: String,
    /// The API key.
    api_key: String,
    /// The secret key: shown once.
    secret_key: String,
}

/// `POST /admin/api/v1/partners/{code}/{action}`: `lock` and `unlock` take nothing,
/// `notify-failures` `{"on"}`, `sub-accounts` `{"owner"}`, `rotate`
/// `{"graceSeconds"}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartnerActionRequest {
    /// `notify-failures`: on or off.
    on: Option<bool>,
    /// `sub-accounts`: an owner-type sub-account.
    owner: Option<bool>,
    /// `rotate`: how long the old keys keep working (0 to 2592000 s).
    #[schema(minimum = 0, maximum = 2592000)]
    grace_seconds: Option<u64>,
}

/// What a partner action did: `{}` (lock, unlock), `{"on"}`, a sub-account, or new
/// keys (`apiKey`, `secretKey`, `graceUntilMs`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartnerActionAnswer {
    /// `notify-failures`.
    on: Option<bool>,
    /// `sub-accounts`: its id.
    id: Option<String>,
    /// `sub-accounts`.
    partner_code: Option<String>,
    /// `sub-accounts`.
    owner: Option<bool>,
    /// `sub-accounts`.
    created_at_ms: Option<i64>,
    /// `rotate`: the new API key.
    api_key: Option<String>,
    /// `rotate`: the new secret, shown once.
    secret_key: Option<String>,
    /// `rotate`: the old keys' end of grace.
    grace_until_ms: Option<i64>,
}

/// An entry of the audit log.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Increasing.
    id: i64,
    /// Unix milliseconds.
    at_ms: i64,
    /// Who: `id (name)` of the admin token, `cli`, `local`.
    actor: String,
    /// What, e.g. `ipn.resend`, `refund.create`, `partner.lock`.
    action: String,
    /// On what.
    target: String,
    /// The rest.
    detail: serde_json::Value,
}

/// `GET /admin/api/v1/audit`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLog {
    /// Newest first.
    entries: Vec<AuditEntry>,
}

/// Query of `GET /admin/api/v1/audit`.
#[derive(Debug, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Entries below this id (the next page).
    #[serde(rename = "beforeId")]
    before_id: Option<i64>,
    /// Only about this target.
    target: Option<String>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

/// An admin token (never the token or its hash).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminTokenInfo {
    /// `adm_…`.
    id: String,
    /// Whose.
    name: String,
    /// `viewer` or `operator`.
    role: String,
    /// Unix milliseconds.
    created_at_ms: i64,
    /// Unix milliseconds.
    revoked_at_ms: Option<i64>,
}

/// `GET /admin/api/v1/tokens`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminTokens {
    /// Oldest first.
    tokens: Vec<AdminTokenInfo>,
}

/// `POST /admin/api/v1/tokens/{id}/revoke`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Revoked {
    /// The token's id.
    revoked: String,
}
