//! QR payments: the VietQR payload an order shows, and the matching of a bank
//! credit to the order it pays.
//!
//! Credits arrive three ways: a bank feed's webhook ([`Gateway::receive_feed`]),
//! the reconciliation job reading a feed's transaction list
//! ([`Gateway::take_credit`]), and, with a simulated bank only, the sandbox's
//! simulated transfer ([`Gateway::bank_credit`]). The rule that decides is one pure
//! function ([`crate::domain::credit::judge`]); a feed's credit settles its order
//! through [`Gateway::settle`] like every other payment, and is marked as having
//! paid it in the same transaction.
//!
//! Every transaction a feed reports is recorded first, once per provider
//! transaction id (a retried webhook, the same transaction through the
//! reconciliation, or a second node receiving it records nothing more), then judged.
//! One that pays nothing stays on record as an open credit with its reason, for an
//! operator; a crash between recording and judging leaves it `received`, and it is
//! judged again when the provider retries (it saw no answer) or, at the latest, by
//! the sweeper ([`Gateway::judge_stale_credits`]). The same bank transfer reported
//! through two feeds of a partner (same account, bank reference, amount and
//! direction) pays once: the later report is recorded as `ignored`.

use super::{CoreError, Gateway, SettleDetails, Settlement, now_ms};
use crate::config::CollectingAccount;
use crate::domain::credit::{
    self, BankAccount, Credit, CreditStatus, Facts, FeedAuth, Judgement, NamedOrder, NewCredit, Unmatched, Via,
};
use crate::domain::order::{Event, State};
use crate::domain::records::{Order, OrderKind};
use crate::metrics;
use appotapay_protocol::bankfeed::{self, FeedTransaction, Provider, casso, memo, sepay};
use appotapay_protocol::vietqr::VietQr;

/// The VietQR payload of a QR order: the collecting account, the exact amount and
/// the appotapayTransId as the transfer memo.
pub fn vietqr_payload(account: &CollectingAccount, amount: i64, trans_id: &str) -> Option<String> {
    let amount = u64::try_from(amount).ok()?;
    VietQr::dynamic(&account.bin, &account.account, amount, trans_id).encode().ok()
}

/// The shortest bank reference taken as naming one transfer (banks' references are
/// 8 to 20 characters; anything shorter is no evidence).
const MIN_REFERENCE: usize = 6;

/// Bytes of an unreadable body kept for the operator.
const KEPT_UNREADABLE: usize = 64 * 1024;

/// How long a credit may stay `received` (recorded, not judged) before the sweeper
/// judges it again. Far longer than judging takes, so that the
/// job seldom does the request's work twice; and harmless when it does, since every
/// change of a credit is a compare-and-set from `received` and the settlement it
/// pays is one too.
const STALE_CREDIT_MS: i64 = 10_000;

/// What a report of an incoming transfer did (the sandbox's simulated transfer).
#[derive(Clone, Debug)]
pub enum CreditOutcome {
    /// The memo names a QR order (of the expected partner) and the amount matched:
    /// the settlement attempt's result.
    Applied(Box<Settlement>),
    /// No QR order of the expected partner has this memo as appotapayTransId.
    UnknownMemo,
    /// The memo names an order, but the credited amount differs from its amount.
    AmountMismatch,
}

/// A webhook as the feed endpoint received it: the headers a provider
/// authenticates with, and the raw body.
#[derive(Clone, Copy, Default)]
pub struct FeedRequest<'a> {
    /// `Authorization` (SePay API key).
    pub authorization: Option<&'a str>,
    /// `X-SePay-Signature` or `X-Casso-Signature`.
    pub signature: Option<&'a str>,
    /// `X-SePay-Timestamp`.
    pub timestamp: Option<&'a str>,
    /// `Secure-Token` (Casso webhook v1).
    pub secure_token: Option<&'a str>,
    /// The body, exactly as received.
    pub body: &'a [u8],
}

