//! The store's ports, one trait per resource, and [`Store`], which combines them.
//!
//! A caller names the port it uses (`use crate::store::prelude::*;` brings them
//! all), and `Arc<dyn Store>` hands every port around as one value. Each trait's
//! documentation states the part of the contract (see [`super`]) it keeps.

use super::StoreResult;
use crate::domain::console::{
    AdminToken, AuditEntry, ConsoleOrderQuery, FailingDelivery, FailingGroup, NewAudit, OrderEvent,
};
use crate::domain::credit::{BankAccount, Credit, CreditStatus, FeedRecord, NewCredit};
use crate::domain::idempotency::{Claim, KeyRecord, StoredAnswer};
use crate::domain::records::*;
use crate::domain::request_log::{RequestEntry, Retention};
use crate::domain::stats::{Span, StatsRows};
use crate::domain::test_kit::{DeliveryFault, NewFault};
use async_trait::async_trait;
use std::sync::Arc;
use tokio::sync::Notify;

/// The gateway's persistence: every port, on one database.
#[async_trait]
pub trait Store:
    PartnerStore
    + OrderStore
    + OutboxStore
    + RefundStore
    + CheckoutStore
    + JwtIdStore
    + MetaStore
    + IdempotencyStore
    + CreditStore
    + TestKitStore
    + RequestLogStore
    + ConsoleStore
    + StatsStore
    + Send
    + Sync
    + 'static
{
    /// Answers when the database does.
    async fn ping(&self) -> StoreResult<()>;
    /// Answers once a write is durable: commits `now_ms` under the `gateway_meta` key
    /// [`HEARTBEAT_KEY`] (a one-row upsert), through the path every write takes (on
    /// SQLite the writer thread and its group commit).
    async fn ping_write(&self, now_ms: i64) -> StoreResult<()>;
}

/// The `gateway_meta` key the health check writes.
pub const HEARTBEAT_KEY: &str = "heartbeat_ms";

/// Partners and their sub-accounts.
#[async_trait]
pub trait PartnerStore: Send + Sync {
    /// Inserts a partner; `false` if the code exists.
    async fn insert_partner(&self, partner: &PartnerRecord) -> StoreResult<bool>;
    /// A partner by code.
    async fn get_partner(&self, code: &str) -> StoreResult<Option<PartnerRecord>>;
    /// Every partner, by code.
    async fn list_partners(&self) -> StoreResult<Vec<PartnerRecord>>;
    /// Locks or unlocks a partner; `false` if unknown.
    async fn set_partner_locked(&self, code: &str, locked: bool) -> StoreResult<bool>;
    /// Replaces a partner's credentials if its API key is still `current_api_key`
    /// (a compare-and-set); `false` if the partner is unknown or its key changed.
    async fn rotate_partner_keys(&self, code: &str, current_api_key: &str, rotation: &KeyRotation)
    -> StoreResult<bool>;
    /// Inserts a sub-account; `false` if the partner is unknown.
    async fn insert_sub_account(&self, sub: &SubAccount) -> StoreResult<bool>;
    /// A sub-account by id.
    async fn get_sub_account(&self, id: &str) -> StoreResult<Option<SubAccount>>;
    /// Replaces a partner's allowed methods and banks; `false` if unknown.
    async fn set_partner_allowed(&self, code: &str, allowed: &Allowed) -> StoreResult<bool>;
}

/// Orders and their state. `(partner_code, order_id)` is unique: a duplicate is
/// reported ([`CreateOutcome::DuplicateOrderId`]), not an error. Inserting an order
/// already stored under the same trans id and order id answers
/// [`CreateOutcome::Created`] (a retry of an insert whose answer was lost).
#[async_trait]
pub trait OrderStore: Send + Sync {
    /// Inserts an order.
    async fn create_order(&self, order: &Order) -> StoreResult<CreateOutcome>;
    /// An order by appotapayTransId.
    async fn get_order(&self, trans_id: &str) -> StoreResult<Option<Order>>;
    /// An order by the partner's order id.
    async fn find_order(&self, partner_code: &str, order_id: &str) -> StoreResult<Option<Order>>;
    /// Applies a state change if the order is still in `change.from` (a
    /// compare-and-set); writes the outbox row and the saved card (if any) in the same
    /// transaction. `false` if the order had moved on.
    async fn apply_change(&self, change: &StateChange) -> StoreResult<bool>;
    /// How many orders a list matches, and its page (newest first).
    async fn list_orders(&self, query: &OrderQuery) -> StoreResult<(i64, Vec<Order>)>;
    /// A saved card by token, deleted or not.
    async fn get_token(&self, token: &str) -> StoreResult<Option<CardToken>>;
    /// Deletes a partner's live saved card; `false` if it has none by that token.
    async fn delete_token(&self, partner_code: &str, token: &str, now_ms: i64) -> StoreResult<bool>;
    /// Pending orders whose lifetime ended at or before `now_ms`.
    async fn overdue_orders(&self, now_ms: i64, limit: u32) -> StoreResult<Vec<Order>>;
}

