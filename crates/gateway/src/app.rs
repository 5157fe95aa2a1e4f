//! The gateway's core operations, shared by the partner API, the checkout, the
//! sandbox helpers and the sweeper: partners (cached), order creation, settlement
//! through the one state machine, the signed results (redirect URL, IPN body), and
//! refunds (admitted atomically by the store, then moved on through the refund state
//! machine as the sandbox bank answers).

use crate::config::{Config, Mode};
use crate::crypto::Keys;
use crate::metrics;
use crate::payments::refund::{self, Ledger, RefundStatus, Refusal};
use crate::payments::{self, Current, Decision, Event, State};
use crate::store::{
    CardRecord, CreateOutcome, NewOutbox, Order, PartnerRecord, Refund, RefundChange, RefundCreate, StateChange, Store,
    StoreError,
};
use appotapay_protocol::messages::PaymentNotification;
use appotapay_protocol::signing::Signed;
use appotapay_protocol::{Amount, AmountLimits, ErrorCode, Lang, SecretKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;
use tokio::sync::Notify;

/// A partner with its secret decrypted, as the request path needs it.
#[derive(Clone)]
pub struct Partner {
    /// Partner code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// API key.
    pub api_key: String,
    /// Secret key.
    pub secret: SecretKey,
    /// Locked partners answer 13.
    pub locked: bool,
    /// IPN for failures too.
    pub notify_failures: bool,
    /// Accepted amounts.
    pub limits: AmountLimits,
}

impl std::fmt::Debug for Partner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Partner").field("code", &self.code).field("locked", &self.locked).finish_non_exhaustive()
    }
}

/// A failure of a core operation.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored secret does not decrypt.
    #[error("partner {0}: stored secret does not decrypt under the master key")]
    Key(String),
}

/// What a settlement attempt did.
#[derive(Clone, Debug)]
pub enum Settlement {
    /// The order changed; this is its new row.
    Changed(Order),
    /// Nothing changed; answer this code (41 for a paid order, the final code for
    /// another final order, 34 while processing…).
    Rejected(ErrorCode, Order),
}

/// Details recorded with a settlement besides the state.
#[derive(Clone, Debug, Default)]
pub struct SettleDetails {
    /// Bank chosen on the page.
    pub bank_code: Option<String>,
    /// Method chosen on the page.
    pub payment_method: Option<String>,
    /// Masked card data.
    pub card: Option<CardRecord>,
}

/// Shared state of a running gateway.
pub struct Gateway {
    /// Checked configuration.
    pub config: Config,
    /// The store.
    pub store: Arc<dyn Store>,
    /// Keys.
    pub keys: Keys,
    /// Wakes the IPN worker when a row is queued: by this node, or by another one
    /// when the store is shared ([`Store::outbox_signal`]).
    pub outbox_wake: Arc<Notify>,
    partners: RwLock<HashMap<String, (Arc<Partner>, Instant)>>,
    trans_ids: crate::ids::TransIds,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway").field("config", &self.config).finish_non_exhaustive()
    }
}

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}

/// A new order as validated by the API.
#[derive(Clone, Debug)]
pub struct NewOrder {
    /// Partner.
    pub partner_code: String,
    /// The partner's id.
    pub order_id: String,
    /// Bank or QR.
    pub kind: crate::store::OrderKind,
    /// Method (`QR` for QR orders).
    pub payment_method: String,
    /// Bank code or empty.
    pub bank_code: String,
    /// VND.
    pub amount: i64,
    /// Description.
    pub order_info: String,
    /// Customer IP.
    pub client_ip: String,
    /// IPN URL.
    pub notify_url: String,
    /// Redirect URL or empty.
    pub redirect_url: String,
    /// Extra data.
    pub extra_data: String,
    /// Sub-account.
    pub sub_account: Option<String>,
}

/// A refund request as validated by the API.
#[derive(Clone, Debug)]
pub struct NewRefund {
    /// The partner's refundId.
    pub refund_original_id: String,
    /// The transaction to refund.
    pub trans_id: String,
    /// VND, positive.
    pub amount: i64,
    /// The partner's reason.
    pub reason: String,
}

/// How long a newly admitted refund may stay `pending` before the sweeper hands it to
/// the bank itself. The request that created it does so at once; this only rescues
/// refunds whose request died in between (a crash).
const PENDING_REFUND_GRACE_MS: i64 = 30_000;

impl Gateway {
    /// Assembles a gateway over an open store.
    pub fn new(config: Config, store: Arc<dyn Store>, keys: Keys) -> Gateway {
        let outbox_wake = store.outbox_signal().unwrap_or_else(|| Arc::new(Notify::new()));
        Gateway {
            config,
            store,
            keys,
            outbox_wake,
            partners: RwLock::new(HashMap::new()),
            trans_ids: Default::default(),
        }
    }

