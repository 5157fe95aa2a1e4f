//! What the console and the admin API work with: admin tokens and their roles, the
//! audit log, the search over every partner's orders, an order's timeline, and the
//! dead letters of the IPN retry schedule grouped the way an operator fixes them
//! (by partner and notify URL).
//!
//! Pure: the decisions (who may act, which URL has been failing for long, in which
//! order a timeline reads) are functions here, tested without a database.

use super::delivery::DeliveryStatus;
use super::order::State;
use super::records::{AttemptRecord, Delivery, Order, Refund};
use appotapay_protocol::PaymentMethod;
use std::fmt;

/// What an admin token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Looks at everything, changes nothing.
    Viewer,
    /// Also acts: resends, redrives, refunds, settles (sandbox), manages partners.
    Operator,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 2] = [Role::Viewer, Role::Operator];

    /// The stored (and command-line) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether the role may change anything.
    pub fn may_act(self) -> bool {
        self == Role::Operator
    }
}

/// What a partner code may be, in words.
pub const PARTNER_CODE_RULE: &str = "1 to 32 characters of A-Z a-z 0-9 _";

/// Whether a new partner's code is acceptable ([`PARTNER_CODE_RULE`]).
pub fn valid_partner_code(code: &str) -> bool {
    (1..=32).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// An admin token as stored: never the token itself, only its SHA-256.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken {
    /// Public id (`adm_…`), shown in lists and in the audit log.
    pub id: String,
    /// A name for people (whose token it is).
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// When it was created.
    pub created_at_ms: i64,
    /// When it was revoked; a revoked token opens nothing.
    pub revoked_at_ms: Option<i64>,
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminToken")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("token_hash", &"<redacted>")
            .field("created_at_ms", &self.created_at_ms)
            .field("revoked_at_ms", &self.revoked_at_ms)
            .finish()
    }
}

/// Who is acting, as the audit log names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admin {
    /// The token's id (`adm_…`), `config` for the configured `admin_token`, `local`
    /// for the developer on a loopback sandbox, `cli` for the command line.
    pub id: String,
    /// The token's name.
    pub name: String,
    /// What they may do.
    pub role: Role,
}

impl Admin {
    /// The developer of a sandbox that listens on loopback only: their own machine.
    pub fn local() -> Admin {
        Admin { id: "local".into(), name: "local developer".into(), role: Role::Operator }
    }

    /// The operator at the command line (who can read the database anyway).
    pub fn cli() -> Admin {
        Admin { id: "cli".into(), name: "command line".into(), role: Role::Operator }
    }

    /// The holder of the configured `admin_token`.
    pub fn configured() -> Admin {
        Admin { id: "config".into(), name: "admin_token".into(), role: Role::Operator }
    }

    /// How the audit log names them: `id (name)`.
    pub fn label(&self) -> String {
        format!("{} ({})", self.id, self.name)
    }
}

/// An entry to write to the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAudit {
    /// When.
    pub at_ms: i64,
    /// Who ([`Admin::label`]).
    pub actor: String,
    /// What, e.g. `ipn.resend`, `refund.create`, `partner.lock`.
    pub action: String,
    /// On what: an appotapayTransId, a partner code, an outbox id…
    pub target: String,
    /// The rest, as JSON text.
    pub detail: String,
}

/// An entry of the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// Its id, increasing.
    pub id: i64,
    /// What was recorded.
    pub entry: NewAudit,
}

/// A search over every partner's orders, newest first. Every filter is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsoleOrderQuery {
    /// Only this partner's.
    pub partner_code: Option<String>,
    /// Only the order with this partner's orderId.
    pub order_id: Option<String>,
    /// Only the order with this appotapayTransId.
    pub trans_id: Option<String>,
    /// Only orders in one of these states (empty: any; at most six are used).
    pub states: Vec<State>,
    /// Only this payment method.
    pub payment_method: Option<PaymentMethod>,
    /// Created at or after, unix ms.
    pub start_ms: Option<i64>,
    /// Created at or before, unix ms.
    pub end_ms: Option<i64>,
    /// Page size.
    pub limit: u32,
    /// Rows skipped.
    pub offset: u64,
}