impl std::fmt::Debug for FeedRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The credentials stay out of every log.
        f.debug_struct("FeedRequest")
            .field("timestamp", &self.timestamp)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// What the gateway did with one transaction of a feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CreditResult {
    /// Already on record (a retry, or another node or the reconciliation first).
    Duplicate,
    /// It paid this order.
    Settled(String),
    /// It paid nothing and is open for an operator.
    Unmatched(Unmatched),
    /// Not a payment (money out).
    Ignored,
    /// Another node judged it meanwhile.
    JudgedElsewhere,
}

/// What a feed webhook did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeedReceipt {
    /// No feed of this partner and provider accepts the credential: nothing recorded.
    Unauthorized,
    /// Authenticated, but the body does not read as the provider's format: kept as
    /// an unreadable credit for the operator.
    Unreadable(String),
    /// Every transaction of the body, recorded and judged.
    Accepted(Vec<CreditResult>),
}

/// One page of credits, for the operator.
#[derive(Clone, Debug, Default)]
pub struct CreditQuery<'a> {
    /// One partner's.
    pub partner_code: Option<&'a str>,
    /// One status.
    pub status: Option<CreditStatus>,
    /// Skip this many.
    pub offset: u64,
    /// At most this many (1–500).
    pub limit: u32,
}

impl Gateway {
    /// The account QR orders of partners without their own are paid into.
    pub fn collecting_account(&self) -> &CollectingAccount {
        &self.config.collecting
    }

    /// The account a partner's QR orders are paid into: its own, or the gateway's.
    pub async fn collecting_account_of(&self, partner_code: &str) -> Result<BankAccount, CoreError> {
        let own = self.partner(partner_code).await?.and_then(|p| p.account.clone());
        Ok(own.unwrap_or_else(|| self.config.collecting.clone()))
    }

    /// The account an order's VietQR names (its payload is fixed at creation), with
    /// the holder's name of the partner's or the gateway's account that has it.
    pub async fn order_account(&self, order: &Order) -> Result<BankAccount, CoreError> {
        let current = self.collecting_account_of(&order.partner_code).await?;
        let Some(qr) = order.qr_payload.as_deref().and_then(|p| VietQr::parse(p).ok()) else { return Ok(current) };
        let of = |a: &BankAccount| a.bin == qr.bin && a.account == qr.account;
        if of(&current) {
            return Ok(current);
        }
        if of(&self.config.collecting) {
            return Ok(self.config.collecting.clone());
        }
        Ok(BankAccount { bin: qr.bin, account: qr.account, name: String::new() })
    }

    /// Applies a simulated credit of `amount` VND with transfer memo `memo` to the
    /// collecting account (the sandbox's helper API and the checkout's "simulate
    /// transfer" button; a bank feed's credits go through [`Gateway::receive_feed`]):
    /// the QR order whose appotapayTransId is the memo succeeds when the amount is
    /// exactly its own. `partner` restricts the match to one partner's orders.
    pub async fn bank_credit(
        &self,
        partner: Option<&str>,
        amount: i64,
        memo: &str,
    ) -> Result<CreditOutcome, CoreError> {
        let order = match self.store.get_order(memo.trim()).await? {
            Some(o) if o.kind == OrderKind::Qr && partner.is_none_or(|p| p == o.partner_code) => o,
            _ => return Ok(CreditOutcome::UnknownMemo),
        };
        if amount != order.amount {
            return Ok(CreditOutcome::AmountMismatch);
        }
        match self.settle_order(order, Event::Succeed, SettleDetails::default()).await? {
            Some(s) => Ok(CreditOutcome::Applied(Box::new(s))),
            None => Ok(CreditOutcome::UnknownMemo),
        }
    }