/// The IPN outbox: its rows, their leases, attempts and deliveries.
///
/// Rows are claimed with a lease, so a crashed worker's rows come back; concurrent
/// claimers never get the same row. An attempt's outcome moves its row on only while
/// it is the row's latest attempt, except a delivery, which always ends the row: a
/// worker whose lease ran out never undoes a delivery nor overrides the attempt that
/// took the row over.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Claims due outbox rows, leasing them until `lease_until_ms`, and counts the
    /// attempt being made.
    async fn claim_outbox(&self, now_ms: i64, lease_until_ms: i64, limit: u32) -> StoreResult<Vec<OutboxItem>>;
    /// Records an attempt and what happens next to its row.
    async fn finish_attempt(&self, attempt: &AttemptRecord, next: NextStep) -> StoreResult<()>;
    /// When the earliest pending outbox row is due.
    async fn next_outbox_due(&self) -> StoreResult<Option<i64>>;
    /// Number of outbox rows not yet delivered or given up.
    async fn outbox_depth(&self) -> StoreResult<i64>;
    /// Called once at start: releases the leases a previous run of this node left.
    /// A single-node store releases every lease (nothing else can hold one); a store
    /// shared by several nodes releases none, since a lease may belong to a node
    /// that is delivering right now (a dead node's leases simply run out).
    async fn release_leases(&self) -> StoreResult<()>;
    /// The outbox rows of a transaction with their attempts, oldest first.
    async fn deliveries(&self, trans_id: &str) -> StoreResult<Vec<Delivery>>;
    /// A signal fired whenever any node queues an IPN, for stores that other
    /// processes write to (PostgreSQL `LISTEN`). `None` when only this process
    /// writes: it wakes its own worker. The gateway's worker waits on it.
    fn outbox_signal(&self) -> Option<Arc<Notify>> {
        None
    }
}

/// Refunds. A refund is admitted and inserted in one transaction, with every refund
/// of the same order serialised (SQLite: the single writer; a server database: the
/// order row locked `FOR UPDATE` first), so concurrent refunds can never together
/// exceed the paid amount; a status change is a compare-and-set.
#[async_trait]
pub trait RefundStore: Send + Sync {
    /// Admits and inserts a refund atomically: the order must exist and belong to
    /// `refund.partner_code` (else 36), the partner's refundId must be new (31), then
    /// [`crate::domain::refund::admit`] decides against the order's state and the
    /// committed sum of its refunds, read in the same transaction as the insert, with
    /// the order row locked so that refunds of one order are serialised.
    async fn create_refund(&self, refund: &Refund, min_amount: i64) -> StoreResult<RefundCreate>;
    /// Applies a status change if the refund is still in `change.from`; `false` if it
    /// had moved on.
    async fn update_refund(&self, change: &RefundChange) -> StoreResult<bool>;
    /// A refund by the gateway's refund id.
    async fn get_refund(&self, refund_id: &str) -> StoreResult<Option<Refund>>;
    /// A refund by the partner's refundId.
    async fn find_refund(&self, partner_code: &str, refund_original_id: &str) -> StoreResult<Option<Refund>>;
    /// The refunds of a transaction, oldest first.
    async fn order_refunds(&self, trans_id: &str) -> StoreResult<Vec<Refund>>;
    /// The sums of a transaction's refunds.
    async fn refund_totals(&self, trans_id: &str) -> StoreResult<RefundTotals>;
    /// One page (`offset`, `limit`) of a partner's refunds matching `filter`, newest
    /// first, with the count and sum of every match.
    async fn list_refunds(
        &self,
        partner_code: &str,
        filter: &RefundFilter,
        offset: u64,
        limit: u32,
    ) -> StoreResult<RefundPage>;
    /// Pending and processing refunds whose next step is due at `now_ms`, earliest first.
    async fn due_refunds(&self, now_ms: i64, limit: u32) -> StoreResult<Vec<Refund>>;
}