    /// Whether sandbox-only features are on.
    pub fn sandbox(&self) -> bool {
        self.config.mode == Mode::Sandbox
    }

    /// A partner by code, cached for `partner_cache_ttl`.
    pub async fn partner(&self, code: &str) -> Result<Option<Arc<Partner>>, CoreError> {
        if let Some((p, at)) = self.partners.read().unwrap_or_else(|e| e.into_inner()).get(code) {
            if at.elapsed() < self.config.partner_cache_ttl {
                return Ok(Some(p.clone()));
            }
        }
        let Some(rec) = self.store.get_partner(code).await? else {
            return Ok(None);
        };
        let p = Arc::new(self.decrypt_partner(&rec)?);
        self.partners.write().unwrap_or_else(|e| e.into_inner()).insert(code.to_owned(), (p.clone(), Instant::now()));
        Ok(Some(p))
    }

    /// Decrypts a stored partner.
    pub fn decrypt_partner(&self, rec: &PartnerRecord) -> Result<Partner, CoreError> {
        let secret = self.keys.open(&rec.code, &rec.secret_enc).map_err(|_| CoreError::Key(rec.code.clone()))?;
        Ok(Partner {
            code: rec.code.clone(),
            name: rec.name.clone(),
            api_key: rec.api_key.clone(),
            secret: SecretKey::new(secret),
            locked: rec.locked,
            notify_failures: rec.notify_failures,
            limits: AmountLimits { min: rec.amount_min, max: rec.amount_max },
        })
    }

    /// Stores a new partner with its secret encrypted. `false` if the code exists.
    pub async fn create_partner(
        &self,
        code: &str,
        name: &str,
        api_key: &str,
        secret: &str,
        notify_failures: bool,
    ) -> Result<bool, CoreError> {
        let rec = PartnerRecord {
            code: code.to_owned(),
            name: name.to_owned(),
            api_key: api_key.to_owned(),
            secret_enc: self.keys.seal(code, secret),
            locked: false,
            notify_failures,
            amount_min: AmountLimits::DEFAULT_MIN,
            amount_max: AmountLimits::DEFAULT_MAX,
            created_at_ms: now_ms(),
        };
        Ok(self.store.insert_partner(&rec).await?)
    }

    /// Creates an order, drawing a fresh appotapayTransId. `Ok(None)` means the
    /// partner already used this order id (errorCode 30).
    pub async fn create_order(&self, new: NewOrder) -> Result<Option<Order>, CoreError> {
        let now = now_ms();
        let ttl = self.config.payment_ttl.as_millis() as i64;
        for _ in 0..16 {
            let Some(trans_id) = self.trans_ids.next(now) else { continue };
            let qr_payload = match new.kind {
                crate::store::OrderKind::Qr => {
                    crate::acquirer::vietqr_payload(&self.config.collecting, new.amount, trans_id.as_str())
                }
                crate::store::OrderKind::Bank => None,
            };
            let order = Order {
                trans_id: trans_id.to_string(),
                partner_code: new.partner_code.clone(),
                order_id: new.order_id.clone(),
                kind: new.kind,
                payment_method: new.payment_method.clone(),
                bank_code: new.bank_code.clone(),
                amount: new.amount,
                order_info: new.order_info.clone(),
                client_ip: new.client_ip.clone(),
                notify_url: new.notify_url.clone(),
                redirect_url: new.redirect_url.clone(),
                extra_data: new.extra_data.clone(),
                sub_account: new.sub_account.clone(),
                state: State::Pending,
                code: ErrorCode::PENDING,
                card: None,
                qr_payload,
                created_at_ms: now,
                expires_at_ms: now + ttl,
                updated_at_ms: now,
                settled_at_ms: None,
            };
            match self.store.create_order(&order).await? {
                CreateOutcome::Created => {
                    metrics::order_created(&order.payment_method);
                    return Ok(Some(order));
                }
                CreateOutcome::DuplicateOrderId => return Ok(None),
                CreateOutcome::TransIdTaken => self.trans_ids.taken(),
            }
        }
        Err(CoreError::Store(StoreError::Database("could not draw a free appotapayTransId".into())))
    }