    /// A bank feed's webhook for `partner_code`: authenticated against the partner's
    /// feeds of `provider` (nothing is recorded when none accepts it), then every
    /// transaction of the body recorded and judged.
    pub async fn receive_feed(
        &self,
        provider: Provider,
        partner_code: &str,
        req: FeedRequest<'_>,
    ) -> Result<FeedReceipt, CoreError> {
        if !self.feed_accepts(provider, partner_code, &req).await? {
            metrics::feed_auth_failure(provider.as_str());
            return Ok(FeedReceipt::Unauthorized);
        }
        let parsed = match provider {
            Provider::Sepay => sepay::parse_webhook(req.body).map(|t| (vec![t], Vec::new())),
            Provider::Casso => casso::parse_webhook(req.body).map(|b| (b.transactions, b.rejected)),
        };
        let (transactions, rejected) = match parsed {
            Ok(t) => t,
            Err(e) => {
                let why = e.to_string();
                self.keep_unreadable(provider, partner_code, req.body, &why).await?;
                return Ok(FeedReceipt::Unreadable(why));
            }
        };
        // A row that does not read is kept for the operator; the others still count.
        for row in &rejected {
            self.keep_unreadable(provider, partner_code, row.raw.as_bytes(), &row.error.to_string()).await?;
        }
        let mut results = Vec::with_capacity(transactions.len());
        for tx in transactions {
            results.push(self.take_credit(partner_code, &tx, Via::Webhook).await?);
        }
        Ok(FeedReceipt::Accepted(results))
    }

    /// Whether one of the partner's feeds of `provider` accepts the request's
    /// credential (each compared in constant time by the protocol crate).
    async fn feed_accepts(
        &self,
        provider: Provider,
        partner_code: &str,
        req: &FeedRequest<'_>,
    ) -> Result<bool, CoreError> {
        let now = now_ms();
        let mut accepted = false;
        for feed in self.store.partner_feeds(partner_code).await? {
            if feed.auth.provider() != provider {
                continue;
            }
            let Ok(secret) = self.open_feed_secret(&feed.partner_code, &feed.id, &feed.secret_enc) else {
                // One broken feed must not refuse the webhooks another feed accepts.
                tracing::error!(feed = %feed.id, partner = %feed.partner_code, "bank feed credential does not decrypt");
                continue;
            };
            let ok = match feed.auth {
                FeedAuth::SepayApiKey => sepay::verify_api_key(req.authorization, &secret).is_ok(),
                FeedAuth::SepayHmac => {
                    sepay::verify_hmac(req.signature, req.timestamp, req.body, &secret, now / 1000).is_ok()
                }
                FeedAuth::CassoChecksum => casso::verify_v2(req.signature, req.body, &secret, now).is_ok(),
                FeedAuth::CassoSecureToken => casso::verify_v1(req.secure_token, &secret).is_ok(),
            };
            accepted |= ok;
        }
        Ok(accepted)
    }

    /// Keeps a body the feed sent that does not read, for the operator.
    async fn keep_unreadable(
        &self,
        provider: Provider,
        partner_code: &str,
        body: &[u8],
        why: &str,
    ) -> Result<(), CoreError> {
        let kept = &body[..body.len().min(KEPT_UNREADABLE)];
        let credit = NewCredit {
            partner_code: partner_code.to_owned(),
            provider,
            provider_tx_id: None,
            via: Via::Webhook,
            account: String::new(),
            incoming: false,
            amount: 0,
            content: String::new(),
            description: String::new(),
            reference: String::new(),
            booked_at: String::new(),
            raw: String::from_utf8_lossy(kept).into_owned(),
            status: CreditStatus::Unreadable,
            reason: Some(why.to_owned()),
            received_at_ms: now_ms(),
        };
        self.store.insert_credit(&credit).await?;
        metrics::credit_unreadable(provider.as_str());
        Ok(())
    }