/// The hosted checkout's progress. It lives here, never in a node's memory, so that
/// any node can serve a customer's next page.
#[async_trait]
pub trait CheckoutStore: Send + Sync {
    /// The checkout progress of an order, if the customer started.
    async fn get_checkout(&self, trans_id: &str) -> StoreResult<Option<Checkout>>;
    /// Writes the checkout row of an order (insert or replace), all but its count of
    /// wrong OTPs: that belongs to the transaction, whatever card is tried, and only
    /// [`CheckoutStore::add_wrong_otp`] raises it.
    async fn put_checkout(&self, checkout: &Checkout) -> StoreResult<()>;
    /// Counts one more wrong OTP, atomically; returns the new count (0 when the order
    /// has no checkout row).
    async fn add_wrong_otp(&self, trans_id: &str, now_ms: i64) -> StoreResult<u32>;
    /// Checkout rows whose processing payment is due at or before `now_ms` and whose
    /// order is still processing.
    async fn due_processing(&self, now_ms: i64, limit: u32) -> StoreResult<Vec<Checkout>>;
}

/// The JWT ids already used, for the replay check.
#[async_trait]
pub trait JwtIdStore: Send + Sync {
    /// Records that a partner's JWT id was used, until `expires_at_ms`: `true` the
    /// first time, `false` while an earlier use is on record (a replay). An id whose
    /// record has expired counts as new.
    async fn claim_jti(&self, partner_code: &str, jti: &str, expires_at_ms: i64, now_ms: i64) -> StoreResult<bool>;
    /// Forgets the JWT ids that expired before `now_ms`; returns how many.
    async fn prune_jtis(&self, now_ms: i64) -> StoreResult<u64>;
}

/// Facts about the database itself (`gateway_meta`), such as the mode — sandbox or
/// production — it was first started in, so that a gateway never starts on a
/// database of the other mode.
#[async_trait]
pub trait MetaStore: Send + Sync {
    /// The value recorded under `key`, if any.
    async fn meta(&self, key: &str) -> StoreResult<Option<String>>;
    /// Records `value` under `key` unless the key already has a value, atomically;
    /// returns the value stored: `value` the first time, the earlier one ever after.
    /// Concurrent claims, from any handle on the database, all return the same value.
    async fn claim_meta(&self, key: &str, value: &str) -> StoreResult<String>;
}

/// Idempotency keys and the answers kept for them (see
/// [`crate::domain::idempotency`]), shared by every node on the database.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims a key for a request: `true` if the key was free, expired, or held by
    /// an unanswered claim of the same fingerprint whose `locked_until_ms` has
    /// passed; `false` if another request holds it. Of concurrent claims of one key,
    /// from any handle on the database, at most one gets `true`.
    async fn claim_key(&self, claim: &Claim, now_ms: i64) -> StoreResult<bool>;
    /// What is on record for a partner's key.
    async fn key_record(&self, partner_code: &str, key: &str) -> StoreResult<Option<KeyRecord>>;
    /// Records the answer of the request holding `claim`; `false` (nothing written)
    /// if the claim was taken over or already answered.
    async fn finish_key(&self, claim: &Claim, answer: &StoredAnswer) -> StoreResult<bool>;
    /// Forgets the keys kept until `now_ms` or earlier; returns how many.
    async fn purge_keys(&self, now_ms: i64) -> StoreResult<u64>;
}

