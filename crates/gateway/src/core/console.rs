//! What the console, the admin API and the operator's commands do, on one set of
//! calls: admin tokens, the audit log, the order search and an order's whole story,
//! resending and redriving IPNs, refunds and settlements by an operator, and the
//! partner settings an operator changes.
//!
//! Every call that changes something takes the [`Admin`] acting and writes the audit
//! log itself, after the change: whichever entry point is used (a console form, an
//! admin API request, a command), the log says who did what to what and when. A
//! viewer is refused here too ([`Refused::NotOperator`]), not only by the pages.
//!
//! The live feed ([`LiveEvent`]) is this node's: orders it created, settlements it
//! applied and IPN attempts it made, broadcast to the open console pages. With
//! several nodes on one database each page sees the node it is connected to; the
//! pages themselves always read the database.

use super::{CoreError, Gateway, NewRefund, now_ms};
use crate::config::MetricsAccess;
use crate::crypto::random_token;
use crate::domain::console::{
    self, Admin, AdminToken, AuditEntry, ConsoleOrderQuery, DeliveryGroup, FailingDelivery, NewAudit, OrderEvent, Role,
    TimelineEntry,
};
use crate::domain::records::{Checkout, Delivery, Order, Refund, SubAccount};
use crate::domain::refund::Refusal;
use appotapay_protocol::ErrorCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::broadcast;

/// How many live events a slow console page may fall behind before it skips some.
pub const LIVE_BUFFER: usize = 256;

/// The prefix of every admin token, so that one found in a log or a paste is
/// recognisable (and told apart from a partner's keys).
pub const TOKEN_PREFIX: &str = "apgw_admin_";

/// Whether an operator's refund key is acceptable: 1 to 32 of `A-Z a-z 0-9 _ -`.
pub fn valid_refund_key(key: &str) -> bool {
    (1..=32).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The amount of a demo payment, VND.
pub const DEMO_AMOUNT: i64 = 50_000;

/// Something that happened on this node, for the console's live pages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveEvent {
    /// `order`, `settled` or `ipn`.
    pub kind: &'static str,
    /// The order.
    pub trans_id: String,
    /// Its partner.
    pub partner_code: String,
    /// A short description.
    pub what: String,
    /// When.
    pub at_ms: i64,
}

/// Why an operator's call did nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The caller is a viewer.
    NotOperator,
    /// No such order, delivery, partner or token.
    NotFound,
    /// The order has no IPN to send again (none was queued for it).
    NoIpn,
    /// An attempt of that IPN is being made right now.
    InFlight,
    /// The gateway is not a sandbox: nothing is settled on demand.
    NotSandbox,
    /// The settlement or refund was refused with this code, for this reason.
    Code(ErrorCode, String),
}

impl Refused {
    /// A sentence for people.
    pub fn message(&self) -> String {
        match self {
            Refused::NotOperator => "viewers may not act: an operator token is needed".into(),
            Refused::NotFound => "not found".into(),
            Refused::NoIpn => "this order has no IPN to resend (none was queued for it)".into(),
            Refused::InFlight => "an attempt of this IPN is being made right now; try again in a moment".into(),
            Refused::NotSandbox => "settling on demand exists only in sandbox mode".into(),
            Refused::Code(code, why) => format!("refused with errorCode {}: {why}", code.0),
        }
    }
}

/// How many partner/URL groups the deliveries page and API show.
pub const DELIVERY_GROUPS: u32 = 100;
/// How many of a group's failing IPNs they list.
pub const GROUP_ITEMS: u32 = 50;

/// What an operator's call did, or why not.
pub type Outcome<T> = Result<Result<T, Refused>, CoreError>;