    /// Records one transaction a feed of `partner_code` reported (once per provider
    /// transaction id) and judges it: it settles its order, or stays open with the
    /// reason it paid nothing.
    pub async fn take_credit(
        &self,
        partner_code: &str,
        tx: &FeedTransaction,
        via: Via,
    ) -> Result<CreditResult, CoreError> {
        let new = NewCredit {
            partner_code: partner_code.to_owned(),
            provider: tx.provider,
            provider_tx_id: Some(tx.id.clone()),
            via,
            account: tx.account.clone(),
            incoming: tx.incoming,
            amount: tx.amount,
            content: tx.content.clone(),
            description: tx.description.clone(),
            reference: tx.reference.clone(),
            booked_at: tx.booked_at.clone(),
            raw: tx.raw.clone(),
            status: CreditStatus::Received,
            reason: None,
            received_at_ms: now_ms(),
        };
        let Some(id) = self.store.insert_credit(&new).await? else {
            metrics::credit_received(tx.provider.as_str(), via.as_str(), "duplicate");
            // A retry of a delivery whose judging died with its node (the provider saw
            // no answer): judge it now rather than at the next stale pass.
            if let Some(c) = self.store.find_credit(partner_code, tx.provider.as_str(), &tx.id).await? {
                if c.status == CreditStatus::Received {
                    return self.judge_credit(c.id, &c.new).await;
                }
            }
            return Ok(CreditResult::Duplicate);
        };
        metrics::credit_received(tx.provider.as_str(), via.as_str(), "new");
        self.judge_credit(id, &new).await
    }

    /// Judges a recorded credit still `received` and applies the judgement.
    async fn judge_credit(&self, id: i64, c: &NewCredit) -> Result<CreditResult, CoreError> {
        // The same bank transfer, reported again through another feed of the partner
        // (an account linked to both SePay and Casso): one payment, not two.
        if c.reference.trim().len() >= MIN_REFERENCE {
            if let Some(first) = self.store.same_transfer(id, c).await? {
                let why = format!("same bank transfer as credit {}", first.id);
                return Ok(
                    if self.close_credit(id, CreditStatus::Ignored, Some(&why), first.trans_id.as_deref()).await? {
                        metrics::credit_received(c.provider.as_str(), c.via.as_str(), "same_transfer");
                        CreditResult::Duplicate
                    } else {
                        CreditResult::JudgedElsewhere
                    },
                );
            }
        }
        let ids = memo::trans_ids(&[&c.content, &c.description]);
        let order = match ids.as_slice() {
            [one] => self.store.get_order(one).await?,
            _ => None,
        };
        // The account the order's own VietQR named (a partner may have changed its
        // account since), or the partner's current one.
        let collecting = match order.as_ref().filter(|o| o.partner_code == c.partner_code && o.kind == OrderKind::Qr) {
            Some(o) => self.order_account(o).await?,
            None => self.collecting_account_of(&c.partner_code).await?,
        };
        let named = order.as_ref().map(|o| NamedOrder {
            trans_id: o.trans_id.as_str(),
            qr_of_partner: o.kind == OrderKind::Qr && o.partner_code == c.partner_code,
            state: o.state,
            amount: o.amount,
        });
        let facts = Facts {
            incoming: c.incoming,
            account: &c.account,
            amount: c.amount,
            collecting: &collecting.account,
            ids: &ids,
            order: named,
        };
        match credit::judge(&facts) {
            Judgement::Ignore => Ok(if self.close_credit(id, CreditStatus::Ignored, None, None).await? {
                CreditResult::Ignored
            } else {
                CreditResult::JudgedElsewhere
            }),
            Judgement::Unmatched(why, trans_id) => self.open_credit(id, why, trans_id.as_deref()).await,
            Judgement::Settle(trans_id) => {
                let details = SettleDetails { credit_id: Some(id), ..SettleDetails::default() };
                match self.settle(&trans_id, Event::Succeed, details).await? {
                    Some(Settlement::Changed(o)) if o.state == State::Success => {
                        metrics::credit_matched(c.provider.as_str());
                        Ok(CreditResult::Settled(trans_id))
                    }
                    // The order's lifetime ended before the credit came: it expired instead.
                    Some(Settlement::Changed(o)) => {
                        self.open_credit(id, Unmatched::late(o.state), Some(&trans_id)).await
                    }
                    Some(Settlement::Rejected(_, o)) if !o.state.is_final() => Ok(CreditResult::JudgedElsewhere),
                    Some(Settlement::Rejected(_, o)) => {
                        self.open_credit(id, Unmatched::late(o.state), Some(&trans_id)).await
                    }
                    None => self.open_credit(id, Unmatched::UnknownTransId, Some(&trans_id)).await,
                }
            }
        }
    }

