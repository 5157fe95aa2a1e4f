//! The records the gateway keeps (partners, orders, outbox rows and attempts,
//! refunds, checkout progress), as every part of it sees them: the store maps them
//! to rows, the core decides about them, the entry points show them.

pub use crate::domain::delivery::{DeliveryStatus, IpnOutcome};
use crate::domain::order::State;
use crate::domain::refund::{RefundStatus, RefundType, Refusal};
use appotapay_protocol::v11::Action;
use appotapay_protocol::{AppotapayTransId, BankCode, ErrorCode, PaymentMethod};

/// A partner as stored: the secret key stays encrypted here.
#[derive(Clone)]
pub struct PartnerRecord {
    /// Partner code (`iss` of its tokens).
    pub code: String,
    /// Display name, shown on the checkout page.
    pub name: String,
    /// API key.
    pub api_key: String,
    /// The secret key, encrypted under the master key.
    pub secret_enc: Vec<u8>,
    /// A locked partner's calls answer 13.
    pub locked: bool,
    /// Whether failed payments are notified by IPN too.
    pub notify_failures: bool,
    /// Smallest accepted amount.
    pub amount_min: i64,
    /// Largest accepted amount.
    pub amount_max: i64,
    /// Creation time.
    pub created_at_ms: i64,
    /// The credentials a rotation replaced, while its grace period runs.
    pub previous: Option<PreviousKeys>,
    /// The payment methods and banks the partner may use (v2 codes 140, 141).
    pub allowed: Allowed,
}

/// A partner's allowed payment methods and bank codes, as wire names; an empty list
/// allows every one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allowed {
    /// Payment methods (`ATM`, `CC`, …).
    pub methods: Vec<String>,
    /// Bank codes.
    pub banks: Vec<String>,
}

impl Allowed {
    /// Whether `method` may be used.
    pub fn method(&self, method: &str) -> bool {
        self.methods.is_empty() || self.methods.iter().any(|m| m == method)
    }

    /// Whether `bank` may be used.
    pub fn bank(&self, bank: &str) -> bool {
        self.banks.is_empty() || self.banks.iter().any(|b| b == bank)
    }

    /// The payment methods a partner may be limited to.
    pub const METHODS: [&'static str; 7] = ["ATM", "CC", "ALL", "VA", "EWALLET", "MM", "ISTM"];

    /// A comma-separated list of methods, each checked.
    pub fn parse_methods(text: &str) -> Result<Vec<String>, String> {
        let list = Allowed::parse_list(text);
        match list.iter().find(|m| !Allowed::METHODS.contains(&m.as_str())) {
            Some(m) => Err(format!("unknown payment method {m} (known: {})", Allowed::METHODS.join(", "))),
            None => Ok(list),
        }
    }

    /// A comma-separated list of bank codes, each checked.
    pub fn parse_banks(text: &str) -> Result<Vec<String>, String> {
        let list = Allowed::parse_list(text);
        match list.iter().find(|b| BankCode::parse(b).is_none()) {
            Some(b) => Err(format!("unknown bank code {b}")),
            None => Ok(list),
        }
    }

    /// A stored list (comma-separated) as names.
    pub fn parse_list(text: &str) -> Vec<String> {
        text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
    }
}

/// A partner's credentials before a key rotation, accepted (and signing) until
/// `until_ms`.
#[derive(Clone)]
pub struct PreviousKeys {
    /// The previous API key.
    pub api_key: String,
    /// The previous secret key, encrypted under the master key.
    pub secret_enc: Vec<u8>,
    /// The end of the grace period.
    pub until_ms: i64,
}

impl std::fmt::Debug for PreviousKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreviousKeys").field("until_ms", &self.until_ms).finish_non_exhaustive()
    }
}

/// What a key rotation stores: the new credentials, and whether the replaced ones
/// stay valid (until `grace_until_ms`) or stop at once (`None`).
#[derive(Clone)]
pub struct KeyRotation {
    /// The new API key.
    pub api_key: String,
    /// The new secret key, encrypted under the master key.
    pub secret_enc: Vec<u8>,
    /// The end of the grace period of the replaced credentials, if any.
    pub grace_until_ms: Option<i64>,
}

impl std::fmt::Debug for KeyRotation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRotation").field("grace_until_ms", &self.grace_until_ms).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for PartnerRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartnerRecord")
            .field("code", &self.code)
            .field("name", &self.name)
            .field("locked", &self.locked)
            .field("grace_until_ms", &self.previous.as_ref().map(|p| p.until_ms))
            .finish_non_exhaustive()
    }
}