/// Everything the console shows of one order.
#[derive(Clone, Debug)]
pub struct OrderStory {
    /// The order.
    pub order: Order,
    /// Its checkout progress, if the customer started.
    pub checkout: Option<Checkout>,
    /// Its IPNs with every attempt.
    pub deliveries: Vec<Delivery>,
    /// Its refunds.
    pub refunds: Vec<Refund>,
    /// Created, checkout steps, settlement or expiry, attempts, refunds, in order.
    pub timeline: Vec<TimelineEntry>,
    /// The signed redirect URL the customer is (or would be) sent to, once final.
    pub redirect_url: Option<String>,
    /// The payment link.
    pub payment_url: String,
}

/// The hex SHA-256 an admin token is stored as.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn refuse_viewer(who: &Admin) -> Option<Refused> {
    (!who.role.may_act()).then_some(Refused::NotOperator)
}

impl Gateway {
    /// Subscribes to this node's live events.
    pub fn live(&self) -> broadcast::Receiver<LiveEvent> {
        self.live.subscribe()
    }

    /// Tells the open console pages (no one listening costs nothing).
    pub(super) fn publish(&self, kind: &'static str, order: &Order, what: String) {
        if self.live.receiver_count() > 0 {
            let _ = self.live.send(LiveEvent {
                kind,
                trans_id: order.trans_id.as_str().to_owned(),
                partner_code: order.partner_code.clone(),
                what,
                at_ms: now_ms(),
            });
        }
    }

    /// Creates an admin token; the token itself, shown once (only its hash is kept).
    pub async fn create_admin_token(&self, role: Role, name: &str) -> Result<(AdminToken, String), CoreError> {
        loop {
            let secret = format!("{TOKEN_PREFIX}{}", random_token(40));
            let token = AdminToken {
                id: format!("adm_{}", random_token(12).to_lowercase()),
                name: name.to_owned(),
                role,
                token_hash: token_hash(&secret),
                created_at_ms: now_ms(),
                revoked_at_ms: None,
            };
            if self.store.insert_admin_token(&token).await? {
                return Ok((token, secret));
            }
        }
    }

    /// Every admin token (hashes only), oldest first.
    pub async fn admin_tokens(&self) -> Result<Vec<AdminToken>, CoreError> {
        Ok(self.store.admin_tokens().await?)
    }

    /// Revokes an admin token by id ([`Refused::NotFound`] if unknown or revoked
    /// already). Its sessions end with it: every request checks the token again.
    pub async fn revoke_admin_token(&self, who: &Admin, id: &str) -> Outcome<()> {
        if let Some(r) = refuse_viewer(who) {
            return Ok(Err(r));
        }
        if !self.store.revoke_admin_token(id, now_ms()).await? {
            return Ok(Err(Refused::NotFound));
        }
        self.audit(who, "admin_token.revoke", id, json!({})).await?;
        Ok(Ok(()))
    }

    /// Who presents this token: the configured `admin_token` (an operator), or a
    /// live admin token. Compared through a hash lookup (the hash of a guess says
    /// nothing of the real token) and the configured one in constant time.
    pub async fn admin_by_token(&self, presented: &str) -> Result<Option<Admin>, CoreError> {
        if presented.is_empty() {
            return Ok(None);
        }
        if let MetricsAccess::Token(configured) = &self.config.admin {
            if bool::from(presented.as_bytes().ct_eq(configured.as_bytes())) {
                return Ok(Some(Admin::configured()));
            }
        }
        Ok(self.store.admin_token_by_hash(&token_hash(presented)).await?.and_then(live_admin))
    }

    /// The holder of a live admin token by id (a console session names its token),
    /// with the token's hash: a session signs it too, so that a session of a token
    /// that was replaced (the configured `admin_token` changed) opens nothing.
    pub async fn admin_by_id(&self, id: &str) -> Result<Option<(Admin, String)>, CoreError> {
        if id == "config" {
            return Ok(match &self.config.admin {
                MetricsAccess::Token(t) => Some((Admin::configured(), token_hash(t))),
                _ => None,
            });
        }
        Ok(self.store.admin_token(id).await?.and_then(|t| {
            let hash = t.token_hash.clone();
            live_admin(t).map(|a| (a, hash))
        }))
    }