    /// Applies `event` to an order through [`payments::decide`], retrying the
    /// decision when another request changed the order first. A final state queues
    /// the IPN in the same transaction (successes always, failures for partners that
    /// opted in).
    pub async fn settle(
        &self,
        trans_id: &str,
        event: Event,
        details: SettleDetails,
    ) -> Result<Option<Settlement>, CoreError> {
        loop {
            let Some(order) = self.store.get_order(trans_id).await? else {
                return Ok(None);
            };
            let now = now_ms();
            let current = Current { state: order.state, code: order.code, expires_at_ms: order.expires_at_ms };
            let (state, code) = match payments::decide(current, event, now) {
                Decision::Reject(code) => return Ok(Some(Settlement::Rejected(code, order))),
                Decision::Change { state, code } => (state, code),
            };
            let mut updated = order.clone();
            updated.state = state;
            updated.code = code;
            updated.updated_at_ms = now;
            if state.is_final() {
                updated.settled_at_ms = Some(now);
            }
            // Details describe a payment attempt; an expiry decided instead keeps none.
            let details = if state == State::Expired { SettleDetails::default() } else { details.clone() };
            if let Some(b) = &details.bank_code {
                updated.bank_code.clone_from(b);
            }
            if let Some(m) = &details.payment_method {
                updated.payment_method.clone_from(m);
            }
            if details.card.is_some() {
                updated.card.clone_from(&details.card);
            }
            let partner = self.partner(&order.partner_code).await?;
            let outbox = match &partner {
                Some(p) if state.is_final() && (state == State::Success || p.notify_failures) => {
                    let body = serde_json::to_string(&self.notification(p, &updated)).unwrap_or_default();
                    Some(NewOutbox {
                        partner_code: p.code.clone(),
                        url: updated.notify_url.clone(),
                        body,
                        first_attempt_at_ms: now + self.config.ipn_schedule.first().map_or(0, |d| d.as_millis() as i64),
                    })
                }
                _ => None,
            };
            let queued = outbox.is_some();
            let change = StateChange {
                trans_id: order.trans_id.clone(),
                from: order.state,
                to: state,
                code,
                now_ms: now,
                bank_code: details.bank_code,
                payment_method: details.payment_method,
                card: details.card,
                outbox,
            };
            if self.store.apply_change(&change).await? {
                if state.is_final() {
                    metrics::order_settled(&updated.payment_method, state);
                }
                if queued {
                    self.outbox_wake.notify_one();
                }
                return Ok(Some(Settlement::Changed(updated)));
            }
            // Lost a race: decide again from the row as it is now.
        }
    }

    /// The signed result notification of a (final) order. Messages are Vietnamese,
    /// as the real service sends them.
    pub fn notification(&self, partner: &Partner, order: &Order) -> PaymentNotification {
        PaymentNotification {
            error_code: order.code,
            message: order.code.message(Lang::Vi).to_owned(),
            partner_code: partner.code.clone(),
            api_key: partner.api_key.clone(),
            amount: Amount::vnd(order.amount),
            currency: appotapay_protocol::CURRENCY.to_owned(),
            order_id: order.order_id.clone(),
            bank_code: order.bank_code.clone(),
            payment_method: order.payment_method.clone(),
            payment_type: appotapay_protocol::PAYMENT_TYPE.to_owned(),
            appotapay_trans_id: order.trans_id.clone(),
            transaction_ts: order.settled_at_ms.unwrap_or(order.updated_at_ms) / 1000,
            extra_data: order.extra_data.clone(),
            signature: String::new(),
        }
        .signed(&partner.secret)
    }