/// A partner's sub-account (`X-Account-Ref-ID`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubAccount {
    /// Its id.
    pub id: String,
    /// Owning partner.
    pub partner_code: String,
    /// Owner-type sub-account.
    pub owner: bool,
    /// Creation time.
    pub created_at_ms: i64,
}

/// The API version that created an order: it fixes the format of the order's
/// redirect and IPN, whichever version later asks about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ApiVersion {
    /// `/api/v1/...`.
    V1_0,
    /// `/api/v1.1/...`: v1.0 and `tokenResult`.
    V1_1,
    /// `/api/v2/...`: the base64 envelope.
    V2,
}

impl ApiVersion {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1_0 => "1.0",
            ApiVersion::V1_1 => "1.1",
            ApiVersion::V2 => "2",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<ApiVersion> {
        [ApiVersion::V1_0, ApiVersion::V1_1, ApiVersion::V2].into_iter().find(|v| v.as_str() == s)
    }
}

/// A saved card: what a `PAY_WITH_RETURN_TOKEN` payment keeps. The number is masked
/// (first 6 + last 4); the full number is never stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardToken {
    /// 16 digits.
    pub token: String,
    /// Owning partner.
    pub partner_code: String,
    /// The order whose payment saved it.
    pub trans_id: String,
    /// First 6 + last 4, `x` between.
    pub number_masked: String,
    /// Holder name.
    pub holder: String,
    /// `MM/YY` or empty.
    pub date: String,
    /// `ATM_CARD` or `CREDIT_CARD`.
    pub card_type: String,
    /// The bank (ATM) or brand (CC) it was paid with.
    pub bank_code: BankCode,
    /// When it was saved.
    pub created_at_ms: i64,
    /// When the partner deleted it.
    pub deleted_at_ms: Option<i64>,
}

/// Which API created the order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderKind {
    /// `/orders/payment/bank`.
    Bank,
    /// `/orders/payment/qr`.
    Qr,
}

impl OrderKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderKind::Bank => "bank",
            OrderKind::Qr => "qr",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<OrderKind> {
        match s {
            "bank" => Some(OrderKind::Bank),
            "qr" => Some(OrderKind::Qr),
            _ => None,
        }
    }
}

/// Card data kept with a card payment: the number masked to first 6 + last 4.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardRecord {
    /// Masked number.
    pub number_masked: String,
    /// `MM/YY`.
    pub date: String,
    /// Holder name.
    pub name: String,
    /// Issuing country.
    pub country: String,
}

/// What a settlement records besides the state: the method and bank used, and the
/// masked card.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PaymentDetails {
    /// Bank or brand code.
    pub bank_code: Option<BankCode>,
    /// The method used, when it differs from the order's (`ALL` orders).
    pub payment_method: Option<PaymentMethod>,
    /// Masked card data.
    pub card: Option<CardRecord>,
    /// The bank credit (its id) that paid the order: recorded as having settled it in
    /// the same transaction as the success, and only with a success.
    pub credit_id: Option<i64>,
}

/// An order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    /// appotapayTransId.
    pub trans_id: AppotapayTransId,
    /// Owning partner.
    pub partner_code: String,
    /// The partner's order id.
    pub order_id: String,
    /// Bank or QR.
    pub kind: OrderKind,
    /// `ATM`, `CC`, `ALL` (until the customer chooses) or `QR`.
    pub payment_method: PaymentMethod,
    /// Bank code, `None` until chosen.
    pub bank_code: Option<BankCode>,
    /// VND.
    pub amount: i64,
    /// Description.
    pub order_info: String,
    /// Customer IP.
    pub client_ip: String,
    /// IPN target.
    pub notify_url: String,
    /// Redirect target, empty for none.
    pub redirect_url: String,
    /// Partner's opaque data.
    pub extra_data: String,
    /// Sub-account the order is attributed to.
    pub sub_account: Option<String>,
    /// State.
    pub state: State,
    /// Code of the state.
    pub code: ErrorCode,
    /// Card data (card payments).
    pub card: Option<CardRecord>,
    /// VietQR payload (QR orders).
    pub qr_payload: Option<String>,
    /// Creation time.
    pub created_at_ms: i64,
    /// End of the payment window.
    pub expires_at_ms: i64,
    /// Last change.
    pub updated_at_ms: i64,
    /// Time it became final.
    pub settled_at_ms: Option<i64>,
    /// The API version that created it.
    pub api: ApiVersion,
    /// `PAY` (every v1.0 order), `PAY_WITH_RETURN_TOKEN` or `PAY_WITH_TOKEN`.
    pub action: Action,
    /// The saved card it pays with (`PAY_WITH_TOKEN`) or saved (after a successful
    /// `PAY_WITH_RETURN_TOKEN`).
    pub token: Option<String>,
    /// Which reading of the v1.1 create signature matched (`A`, `B`, `C`).
    pub signature_reading: Option<String>,
}