    /// Appends to the audit log.
    pub async fn audit(&self, who: &Admin, action: &str, target: &str, detail: Value) -> Result<(), CoreError> {
        let entry = NewAudit {
            at_ms: now_ms(),
            actor: who.label(),
            action: action.to_owned(),
            target: target.to_owned(),
            detail: detail.to_string(),
        };
        tracing::info!(actor = %entry.actor, action, target, "admin action");
        Ok(self.store.insert_audit(&entry).await?)
    }

    /// The audit log, newest first.
    pub async fn audit_log(
        &self,
        before_id: Option<i64>,
        target: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, CoreError> {
        Ok(self.store.audit_log(before_id, target, limit).await?)
    }

    /// Every partner's orders matching a search, newest first, with the count.
    pub async fn search_orders(&self, query: &ConsoleOrderQuery) -> Result<(i64, Vec<Order>), CoreError> {
        Ok(self.store.search_orders(query).await?)
    }

    /// Records a checkout step for the order's timeline. Best effort: the timeline
    /// is for people, and a payment never fails because its diary did.
    pub(super) async fn note_step(&self, order: &Order, what: String) {
        let event = OrderEvent { trans_id: order.trans_id.as_str().to_owned(), at_ms: now_ms(), what };
        if let Err(e) = self.store.insert_order_event(&event).await {
            tracing::warn!(error = %e, trans_id = %event.trans_id, "order event not recorded");
        }
    }

    /// Everything about one order; `None` if unknown.
    pub async fn order_story(&self, trans_id: &str) -> Result<Option<OrderStory>, CoreError> {
        let Some(order) = self.store.get_order(trans_id).await? else { return Ok(None) };
        let checkout = self.store.get_checkout(trans_id).await?;
        let deliveries = self.store.deliveries(trans_id).await?;
        let refunds = self.store.order_refunds(trans_id).await?;
        let events = self.store.order_events(trans_id).await?;
        let timeline = console::timeline(&order, &events, &deliveries, &refunds);
        let redirect_url = match self.partner(&order.partner_code).await? {
            Some(p) if order.state.is_final() => self.redirect_url(&p, &order),
            _ => None,
        };
        let payment_url = self.payment_url(&order);
        Ok(Some(OrderStory { order, checkout, deliveries, refunds, timeline, redirect_url, payment_url }))
    }

    /// Sends an order's latest IPN again now: a new attempt of the same notification
    /// (same URL, same body), whatever became of the earlier ones. The outbox id.
    pub async fn resend_ipn(&self, who: &Admin, trans_id: &str) -> Outcome<i64> {
        if let Some(r) = refuse_viewer(who) {
            return Ok(Err(r));
        }
        if self.store.get_order(trans_id).await?.is_none() {
            return Ok(Err(Refused::NotFound));
        }
        let Some(latest) = self.store.latest_outbox_row(trans_id).await? else { return Ok(Err(Refused::NoIpn)) };
        let Some(id) = self.store.resend_outbox_row(latest, now_ms()).await? else {
            return Ok(Err(Refused::InFlight));
        };
        self.outbox_wake.notify_one();
        self.audit(who, "ipn.resend", trans_id, json!({ "outboxId": id, "of": latest })).await?;
        Ok(Ok(id))
    }

    /// Sends one failing (or given-up) IPN again now (a delivered one is queued anew,
    /// as [`Gateway::resend_ipn`] does).
    pub async fn redrive_one(&self, who: &Admin, outbox_id: i64) -> Outcome<FailingDelivery> {
        if let Some(r) = refuse_viewer(who) {
            return Ok(Err(r));
        }
        let Some(row) = self.store.outbox_row(outbox_id).await? else { return Ok(Err(Refused::NotFound)) };
        let Some(id) = self.store.resend_outbox_row(outbox_id, now_ms()).await? else {
            return Ok(Err(Refused::InFlight));
        };
        self.outbox_wake.notify_one();
        self.audit(who, "ipn.redrive", row.trans_id.as_str(), json!({ "outboxId": id, "url": row.url })).await?;
        Ok(Ok(row))
    }

    /// Sends again now every failing IPN of a partner, or of one of its URLs; how
    /// many.
    pub async fn redrive(&self, who: &Admin, partner_code: &str, url: Option<&str>) -> Outcome<u64> {
        if let Some(r) = refuse_viewer(who) {
            return Ok(Err(r));
        }
        if self.store.get_partner(partner_code).await?.is_none() {
            return Ok(Err(Refused::NotFound));
        }
        let n = self.store.redrive(partner_code, url, now_ms()).await?;
        if n > 0 {
            self.outbox_wake.notify_one();
        }
        self.audit(who, "ipn.redrive_all", partner_code, json!({ "url": url, "count": n })).await?;
        Ok(Ok(n))
    }

    /// The failing and given-up IPNs by partner and URL (of one partner when given):
    /// `groups` of them, the newest failures first, each counted whole and with its
    /// newest `items` IPNs.
    pub async fn delivery_groups(
        &self,
        partner_code: Option<&str>,
        groups: u32,
        items: u32,
    ) -> Result<Vec<DeliveryGroup>, CoreError> {
        let now = now_ms();
        let mut out = Vec::new();
        for counts in self.store.failing_groups(partner_code, groups).await? {
            let items = self.store.failing_of_url(&counts.partner_code, &counts.url, items).await?;
            let dark = console::is_dark(&counts, now);
            out.push(DeliveryGroup { counts, items, dark });
        }
        Ok(out)
    }

    /// Refunds (part of) an order on its partner's behalf; the refund is recorded
    /// with a refundId of the console's, `console-<key>`, and the reason given. The
    /// same `key` again (a form posted twice, a request retried) answers the refund
    /// it made, once: nothing is refunded twice; without a key one is drawn.
    pub async fn operator_refund(
        &self,
        who: &Admin,
        trans_id: &str,
        amount: i64,
        reason: &str,
        key: Option<&str>,
    ) -> Outcome<Refund> {
        if let Some(r) = refuse_viewer(who) {
            return Ok(Err(r));
        }
        let Some(order) = self.store.get_order(trans_id).await? else { return Ok(Err(Refused::NotFound)) };
        let Some(partner) = self.partner(&order.partner_code).await? else { return Ok(Err(Refused::NotFound)) };
        let refund_original_id = format!("console-{}", key.map_or_else(|| random_token(16), str::to_owned));
        if let Some(done) = self.store.find_refund(&partner.code, &refund_original_id).await? {
            if done.trans_id.as_str() == trans_id && done.amount == amount {
                return Ok(Ok(done));
            }
            return Ok(Err(Refused::Code(
                ErrorCode::DUPLICATE_TRANSACTION_ID,
                "this refund key was used for another refund".into(),
            )));
        }
        let reason = if reason.trim().is_empty() { format!("refund by {}", who.id) } else { reason.trim().to_owned() };
        let new = NewRefund { refund_original_id, trans_id: trans_id.to_owned(), amount, reason };
        match self.refund(&partner, new).await? {
            Ok(refund) => {
                self.audit(
                    who,
                    "refund.create",
                    trans_id,
                    json!({ "refundId": refund.refund_id, "amount": amount, "status": refund.status.as_str() }),
                )
                .await?;
                Ok(Ok(refund))
            }
            Err(refusal) => Ok(Err(Refused::Code(refusal.code(), refusal_text(&refusal)))),
        }
    }

    /// Settles an order with any code of spec §8 the simulated bank can produce
    /// (sandbox only).
    pub async fn operator_settle(&self, who: &Admin, trans_id: &str, code: ErrorCode) -> Outcome<Order> {
        if let Some(r) = refuse_viewer(who) {
            return Ok(Err(r));
        }
        if self.simulator().is_none() {
            return Ok(Err(Refused::NotSandbox));
        }
        let Some(order) = self.store.get_order(trans_id).await? else { return Ok(Err(Refused::NotFound)) };
        let Some(partner) = self.partner(&order.partner_code).await? else { return Ok(Err(Refused::NotFound)) };
        use super::simulate::Completion;
        let settled = match self.simulate_completion(&partner, trans_id, code).await? {
            Completion::Attempted(s) => match *s {
                super::Settlement::Changed(o) => o,
                super::Settlement::Rejected(c, o) => {
                    return Ok(Err(Refused::Code(c, format!("the order is {} already", o.state.as_str()))));
                }
            },
            Completion::UnsupportedCode => {
                return Ok(Err(Refused::Code(
                    ErrorCode::INVALID_PARAMS,
                    "a settlement takes 0, 38, 77 or a decline code".into(),
                )));
            }
            Completion::NoSimulator => return Ok(Err(Refused::NotSandbox)),
            Completion::UnknownTransaction => return Ok(Err(Refused::NotFound)),
        };
        self.audit(who, "order.settle", trans_id, json!({ "errorCode": code.0, "state": settled.state.as_str() }))
            .await?;
        Ok(Ok(settled))
    }

    /// Creates a partner with fresh credentials; the secret, shown once.
    pub async fn operator_create_partner(
        &self,
        who: &Admin,
        code: &str,
        name: &str,
        notify_failures: bool,
    ) -> Outcome<(String, String)> {
        if let Some(r) = refuse_viewer(who) {
            return Ok(Err(r));
        }
        let (api_key, secret) = (random_token(32), random_token(32));
        if !self.create_partner(code, name, &api_key, &secret, notify_failures).await? {
            return Ok(Err(Refused::Code(ErrorCode::INVALID_PARAMS, format!("partner {code} exists already"))));
        }
        self.audit(who, "partner.create", code, json!({ "name": name, "notifyFailures": notify_failures })).await?;
        Ok(Ok((api_key, secret)))
    }

    /// Locks or unlocks a partner (its API calls then answer 13).
    pub async fn operator_lock(&self, who: &Admin, code: &str, locked: bool) -> Outcome<()> {
        if let Some(r) = refuse_viewer(who) {
            return Ok(Err(r));
        }
        if !self.set_partner_locked(code, locked).await? {
            return Ok(Err(Refused::NotFound));
        }
        self.audit(who, if locked { "partner.lock" } else { "partner.unlock" }, code, json!({})).await?;
        Ok(Ok(()))
    }

    /// Sets whether a partner gets IPNs of failed payments too.
    pub async fn operator_notify_failures(&self, who: &Admin, code: &str, on: bool) -> Outcome<()> {
        if let Some(r) = refuse_viewer(who) {
            return Ok(Err(r));
        }
        if !self.store.set_notify_failures(code, on).await? {
            return Ok(Err(Refused::NotFound));
        }
        self.forget_partner(code);
        self.audit(who, "partner.notify_failures", code, json!({ "on": on })).await?;
        Ok(Ok(()))
    }

    /// Adds a sub-account to a partner.
    pub async fn operator_sub_account(&self, who: &Admin, code: &str, owner: bool) -> Outcome<SubAccount> {
        if let Some(r) = refuse_viewer(who) {
            return Ok(Err(r));
        }
        let Some(sub) = self.create_sub_account(code, owner).await? else { return Ok(Err(Refused::NotFound)) };
        self.audit(who, "partner.sub_account", code, json!({ "id": sub.id, "owner": owner })).await?;
        Ok(Ok(sub))
    }

    /// Rotates a partner's keys (see [`Gateway::rotate_partner_keys`]); the new API
    /// key and secret, shown once, and the old ones' end of grace.
    pub async fn operator_rotate(
        &self,
        who: &Admin,
        code: &str,
        grace: std::time::Duration,
    ) -> Outcome<(String, String, Option<i64>)> {
        if let Some(r) = refuse_viewer(who) {
            return Ok(Err(r));
        }
        match self.rotate_partner_keys(code, grace, true).await? {
            super::Rotated::Done { keys, grace_until_ms } => {
                self.audit(who, "partner.rotate", code, json!({ "graceUntilMs": grace_until_ms })).await?;
                Ok(Ok((keys.api_key.clone(), keys.secret.expose().to_owned(), grace_until_ms)))
            }
            super::Rotated::UnknownPartner => Ok(Err(Refused::NotFound)),
            super::Rotated::InGrace { .. } => {
                Ok(Err(Refused::Code(ErrorCode::INVALID_PARAMS, "an earlier rotation's grace period runs".into())))
            }
        }
    }

    /// Sandbox: a demo payment of the public sandbox partner (50,000 VND, any
    /// method), whose IPN and redirect come back to this gateway's `/demo/…`
    /// pages. `None` outside the sandbox.
    pub async fn create_demo_payment(&self) -> Result<Option<Order>, CoreError> {
        if self.simulator().is_none() {
            return Ok(None);
        }
        use appotapay_protocol::sandbox_partner;
        let base = self.config.public_url.trim_end_matches('/');
        let order_id = format!("demo-{}", random_token(12));
        let mut new = super::NewOrder::v1(
            sandbox_partner::PARTNER_CODE,
            &order_id,
            crate::domain::records::OrderKind::Bank,
            appotapay_protocol::PaymentMethod::All,
        );
        new.amount = DEMO_AMOUNT;
        new.order_info = "Demo payment".into();
        new.client_ip = "127.0.0.1".into();
        new.notify_url = format!("{base}/demo/ipn");
        new.redirect_url = format!("{base}/demo/return");
        self.create_order(new).await
    }

    /// Whether the query of a redirect to `/demo/return` is the one this gateway
    /// signed for a demo payment (the same pairs, the signature compared in constant
    /// time), and the order's appotapayTransId. Only the sandbox's demo payments are
    /// looked at: for any other order (and outside the sandbox) `(false, None)`.
    pub async fn check_demo_redirect(&self, pairs: &[(String, String)]) -> Result<(bool, Option<String>), CoreError> {
        use appotapay_protocol::sandbox_partner;
        let nothing = Ok((false, None));
        if self.simulator().is_none() {
            return nothing;
        }
        let Some((_, id)) = pairs.iter().find(|(k, _)| k == "appotapayTransId") else { return nothing };
        let Some(order) = self.store.get_order(id).await? else { return nothing };
        if order.partner_code != sandbox_partner::PARTNER_CODE || !order.order_id.starts_with("demo-") {
            return nothing;
        }
        let Some(partner) = self.partner(&order.partner_code).await? else { return nothing };
        let expected = self.redirect_url(&partner, &order).and_then(|u| url::Url::parse(&u).ok());
        let ok = expected.is_some_and(|u| {
            let split = |pairs: Vec<(String, String)>| {
                let (sig, mut rest): (Vec<_>, Vec<_>) = pairs.into_iter().partition(|(k, _)| k == "signature");
                rest.sort();
                (sig.into_iter().next().map(|(_, v)| v).unwrap_or_default(), rest)
            };
            let (want_sig, want) = split(u.query_pairs().into_owned().collect());
            let (got_sig, got) = split(pairs.to_vec());
            want == got && !want_sig.is_empty() && bool::from(want_sig.as_bytes().ct_eq(got_sig.as_bytes()))
        });
        Ok((ok, Some(order.trans_id.as_str().to_owned())))
    }

    /// A partner's sub-accounts.
    pub async fn sub_accounts(&self, code: &str) -> Result<Vec<SubAccount>, CoreError> {
        Ok(self.store.sub_accounts(code).await?)
    }
}

fn live_admin(t: AdminToken) -> Option<Admin> {
    t.revoked_at_ms.is_none().then_some(Admin { id: t.id, name: t.name, role: t.role })
}

fn refusal_text(r: &Refusal) -> String {
    r.code().message(appotapay_protocol::Lang::En).to_owned()
}