    /// The signed redirect URL of a final order, `None` when it has no redirect URL.
    /// An existing query string is kept (`&` appended) and a fragment stays last.
    pub fn redirect_url(&self, partner: &Partner, order: &Order) -> Option<String> {
        if order.redirect_url.is_empty() {
            return None;
        }
        let n = self.notification(partner, order);
        let mut url = url::Url::parse(&order.redirect_url).ok()?;
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in n.to_pairs() {
                q.append_pair(k, &v);
            }
        }
        Some(url.to_string())
    }

    /// `paymentUrl` of an order: `/bank/payment/process?tran=…&sign=…` where `tran`
    /// is unpadded base64url of `tid=…&orderId=…&ts=…` and `sign` its HMAC under the
    /// gateway's link key.
    pub fn payment_url(&self, order: &Order) -> String {
        let tran = URL_SAFE_NO_PAD.encode(format!(
            "tid={}&orderId={}&ts={}",
            order.trans_id,
            order.order_id,
            order.created_at_ms / 1000
        ));
        let sign = hex::encode(appotapay_protocol::signing::hmac_bytes(self.keys.link_key(), tran.as_bytes()));
        format!("{}/bank/payment/process?tran={tran}&sign={sign}", self.config.public_url)
    }

    /// Checks a payment link and returns the appotapayTransId it names.
    pub fn verify_payment_link(&self, tran: &str, sign: &str) -> Option<String> {
        appotapay_protocol::signing::verify_bytes(self.keys.link_key(), tran.as_bytes(), sign).ok()?;
        let raw = URL_SAFE_NO_PAD.decode(tran.trim_end_matches('=')).ok()?;
        let text = String::from_utf8(raw).ok()?;
        form_urlencoded::parse(text.as_bytes()).find(|(k, _)| k == "tid").map(|(_, v)| v.into_owned())
    }

    /// `qrCodeUrl` of a QR order: `/qr/{appotapayTransId}.png?sign=…`, `sign` the
    /// HMAC of `qr:{appotapayTransId}` under the link key. The same URL every time
    /// for an order; without the signature an image could be fetched by guessing
    /// ids, which are not secrets (docs §12).
    pub fn qr_code_url(&self, trans_id: &str) -> String {
        format!("{}/qr/{trans_id}.png?sign={}", self.config.public_url, self.qr_sign(trans_id))
    }

    /// Whether `sign` is the QR image signature of `trans_id` (constant time).
    pub fn verify_qr_sign(&self, trans_id: &str, sign: &str) -> bool {
        appotapay_protocol::signing::verify_bytes(self.keys.link_key(), Self::qr_signed(trans_id).as_bytes(), sign)
            .is_ok()
    }

    fn qr_sign(&self, trans_id: &str) -> String {
        hex::encode(appotapay_protocol::signing::hmac_bytes(self.keys.link_key(), Self::qr_signed(trans_id).as_bytes()))
    }

    /// What a QR image signature covers: `qr:` keeps it apart from a payment link's
    /// `tran`, which is base64url and never holds a colon.
    fn qr_signed(trans_id: &str) -> String {
        format!("qr:{trans_id}")
    }

    /// Finalises overdue pending orders; returns how many it expired.
    pub async fn sweep_expired(&self) -> Result<usize, CoreError> {
        let overdue = self.store.overdue_orders(now_ms(), 500).await?;
        let mut n = 0;
        for o in overdue {
            if let Some(Settlement::Changed(_)) =
                self.settle(&o.trans_id, Event::Expire, SettleDetails::default()).await?
            {
                n += 1;
            }
        }
        Ok(n)
    }
}

impl Gateway {
    /// Refunds (part of) a partner's successful transaction (spec §5.4). The store
    /// admits and inserts the refund in one transaction (see
    /// [`Store::create_refund`]); then it is handed to the bank at once. `Ok(Err(_))`
    /// is a refusal with its documented code.
    pub async fn refund(&self, partner: &Partner, new: NewRefund) -> Result<Result<Refund, Refusal>, CoreError> {
        // Read first for the payment method the bank needs; ownership, state and sums
        // are decided again by the store under its lock.
        let order = match self.store.get_order(&new.trans_id).await? {
            Some(o) if o.partner_code == partner.code => o,
            _ => return Ok(Err(Refusal::UnknownTransaction)),
        };
        let now = now_ms();
        for _ in 0..16 {
            let refund_id = random_refund_id();
            let refund = Refund {
                refund_id,
                partner_code: partner.code.clone(),
                refund_original_id: new.refund_original_id.clone(),
                trans_id: order.trans_id.clone(),
                amount: new.amount,
                reason: new.reason.clone(),
                status: RefundStatus::Pending,
                created_at_ms: now,
                updated_at_ms: now,
                due_at_ms: Some(now + PENDING_REFUND_GRACE_MS),
            };
            match self.store.create_refund(&refund, partner.limits.min).await? {
                RefundCreate::Created => {
                    metrics::refund_created(&order.payment_method);
                    return Ok(Ok(self.advance_refund(refund, &order.payment_method, now).await?));
                }
                RefundCreate::Refused(r) => return Ok(Err(r)),
                RefundCreate::RefundIdTaken => continue,
            }
        }
        Err(CoreError::Store(StoreError::Database("could not draw a free refund id".into())))
    }