impl Order {
    /// The `bankCode` as the wire shows it: empty while none is chosen.
    pub fn bank_code_text(&self) -> &'static str {
        self.bank_code.map_or("", BankCode::as_str)
    }
}

/// Result of inserting an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreateOutcome {
    /// Stored.
    Created,
    /// The partner already has an order with this id (errorCode 30).
    DuplicateOrderId,
    /// The appotapayTransId is taken: draw another.
    TransIdTaken,
}

/// A compare-and-set change of an order's state.
#[derive(Clone, Debug)]
pub struct StateChange {
    /// The order.
    pub trans_id: AppotapayTransId,
    /// The state the change was decided from.
    pub from: State,
    /// New state.
    pub to: State,
    /// Its code.
    pub code: ErrorCode,
    /// Time of the change.
    pub now_ms: i64,
    /// Bank code chosen by the customer, if any.
    pub bank_code: Option<BankCode>,
    /// Method chosen by the customer, if any.
    pub payment_method: Option<PaymentMethod>,
    /// Card data, if any.
    pub card: Option<CardRecord>,
    /// IPN to queue with the change.
    pub outbox: Option<NewOutbox>,
    /// A bank credit, still `received`, that this change (a success) is paid by: it
    /// becomes `settled` with the order in the same transaction, or the change is not
    /// made.
    pub credit_id: Option<i64>,
    /// A card this change (a success) saves: inserted and named on the order in the
    /// same transaction.
    pub token: Option<CardToken>,
}

/// An IPN to deliver.
#[derive(Clone, Debug)]
pub struct NewOutbox {
    /// Partner.
    pub partner_code: String,
    /// Target URL.
    pub url: String,
    /// JSON body, signed.
    pub body: String,
    /// When the first attempt is due.
    pub first_attempt_at_ms: i64,
    /// How many first attempts are lost: recorded as failed, never sent (a sandbox
    /// delivery fault; 0 otherwise).
    pub lose_attempts: u32,
    /// A second, identical delivery due this much after the first (a sandbox
    /// delivery fault; `None` otherwise).
    pub again_after_ms: Option<i64>,
    /// The sandbox delivery fault script this row follows: used up in the transaction
    /// that queues the row, so a settlement that loses its race uses nothing.
    pub fault_id: Option<i64>,
}

/// A claimed outbox row.
#[derive(Clone, Debug)]
pub struct OutboxItem {
    /// Row id.
    pub id: i64,
    /// The transaction.
    pub trans_id: AppotapayTransId,
    /// Partner.
    pub partner_code: String,
    /// Target URL.
    pub url: String,
    /// JSON body.
    pub body: String,
    /// Number of this attempt, from 1.
    pub attempt: u32,
    /// This attempt is lost on purpose (a sandbox delivery fault): record it as
    /// failed without sending anything.
    pub lost: bool,
}

/// One delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRecord {
    /// The outbox row.
    pub outbox_id: i64,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// Start of the attempt.
    pub at_ms: i64,
    /// HTTP status, if an answer came.
    pub http_status: Option<u16>,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// Duration.
    pub latency_ms: i64,
    /// First KiB of the answer.
    pub response_head: String,
}

/// What happens to an outbox row after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextStep {
    /// Delivered: done.
    Delivered,
    /// Try again at this time.
    RetryAt(i64),
    /// Schedule exhausted: given up.
    GiveUp,
}

/// An outbox row with its attempts.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// Row id.
    pub id: i64,
    /// Target URL.
    pub url: String,
    /// JSON body.
    pub body: String,
    /// Where the delivery stands.
    pub status: DeliveryStatus,
    /// Attempts, oldest first.
    pub attempts: Vec<AttemptRecord>,
}