/// The largest page of a list.
pub const MAX_PAGE: u32 = 200;

/// A filter's text, trimmed; `None` when empty.
pub fn filled(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// The filters of an order search, as `GET /admin/api/v1/orders` takes them in its
/// query and the console's list in its form.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub struct OrderFilters {
    /// Partner code.
    pub partner: Option<String>,
    /// State (`pending`, `processing`, `success`, `failed`, `cancelled`, `expired`).
    pub state: Option<String>,
    /// Payment method (`ATM`, `CC`, `ALL`, `QR`…).
    pub method: Option<String>,
    /// The partner's orderId.
    #[serde(rename = "orderId")]
    pub order_id: Option<String>,
    /// The appotapayTransId.
    #[serde(rename = "appotapayTransId")]
    pub trans_id: Option<String>,
    /// Created at or after (unix ms).
    #[serde(rename = "fromMs")]
    pub from_ms: Option<i64>,
    /// Created at or before (unix ms).
    #[serde(rename = "toMs")]
    pub to_ms: Option<i64>,
    /// Rows skipped.
    pub offset: Option<u64>,
    /// Page size (1 to [`MAX_PAGE`], default 50).
    pub limit: Option<u32>,
}

impl OrderFilters {
    /// The store's query; the message of the first bad filter otherwise.
    pub fn query(&self) -> Result<ConsoleOrderQuery, String> {
        let states = match filled(&self.state) {
            None => Vec::new(),
            Some(s) => vec![State::parse(&s).ok_or_else(|| format!("state: unknown state {s:?}"))?],
        };
        let payment_method = match filled(&self.method) {
            None => None,
            Some(m) => Some(
                m.to_ascii_uppercase()
                    .parse::<PaymentMethod>()
                    .map_err(|_| format!("method: unknown payment method {m:?}"))?,
            ),
        };
        let limit = self.limit.unwrap_or(50);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(format!("limit: 1 to {MAX_PAGE}"));
        }
        if let (Some(a), Some(b)) = (self.from_ms, self.to_ms) {
            if a > b {
                return Err("fromMs is after toMs".into());
            }
        }
        Ok(ConsoleOrderQuery {
            partner_code: filled(&self.partner),
            order_id: filled(&self.order_id),
            trans_id: filled(&self.trans_id),
            states,
            payment_method,
            start_ms: self.from_ms,
            end_ms: self.to_ms,
            limit,
            offset: self.offset.unwrap_or(0),
        })
    }
}

/// Whether an IPN attempt counts as delivered: HTTP 200 with `{"status":"ok"}` (any
/// other answer is recorded with the reason as its error).
pub fn attempt_delivered(a: &AttemptRecord) -> bool {
    a.error.is_none() && a.http_status == Some(200)
}

/// An IPN attempt's result in a few words: the HTTP status, and the error when it
/// says more than the status (an HTTP error's error is the status itself); `no
/// answer` when neither is known.
pub fn attempt_result(a: &AttemptRecord) -> String {
    match (a.http_status, a.error.as_deref()) {
        (Some(s), Some(e)) if e == format!("HTTP {s}") => e.to_owned(),
        (Some(s), Some(e)) => format!("HTTP {s}: {e}"),
        (None, Some(e)) => e.to_owned(),
        (Some(s), None) => format!("HTTP {s}"),
        (None, None) => "no answer".into(),
    }
}

/// One step of an order's checkout, recorded when it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderEvent {
    /// The order.
    pub trans_id: String,
    /// When.
    pub at_ms: i64,
    /// What, in a few words (`method ATM`, `bank VCB`, `card 411111…1111`, `otp wrong`).
    pub what: String,
}