    /// Moves a pending or processing refund on as the sandbox bank answers, through
    /// [`refund::decide`] and a compare-and-set; returns the refund as it then is. A
    /// final refund is returned unchanged.
    async fn advance_refund(&self, r: Refund, payment_method: &str, now: i64) -> Result<Refund, CoreError> {
        let plan = crate::acquirer::sandbox_refund(payment_method, &r.reason, self.config.sandbox_refund_delay);
        let events = match r.status {
            RefundStatus::Pending => plan.at_submission(),
            RefundStatus::Processing => vec![plan.answer],
            RefundStatus::Success | RefundStatus::Error => return Ok(r),
        };
        let Some(to) = refund::fold(r.status, &events) else { return Ok(r) };
        let delay_ms = plan.delay.map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let due_at_ms = (to == RefundStatus::Processing).then(|| now.saturating_add(delay_ms));
        let change = RefundChange { refund_id: r.refund_id.clone(), from: r.status, to, now_ms: now, due_at_ms };
        if self.store.update_refund(&change).await? {
            if refund::is_final(to) {
                metrics::refund_finished(payment_method, to);
            }
            return Ok(Refund { status: to, updated_at_ms: now, due_at_ms, ..r });
        }
        // Another task moved it first: report it as it is now.
        Ok(self.store.get_refund(&r.refund_id).await?.unwrap_or(r))
    }

    /// Moves on every refund whose next step is due; returns how many changed.
    pub async fn sweep_refunds(&self) -> Result<usize, CoreError> {
        self.sweep_refunds_at(now_ms()).await
    }

    /// [`sweep_refunds`](Self::sweep_refunds) as if the clock read `now` (unix
    /// milliseconds): tests use it to let the sandbox bank's delay pass at once.
    pub async fn sweep_refunds_at(&self, now: i64) -> Result<usize, CoreError> {
        let due = self.store.due_refunds(now, 500).await?;
        let mut n = 0;
        for r in due {
            let Some(order) = self.store.get_order(&r.trans_id).await? else { continue };
            let before = r.status;
            if self.advance_refund(r, &order.payment_method, now).await?.status != before {
                n += 1;
            }
        }
        Ok(n)
    }

    /// The refund ledger of an order: sums read only for a successful payment (no
    /// other can have refunds).
    pub async fn refund_ledger(&self, order: &Order) -> Result<Ledger, CoreError> {
        if order.state != State::Success {
            return Ok(Ledger { paid: order.amount, committed: 0, refunded: 0 });
        }
        let t = self.store.refund_totals(&order.trans_id).await?;
        Ok(Ledger { paid: order.amount, committed: t.committed, refunded: t.refunded })
    }
}

/// A random gateway refund id, `RF` + 12 digits (the shape of an appotapayTransId
/// with its own prefix); uniqueness is the store's (a taken id is redrawn).
fn random_refund_id() -> String {
    let n = rand::thread_rng().gen_range(100_000_000_000..=appotapay_protocol::ids::MAX_TRANS_NUMBER);
    format!("RF{n:012}")
}

/// Runs the sweeper until `shutdown` fires: it expires overdue orders, moves on
/// refunds whose next step is due (the sandbox bank's answer to an ATM refund), and,
/// in sandbox mode, settles the card payments the sandbox issuer kept processing.
pub async fn run_sweeper(gw: Arc<Gateway>, shutdown: tokio_util_shutdown::Shutdown) {
    let mut tick = tokio::time::interval(gw.config.sweep_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.wait() => return,
        }
        match gw.sweep_expired().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "expired overdue orders"),
            Err(e) => tracing::warn!(error = %e, "expiry sweep failed"),
        }
        if gw.config.jwt_replay_check {
            if let Err(e) = gw.store.prune_jtis(now_ms()).await {
                tracing::warn!(error = %e, "pruning used JWT ids failed");
            }
        }
        match gw.sweep_refunds().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(refunds = n, "moved refunds on"),
            Err(e) => tracing::warn!(error = %e, "refund sweep failed"),
        }
        if gw.sandbox() {
            match crate::checkout::settle_due(&gw).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(settled = n, "settled processing sandbox payments"),
                Err(e) => tracing::warn!(error = %e, "processing settlement failed"),
            }
        }
    }
}

/// A minimal shutdown signal shared by the background tasks.
pub mod tokio_util_shutdown {
    use tokio::sync::watch;

    /// Fires once; every clone sees it.
    #[derive(Clone, Debug)]
    pub struct Shutdown(watch::Receiver<bool>);

    /// The sending side.
    #[derive(Debug)]
    pub struct Trigger(watch::Sender<bool>);

    /// A new signal.
    pub fn channel() -> (Trigger, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (Trigger(tx), Shutdown(rx))
    }

    impl Trigger {
        /// Fires the signal.
        pub fn fire(&self) {
            let _ = self.0.send(true);
        }
    }

    impl Shutdown {
        /// Resolves once the signal fired.
        pub async fn wait(&self) {
            let mut rx = self.0.clone();
            let _ = rx.wait_for(|v| *v).await;
        }

        /// Whether it fired.
        pub fn fired(&self) -> bool {
            *self.0.borrow()
        }
    }
}