/// Partners' collecting accounts, their bank feeds, and the credits the feeds report.
///
/// A provider's transaction is recorded once, whichever node (or the webhook and the
/// reconciliation both) receives it; a credit's status moves on from `received` by
/// compare-and-set only, and [`OrderStore::apply_change`] marks the credit that pays
/// an order `settled` in the settling transaction.
#[async_trait]
pub trait CreditStore: Send + Sync {
    /// Sets a partner's collecting account; `false` if the partner is unknown.
    async fn set_partner_account(&self, partner_code: &str, account: &BankAccount, now_ms: i64) -> StoreResult<bool>;
    /// Removes a partner's collecting account (its orders then use the gateway's);
    /// `false` if it had none.
    async fn clear_partner_account(&self, partner_code: &str) -> StoreResult<bool>;
    /// A partner's collecting account.
    async fn partner_account(&self, partner_code: &str) -> StoreResult<Option<BankAccount>>;
    /// Adds a feed; `false` if the partner is unknown.
    async fn insert_feed(&self, feed: &FeedRecord) -> StoreResult<bool>;
    /// A partner's feeds, oldest first.
    async fn partner_feeds(&self, partner_code: &str) -> StoreResult<Vec<FeedRecord>>;
    /// Removes a partner's feed; `false` if there is no such feed.
    async fn remove_feed(&self, partner_code: &str, feed_id: &str) -> StoreResult<bool>;
    /// Polled feeds whose reconciliation is due at `now_ms`.
    async fn due_feeds(&self, now_ms: i64, limit: u32) -> StoreResult<Vec<FeedRecord>>;
    /// Moves a due feed's next reconciliation from `due_ms` to `next_ms`; `false` if
    /// another node took it first.
    async fn take_reconciliation(&self, feed_id: &str, due_ms: i64, next_ms: i64) -> StoreResult<bool>;
    /// Records a credit; its id, or `None` when the partner's provider transaction id
    /// is already on record (a duplicate delivery: nothing is written).
    async fn insert_credit(&self, credit: &NewCredit) -> StoreResult<Option<i64>>;
    /// A credit by id.
    async fn get_credit(&self, id: i64) -> StoreResult<Option<Credit>>;
    /// A partner's credit by provider and the provider's transaction id.
    async fn find_credit(
        &self,
        partner_code: &str,
        provider: &str,
        provider_tx_id: &str,
    ) -> StoreResult<Option<Credit>>;
    /// The earliest credit other than `id` of the same partner for the same bank
    /// transfer as `credit` (same account, bank reference, amount and direction): the
    /// transfer reported again through another feed.
    async fn same_transfer(&self, id: i64, credit: &NewCredit) -> StoreResult<Option<Credit>>;
    /// Judges a credit still `received`: `false` if it had been judged already.
    async fn decide_credit(
        &self,
        id: i64,
        status: CreditStatus,
        reason: Option<&str>,
        trans_id: Option<&str>,
        now_ms: i64,
    ) -> StoreResult<bool>;
    /// Resolves an open or unreadable credit with a note; `false` otherwise.
    async fn resolve_credit(&self, id: i64, note: &str, now_ms: i64) -> StoreResult<bool>;
    /// Credits, newest first, of one partner and one status when given.
    async fn list_credits(
        &self,
        partner_code: Option<&str>,
        status: Option<CreditStatus>,
        offset: u64,
        limit: u32,
    ) -> StoreResult<Vec<Credit>>;
    /// Credits still `received` since before `before_ms`, oldest first.
    async fn stale_credits(&self, before_ms: i64, limit: u32) -> StoreResult<Vec<Credit>>;
}

/// The sandbox's test kit: scripted delivery faults and per-partner test clocks,
/// shared by every node on the database.
#[async_trait]
pub trait TestKitStore: Send + Sync {
    /// Records a fault script; its id.
    async fn insert_fault(&self, fault: &NewFault) -> StoreResult<i64>;
    /// A partner's fault scripts, oldest first.
    async fn partner_faults(&self, partner_code: &str) -> StoreResult<Vec<DeliveryFault>>;
    /// Forgets a partner's fault scripts; how many.
    async fn clear_faults(&self, partner_code: &str) -> StoreResult<u64>;
    /// The fault script that applies to an IPN of the partner's order created at
    /// `created_at_ms`: the order's own, else one for the partner's next orders
    /// recorded before the order. Reading it uses nothing: the transaction that queues
    /// the IPN does ([`StateChange`]'s outbox row names it).
    async fn fault_for(
        &self,
        partner_code: &str,
        trans_id: &str,
        created_at_ms: i64,
    ) -> StoreResult<Option<DeliveryFault>>;
    /// Forgets the scripts of one of the partner's orders.
    async fn clear_order_faults(&self, partner_code: &str, trans_id: &str) -> StoreResult<u64>;
    /// How far the partner's clock is ahead of real time, ms.
    async fn clock_offset(&self, partner_code: &str) -> StoreResult<i64>;
    /// Moves the partner's clock `by_ms` ahead and every due time of the partner (see
    /// [`crate::store::sql::test_kit::ADVANCE_STATEMENTS`]) that much earlier, in one
    /// transaction; the new offset.
    async fn advance_clock(&self, partner_code: &str, by_ms: i64) -> StoreResult<i64>;
}

/// The sandbox's request log (see [`crate::domain::request_log`]), shared by every
/// node on the database.
#[async_trait]
pub trait RequestLogStore: Send + Sync {
    /// Records entries (in their order, in one transaction), then forgets what
    /// `keep` no longer covers: every entry older than `keep.since_ms`, and each
    /// recorded partner's beyond its newest `keep.max`, exactly, however many nodes
    /// write at once. The bound costs what it deletes, not what it keeps: each
    /// partner's count is kept beside the log ([`crate::store::sql::request_log`]).
    async fn insert_requests(&self, entries: &[RequestEntry], keep: Retention) -> StoreResult<()>;
    /// Entries with an id above `after_id`, of one partner when given, oldest first.
    async fn requests_after(
        &self,
        partner_code: Option<&str>,
        after_id: i64,
        limit: u32,
    ) -> StoreResult<Vec<RequestEntry>>;
    /// Entries with an id below `before_id`, of one partner when given, newest first.
    async fn requests_before(
        &self,
        partner_code: Option<&str>,
        before_id: i64,
        limit: u32,
    ) -> StoreResult<Vec<RequestEntry>>;
}