/// An IPN that is not delivered and has been tried: still retrying (`pending`) or
/// given up (`failed`, a dead letter).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailingDelivery {
    /// The outbox row.
    pub outbox_id: i64,
    /// The order.
    pub trans_id: String,
    /// The partner.
    pub partner_code: String,
    /// The notify URL.
    pub url: String,
    /// `pending` (retries left) or `failed` (the schedule ran out).
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: u32,
    /// When the IPN was queued.
    pub created_at_ms: i64,
    /// The last attempt, if one finished.
    pub last: Option<AttemptRecord>,
}

/// The failing IPNs of one partner to one notify URL, counted by the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailingGroup {
    /// The partner.
    pub partner_code: String,
    /// The notify URL.
    pub url: String,
    /// How many of its IPNs are failing.
    pub failing: u64,
    /// Of which the schedule gave up on.
    pub exhausted: u64,
    /// The oldest failing IPN's queueing time.
    pub failing_since_ms: i64,
    /// The URL's last successful delivery, if any.
    pub last_delivered_ms: Option<i64>,
}

/// The failing IPNs of one partner to one notify URL, as the console shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryGroup {
    /// The counts.
    pub counts: FailingGroup,
    /// Its newest failing IPNs (not necessarily all of them: see `counts`).
    pub items: Vec<FailingDelivery>,
    /// Whether the URL has answered nothing but failures for longer than
    /// [`DARK_AFTER_MS`] ([`is_dark`]).
    pub dark: bool,
}

/// How long a URL may answer only failures before the console calls it down.
pub const DARK_AFTER_MS: i64 = 60 * 60 * 1000;

/// Whether a URL with these failing IPNs counts as down at `now_ms`: nothing
/// delivered since its oldest failing IPN was queued, [`DARK_AFTER_MS`] ago or more.
pub fn is_dark(g: &FailingGroup, now_ms: i64) -> bool {
    let delivered_since = g.last_delivered_ms.is_some_and(|t| t >= g.failing_since_ms);
    g.failing > 0 && !delivered_since && now_ms - g.failing_since_ms >= DARK_AFTER_MS
}

/// One line of an order's timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineEntry {
    /// When.
    pub at_ms: i64,
    /// What kind of moment (`created`, `checkout`, `settled`, `expired`, `ipn`,
    /// `refund`), for styling.
    pub kind: &'static str,
    /// What happened.
    pub what: String,
}