/// A refund of (part of) a successful transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refund {
    /// The gateway's refund id (`RF` + 12 digits), unique across the gateway.
    pub refund_id: String,
    /// Owning partner.
    pub partner_code: String,
    /// The partner's refundId, unique per partner.
    pub refund_original_id: String,
    /// The refunded transaction (appotapayTransId).
    pub trans_id: AppotapayTransId,
    /// VND, positive.
    pub amount: i64,
    /// The partner's reason.
    pub reason: String,
    /// State.
    pub status: RefundStatus,
    /// Creation time.
    pub created_at_ms: i64,
    /// Last change.
    pub updated_at_ms: i64,
    /// When the refund needs its next step (pending: hand it to the bank; processing:
    /// the bank's answer is due); `None` once final.
    pub due_at_ms: Option<i64>,
}

/// Result of inserting a refund.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundCreate {
    /// Admitted and stored.
    Created,
    /// Refused by the rules of spec §5.4 (nothing stored).
    Refused(Refusal),
    /// The gateway's refund id is taken: draw another.
    RefundIdTaken,
}

/// A compare-and-set change of a refund's status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundChange {
    /// The gateway's refund id.
    pub refund_id: String,
    /// The status the change was decided from.
    pub from: RefundStatus,
    /// New status.
    pub to: RefundStatus,
    /// Time of the change.
    pub now_ms: i64,
    /// The next step's time (`None` for a final status).
    pub due_at_ms: Option<i64>,
}

/// The sums of a transaction's refunds (see [`crate::domain::refund::Ledger`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RefundTotals {
    /// Sum of the refunds not in `error`.
    pub committed: i64,
    /// Sum of the refunds in `success`.
    pub refunded: i64,
}

/// Filters of a refund list (`GET /api/v1/refunds`); `None` does not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RefundFilter {
    /// appotapayTransId.
    pub trans_id: Option<String>,
    /// The partner's order id.
    pub order_id: Option<String>,
    /// The gateway's refund id.
    pub refund_id: Option<String>,
    /// The partner's refundId.
    pub refund_original_id: Option<String>,
    /// Status.
    pub status: Option<RefundStatus>,
    /// Exact amount.
    pub amount: Option<i64>,
    /// Created at or after (unix milliseconds).
    pub created_from_ms: Option<i64>,
    /// Created at or before (unix milliseconds).
    pub created_to_ms: Option<i64>,
    /// The refund type of the refunded order (total once its successful refunds add
    /// up to the paid amount).
    pub refund_type: Option<RefundType>,
}

/// One page of a refund list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RefundPage {
    /// The refunds of the page, newest first.
    pub items: Vec<Refund>,
    /// Number of matching refunds.
    pub total: u64,
    /// Sum of the matching refunds' amounts.
    pub total_amount: i64,
}

/// A card the customer submitted, waiting for its OTP: only masked data and what the
/// issuer decided are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingCard {
    /// The card as it will be recorded with the order (number masked).
    pub card: CardRecord,
    /// The `bankCode` the payment is recorded with (the bank, or the card brand for CC).
    pub bank_code: BankCode,
    /// What confirming the OTP leads to: 0, a decline code, or 34 (processing, then
    /// success).
    pub outcome: ErrorCode,
}

/// The hosted checkout's progress on one order, shared by every node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkout {
    /// The order.
    pub trans_id: AppotapayTransId,
    /// Method the customer chose (`ATM` or `CC`), when the order left it open.
    pub method: Option<PaymentMethod>,
    /// Bank or brand the customer chose, when the order left it open.
    pub bank_code: Option<BankCode>,
    /// Card waiting for its OTP.
    pub card: Option<PendingCard>,
    /// Wrong OTPs entered for this transaction (with any card): the third fails it (39).
    pub otp_failures: u32,
    /// When a processing payment is due to succeed.
    pub process_due_ms: Option<i64>,
    /// Last change.
    pub updated_at_ms: i64,
}

impl Checkout {
    /// A fresh row for an order.
    pub fn new(trans_id: &AppotapayTransId, now_ms: i64) -> Checkout {
        Checkout {
            trans_id: trans_id.clone(),
            method: None,
            bank_code: None,
            card: None,
            otp_failures: 0,
            process_due_ms: None,
            updated_at_ms: now_ms,
        }
    }
}

/// Which of a partner's orders a list asks for, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderQuery {
    /// The partner.
    pub partner_code: String,
    /// Only this sub-account's orders.
    pub sub_account: Option<String>,
    /// Created at or after, unix ms.
    pub start_ms: Option<i64>,
    /// Created at or before, unix ms.
    pub end_ms: Option<i64>,
    /// Only orders in one of these states (empty: any).
    pub states: Vec<State>,
    /// Only this payment method.
    pub payment_method: Option<PaymentMethod>,
    /// Page size.
    pub limit: u32,
    /// Rows skipped.
    pub offset: u64,
}