/// What the console and the admin API need beyond the other ports: admin tokens,
/// the audit log, order events (the checkout's steps), the search over every
/// partner's orders, the failing IPNs and their requeues, and two partner settings.
#[async_trait]
pub trait ConsoleStore: Send + Sync {
    /// Inserts an admin token; `false` if its id or hash exists.
    async fn insert_admin_token(&self, token: &AdminToken) -> StoreResult<bool>;
    /// The admin token with this SHA-256 (hex), revoked or not.
    async fn admin_token_by_hash(&self, hash: &str) -> StoreResult<Option<AdminToken>>;
    /// An admin token by id, revoked or not.
    async fn admin_token(&self, id: &str) -> StoreResult<Option<AdminToken>>;
    /// Every admin token, oldest first.
    async fn admin_tokens(&self) -> StoreResult<Vec<AdminToken>>;
    /// Revokes a live token; `false` if unknown or revoked already.
    async fn revoke_admin_token(&self, id: &str, now_ms: i64) -> StoreResult<bool>;
    /// Appends to the audit log; the entry's id.
    async fn insert_audit(&self, entry: &NewAudit) -> StoreResult<()>;
    /// The audit log, newest first: entries below `before_id` (all when `None`) about
    /// `target` (any when `None`).
    async fn audit_log(&self, before_id: Option<i64>, target: Option<&str>, limit: u32)
    -> StoreResult<Vec<AuditEntry>>;
    /// Records a checkout step of an order.
    async fn insert_order_event(&self, event: &OrderEvent) -> StoreResult<()>;
    /// An order's checkout steps, in order.
    async fn order_events(&self, trans_id: &str) -> StoreResult<Vec<OrderEvent>>;
    /// How many orders of any partner a search matches, and its page (newest first).
    async fn search_orders(&self, query: &ConsoleOrderQuery) -> StoreResult<(i64, Vec<Order>)>;
    /// The IPNs tried and not delivered (retrying or given up), by partner and URL,
    /// counted (of one partner when given), the groups with the newest failures
    /// first, `limit` of them.
    async fn failing_groups(&self, partner_code: Option<&str>, limit: u32) -> StoreResult<Vec<FailingGroup>>;
    /// The newest `limit` failing IPNs of a partner to a URL, each with its last
    /// finished attempt.
    async fn failing_of_url(&self, partner_code: &str, url: &str, limit: u32) -> StoreResult<Vec<FailingDelivery>>;
    /// One outbox row as [`ConsoleStore::failing_of_url`] shows it, whatever its
    /// status.
    async fn outbox_row(&self, outbox_id: i64) -> StoreResult<Option<FailingDelivery>>;
    /// The outbox id of a transaction's latest IPN.
    async fn latest_outbox_row(&self, trans_id: &str) -> StoreResult<Option<i64>>;
    /// Sends an IPN again at `now_ms`: a delivered one as a new outbox row (same
    /// URL and body; the delivered row is never changed), an undelivered one by
    /// making its row due (unless an attempt holds its lease right now). The id of
    /// the row now due; `None` if unknown or in flight.
    async fn resend_outbox_row(&self, outbox_id: i64, now_ms: i64) -> StoreResult<Option<i64>>;
    /// Makes due at `now_ms` every failing IPN of a partner (to one URL when given)
    /// that no attempt holds; how many.
    async fn redrive(&self, partner_code: &str, url: Option<&str>, now_ms: i64) -> StoreResult<u64>;
    /// Sets whether a partner gets IPNs of failed payments too; `false` if unknown.
    async fn set_notify_failures(&self, partner_code: &str, on: bool) -> StoreResult<bool>;
    /// A partner's sub-accounts, oldest first.
    async fn sub_accounts(&self, partner_code: &str) -> StoreResult<Vec<SubAccount>>;
}

/// The operator's overview (see [`crate::domain::stats`]): counts aggregated by the
/// database, a few rows per bucket whatever the traffic.
#[async_trait]
pub trait StatsStore: Send + Sync {
    /// The orders, IPN attempts, outbox moves and refunds of `span`, grouped by
    /// bucket (bucket numbers outside `0..span.buckets` may appear and are to be
    /// ignored). Each statement reads a range of one indexed time column and
    /// groups in SQL: nothing is read row by row.
    async fn stats(&self, span: &Span) -> StoreResult<StatsRows>;
}