    async fn open_credit(&self, id: i64, why: Unmatched, trans_id: Option<&str>) -> Result<CreditResult, CoreError> {
        if !self.close_credit(id, CreditStatus::Open, Some(why.as_str()), trans_id).await? {
            return Ok(CreditResult::JudgedElsewhere);
        }
        metrics::credit_unmatched(why.as_str());
        Ok(CreditResult::Unmatched(why))
    }

    /// Moves a `received` credit to `status`; `false` when another node judged it
    /// first.
    async fn close_credit(
        &self,
        id: i64,
        status: CreditStatus,
        reason: Option<&str>,
        trans_id: Option<&str>,
    ) -> Result<bool, CoreError> {
        Ok(self.store.decide_credit(id, status, reason, trans_id, now_ms()).await?)
    }

    /// Judges again the credits whose judging died (a crash after recording them);
    /// returns how many it judged.
    pub async fn judge_stale_credits(&self) -> Result<usize, CoreError> {
        let stale = self.store.stale_credits(now_ms() - STALE_CREDIT_MS, 100).await?;
        let mut n = 0;
        for c in stale {
            if self.judge_credit(c.id, &c.new).await? != CreditResult::JudgedElsewhere {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Credits on record, newest first.
    pub async fn credits(&self, q: &CreditQuery<'_>) -> Result<Vec<Credit>, CoreError> {
        Ok(self.store.list_credits(q.partner_code, q.status, q.offset, q.limit.clamp(1, 500)).await?)
    }

    /// A credit by id.
    pub async fn credit(&self, id: i64) -> Result<Option<Credit>, CoreError> {
        Ok(self.store.get_credit(id).await?)
    }

    /// Marks an open (or unreadable) credit as handled by a person, with a note
    /// saying how (typically: the merchant paid it back by hand). It moves no money.
    /// `Ok(None)`: no such credit; `Ok(Some(false))`: it is not open.
    pub async fn resolve_credit(&self, id: i64, note: &str) -> Result<Option<bool>, CoreError> {
        if self.store.get_credit(id).await?.is_none() {
            return Ok(None);
        }
        Ok(Some(self.store.resolve_credit(id, note, now_ms()).await?))
    }

    /// Decrypts a feed's sealed credential (bound to its partner and feed id).
    pub(super) fn open_feed_secret(
        &self,
        partner_code: &str,
        feed_id: &str,
        sealed: &[u8],
    ) -> Result<String, CoreError> {
        self.keys.open(&feed_aad(partner_code, feed_id), sealed).map_err(|_| CoreError::Key(partner_code.to_owned()))
    }
}

/// The associated data a feed's credentials are sealed with: a sealed value copied to
/// another feed or partner does not open.
pub(super) fn feed_aad(partner_code: &str, feed_id: &str) -> String {
    format!("bank-feed/{partner_code}/{feed_id}")
}

/// The provider's own acknowledgement body.
pub fn provider_ok_body(provider: Provider) -> &'static str {
    match provider {
        Provider::Sepay => sepay::OK_BODY,
        Provider::Casso => casso::OK_BODY,
    }
}

/// A provider's name as the feed routes spell it.
pub fn provider_named(name: &str) -> Option<Provider> {
    name.parse::<bankfeed::Provider>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_parses_back() {
        let acc = CollectingAccount { bin: "970415".into(), account: "113366668888".into(), name: "X".into() };
        let p = vietqr_payload(&acc, 79_000, "AP123456789012").expect("payload");
        let qr = VietQr::parse(&p).expect("parses");
        assert_eq!(qr.amount, Some(79_000));
        assert_eq!(qr.memo.as_deref(), Some("AP123456789012"));
        assert!(vietqr_payload(&acc, -1, "AP123456789012").is_none());
    }
}