/// An order's timeline: created, each checkout step, settlement or expiry, each IPN
/// attempt and each refund, in time order (ties keep that order).
pub fn timeline(
    order: &Order,
    events: &[OrderEvent],
    deliveries: &[Delivery],
    refunds: &[Refund],
) -> Vec<TimelineEntry> {
    let mut out = vec![TimelineEntry {
        at_ms: order.created_at_ms,
        kind: "created",
        what: format!("created: {} {} VND", order.payment_method.as_str(), order.amount),
    }];
    out.extend(events.iter().map(|e| TimelineEntry { at_ms: e.at_ms, kind: "checkout", what: e.what.clone() }));
    match order.state {
        State::Pending | State::Processing => {}
        State::Expired => {
            out.push(TimelineEntry { at_ms: order.updated_at_ms, kind: "expired", what: "expired".into() })
        }
        s => out.push(TimelineEntry {
            at_ms: order.settled_at_ms.unwrap_or(order.updated_at_ms),
            kind: "settled",
            what: format!("{} (errorCode {})", s.as_str(), order.code.0),
        }),
    }
    for d in deliveries {
        for a in &d.attempts {
            let result = attempt_result(a);
            out.push(TimelineEntry {
                at_ms: a.at_ms,
                kind: "ipn",
                what: format!("IPN #{} attempt {}: {result} in {} ms", d.id, a.attempt, a.latency_ms),
            });
        }
    }
    for r in refunds {
        out.push(TimelineEntry {
            at_ms: r.created_at_ms,
            kind: "refund",
            what: format!("refund {} of {} VND: {}", r.refund_id, r.amount, r.status.as_str()),
        });
    }
    out.sort_by_key(|e| e.at_ms);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paid_order() -> Order {
        use super::super::records::{ApiVersion, OrderKind};
        use appotapay_protocol::{AppotapayTransId, ErrorCode, v11::Action};
        Order {
            trans_id: AppotapayTransId::from_number(42).expect("id"),
            partner_code: "P".into(),
            order_id: "o-1".into(),
            kind: OrderKind::Bank,
            payment_method: PaymentMethod::Atm,
            bank_code: None,
            amount: 50_000,
            order_info: String::new(),
            client_ip: String::new(),
            notify_url: "http://m/ipn".into(),
            redirect_url: String::new(),
            extra_data: String::new(),
            sub_account: None,
            state: State::Success,
            code: ErrorCode::SUCCESS,
            card: None,
            qr_payload: None,
            created_at_ms: 1_000,
            expires_at_ms: 901_000,
            updated_at_ms: 5_000,
            settled_at_ms: Some(5_000),
            api: ApiVersion::V1_0,
            action: Action::Pay,
            token: None,
            signature_reading: None,
        }
    }

    #[test]
    fn a_timeline_reads_in_time_order() {
        use super::super::records::Refund;
        use appotapay_protocol::messages::RefundStatus;
        let order = paid_order();
        let events = vec![
            OrderEvent { trans_id: "x".into(), at_ms: 2_000, what: "bank chosen: VCB".into() },
            OrderEvent { trans_id: "x".into(), at_ms: 3_000, what: "OTP confirmed".into() },
        ];
        let attempt = |n: u32, at_ms: i64, http_status: Option<u16>, error: Option<&str>| AttemptRecord {
            outbox_id: 7,
            attempt: n,
            at_ms,
            http_status,
            error: error.map(str::to_owned),
            latency_ms: 12,
            response_head: String::new(),
        };
        let deliveries = vec![Delivery {
            id: 7,
            url: "http://m/ipn".into(),
            body: "{}".into(),
            status: DeliveryStatus::Delivered,
            attempts: vec![attempt(1, 5_100, Some(500), None), attempt(2, 6_000, Some(200), None)],
        }];
        let refunds = vec![Refund {
            refund_id: "RF1".into(),
            partner_code: "P".into(),
            refund_original_id: "r-1".into(),
            trans_id: order.trans_id.clone(),
            amount: 10_000,
            reason: String::new(),
            status: RefundStatus::Pending,
            created_at_ms: 5_500,
            updated_at_ms: 5_500,
            due_at_ms: None,
        }];
        let t = timeline(&order, &events, &deliveries, &refunds);
        let kinds: Vec<&str> = t.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, ["created", "checkout", "checkout", "settled", "ipn", "refund", "ipn"]);
        assert!(t.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
        assert_eq!(t[4].what, "IPN #7 attempt 1: HTTP 500 in 12 ms");
        assert!(t[3].what.contains("success"), "{}", t[3].what);
        // An expired order ends with its expiry, at its last change.
        let mut expired = paid_order();
        expired.state = State::Expired;
        expired.settled_at_ms = None;
        let t = timeline(&expired, &[], &[], &[]);
        assert_eq!((t[1].kind, t[1].at_ms), ("expired", 5_000));
        // A pending one has nothing after its creation.
        let mut pending = paid_order();
        pending.state = State::Pending;
        assert_eq!(timeline(&pending, &[], &[], &[]).len(), 1);
    }

    #[test]
    fn order_filters_become_a_query_or_a_reason() {
        let f = OrderFilters {
            partner: Some(" SHOP ".into()),
            state: Some("success".into()),
            method: Some("cc".into()),
            order_id: Some(String::new()),
            from_ms: Some(1),
            to_ms: Some(2),
            ..OrderFilters::default()
        };
        let q = f.query().expect("valid");
        assert_eq!(q.partner_code.as_deref(), Some("SHOP"));
        assert_eq!(q.states, vec![State::Success]);
        assert_eq!(q.payment_method, Some(PaymentMethod::Cc));
        assert_eq!((q.order_id, q.limit, q.offset), (None, 50, 0));
        for bad in [
            OrderFilters { state: Some("paid".into()), ..OrderFilters::default() },
            OrderFilters { method: Some("CASH".into()), ..OrderFilters::default() },
            OrderFilters { limit: Some(0), ..OrderFilters::default() },
            OrderFilters { limit: Some(MAX_PAGE + 1), ..OrderFilters::default() },
            OrderFilters { from_ms: Some(3), to_ms: Some(2), ..OrderFilters::default() },
        ] {
            assert!(bad.query().is_err(), "{bad:?}");
        }
        assert!(valid_partner_code("SHOP_1") && !valid_partner_code("a b") && !valid_partner_code(""));
        assert!(!valid_partner_code(&"x".repeat(33)));
    }

    #[test]
    fn roles_parse_and_only_operators_act() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("admin"), None);
        assert!(Role::Operator.may_act());
        assert!(!Role::Viewer.may_act());
    }

    #[test]
    fn token_debug_hides_the_hash() {
        let t = AdminToken {
            id: "adm_1".into(),
            name: "n".into(),
            role: Role::Viewer,
            token_hash: "deadbeef".into(),
            created_at_ms: 1,
            revoked_at_ms: None,
        };
        assert!(!format!("{t:?}").contains("deadbeef"));
    }

    #[test]
    fn an_attempt_says_its_status_and_what_more_its_error_says() {
        let a = |http_status: Option<u16>, error: Option<&str>| AttemptRecord {
            outbox_id: 1,
            attempt: 1,
            at_ms: 0,
            http_status,
            error: error.map(str::to_owned),
            latency_ms: 0,
            response_head: String::new(),
        };
        assert_eq!(attempt_result(&a(Some(200), None)), "HTTP 200");
        assert_eq!(attempt_result(&a(Some(500), Some("HTTP 500"))), "HTTP 500");
        assert_eq!(
            attempt_result(&a(Some(200), Some("the answer is not {\"status\":\"ok\"}"))),
            "HTTP 200: the answer is not {\"status\":\"ok\"}"
        );
        assert_eq!(attempt_result(&a(None, Some("timeout"))), "timeout");
        assert_eq!(attempt_result(&a(None, None)), "no answer");
        assert!(attempt_delivered(&a(Some(200), None)));
        assert!(!attempt_delivered(&a(Some(200), Some("the answer is not ok"))));
        assert!(!attempt_delivered(&a(Some(500), None)));
    }

    #[test]
    fn long_failing_urls_are_down() {
        let now = 10 * DARK_AFTER_MS;
        let group = |since: i64, last: Option<i64>| FailingGroup {
            partner_code: "A".into(),
            url: "http://a/ipn".into(),
            failing: 2,
            exhausted: 1,
            failing_since_ms: since,
            last_delivered_ms: last,
        };
        // Never delivered, failing for two hours: down.
        assert!(is_dark(&group(now - 2 * DARK_AFTER_MS, None), now));
        // Delivered before its failures began: down.
        assert!(is_dark(&group(now - 2 * DARK_AFTER_MS, Some(now - 5 * DARK_AFTER_MS)), now));
        // Delivered after its oldest failure: not down.
        assert!(!is_dark(&group(now - 3 * DARK_AFTER_MS, Some(now - 2 * DARK_AFTER_MS)), now));
        // Failing for less than the threshold: not yet; exactly the threshold: down.
        assert!(!is_dark(&group(now - 10, None), now));
        assert!(is_dark(&group(now - DARK_AFTER_MS, None), now));
    }
}
