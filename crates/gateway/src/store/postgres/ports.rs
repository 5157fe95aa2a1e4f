//! The ports on PostgreSQL: each method runs the shared statements of
//! [`crate::store::sql`] on the pool, in a transaction where it takes several, and
//! adds what only PostgreSQL has: row locks (`FOR UPDATE`, `SKIP LOCKED`),
//! `pg_notify`, statements chained in one `WITH`, and the NUL rules of [`super`].

use super::{PgStore, all, execute, exists, first, impossible_key, storable, storable_value};
use crate::domain::idempotency::{Claim, KeyRecord, StoredAnswer};
use crate::domain::records::*;
use crate::domain::refund::Refusal;
use crate::store::StoreResult;
use crate::store::ports::*;
use crate::store::sql::{
    Sql, SqlRow, args, checkout, credits, idempotency, jwt_ids, meta, orders, outbox, partners, refunds, test_kit,
};
use async_trait::async_trait;
use std::sync::Arc;
use tokio::sync::Notify;

/// Queues an IPN and, at commit, notifies every listening node (`$8`: the channel).
static QUEUE_AND_NOTIFY: Sql = Sql::new(|| {
    format!("WITH queued AS ({} RETURNING id) SELECT pg_notify($8, '') FROM queued", outbox::INSERT_OUTBOX.postgres())
});

/// A settlement that queues one IPN, as one statement in autocommit: the
/// compare-and-set ([`orders::APPLY_CHANGE`], `$1` … `$13`), the IPN queued only
/// for the order it changed (`$14` … `$20`, [`outbox::outbox_params`]) and the
/// notification of the listening nodes (`$21`: the channel), all committed together
/// or not at all. Its row: how many orders changed (0 or 1). The transaction it
/// replaces (`BEGIN`, the update, the insert, `COMMIT`) took four round trips, each
/// waiting its turn among the requests of a busy node.
static SETTLE_AND_QUEUE: Sql = Sql::new(|| {
    format!(
        "WITH changed AS ({} RETURNING trans_id), \
         queued AS (INSERT INTO outbox ({}) SELECT {} FROM changed RETURNING id) \
         SELECT (SELECT COUNT(*) FROM changed), COUNT(*) FROM (SELECT pg_notify($21, '') FROM queued) notified",
        orders::APPLY_CHANGE.postgres(),
        outbox::QUEUED_COLUMNS,
        outbox::queued_values(14)
    )
});

/// Leases due rows and counts the attempt. SKIP LOCKED: rows another node is
/// claiming right now are passed over rather than waited for; a row claimed and
/// committed since this statement's snapshot is re-checked after locking and no
/// longer matches (its lease is in the future).
static CLAIM_OUTBOX: Sql = Sql::new(|| {
    format!(
        "UPDATE outbox SET locked_until_ms = $1, attempts = outbox.attempts + 1 \
         FROM (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at_ms <= $2 \
               AND locked_until_ms <= $2 ORDER BY next_attempt_at_ms LIMIT $3 FOR UPDATE SKIP LOCKED) due \
         WHERE outbox.id = due.id RETURNING {}",
        crate::store::sql::qualified("outbox", outbox::CLAIMED_COLUMNS)
    )
});

/// Records an attempt and moves its row on in one statement, so both commit
/// together (see [`outbox::FINISH_OUTBOX_ROW`] for when the row moves).
static FINISH_ATTEMPT: Sql = Sql::new(|| {
    format!("WITH recorded AS ({}) {}", outbox::INSERT_ATTEMPT.postgres(), outbox::FINISH_OUTBOX_ROW.postgres())
});

/// The refunded order, locked: every refund of one order, on any node, waits here
/// for the previous one to commit, then reads sums that include it.
static LOCK_ORDER_FOR_REFUND: Sql = Sql::new(|| format!("{} FOR UPDATE", refunds::ORDER_FOR_REFUND.postgres()));

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ())?;
        Ok(())
    }

    async fn ping_write(&self, now_ms: i64) -> StoreResult<()> {
        let value = now_ms.to_string();
        execute(&self.pool, meta::PUT_META.postgres(), &args![HEARTBEAT_KEY, value.as_str()]).await.map(|_| ())
    }
}

#[async_trait]
impl PartnerStore for PgStore {
    async fn insert_partner(&self, p: &PartnerRecord) -> StoreResult<bool> {
        let args = partners::partner_params(p);
        Ok(execute(&self.pool, partners::INSERT_PARTNER.postgres(), &args).await? == 1)
    }

    async fn get_partner(&self, code: &str) -> StoreResult<Option<PartnerRecord>> {
        if impossible_key(&[code]) {
            return Ok(None);
        }
        first(&self.pool, partners::GET_PARTNER.postgres(), &args![code], partners::partner_from_row).await
    }

    async fn list_partners(&self) -> StoreResult<Vec<PartnerRecord>> {
        all(&self.pool, partners::LIST_PARTNERS.postgres(), &[], partners::partner_from_row).await
    }

    async fn set_partner_locked(&self, code: &str, locked: bool) -> StoreResult<bool> {
        if impossible_key(&[code]) {
            return Ok(false);
        }
        Ok(execute(&self.pool, partners::SET_PARTNER_LOCKED.postgres(), &args![locked, code]).await? == 1)
    }

    async fn rotate_partner_keys(&self, code: &str, current_api_key: &str, r: &KeyRotation) -> StoreResult<bool> {
        if impossible_key(&[code, current_api_key]) {
            return Ok(false);
        }
        let args = partners::rotation_params(code, current_api_key, r);
        Ok(execute(&self.pool, partners::ROTATE_PARTNER_KEYS.postgres(), &args).await? == 1)
    }

    async fn insert_sub_account(&self, s: &SubAccount) -> StoreResult<bool> {
        if impossible_key(&[&s.partner_code]) {
            return Ok(false);
        }
        let args = partners::sub_account_params(s);
        Ok(execute(&self.pool, partners::INSERT_SUB_ACCOUNT.postgres(), &args).await? == 1)
    }

    async fn get_sub_account(&self, id: &str) -> StoreResult<Option<SubAccount>> {
        if impossible_key(&[id]) {
            return Ok(None);
        }
        first(&self.pool, partners::GET_SUB_ACCOUNT.postgres(), &args![id], partners::sub_account_from_row).await
    }

    async fn set_partner_allowed(&self, code: &str, allowed: &Allowed) -> StoreResult<bool> {
        if impossible_key(&[code]) {
            return Ok(false);
        }
        let args = args![allowed.methods.join(","), allowed.banks.join(","), code];
        Ok(execute(&self.pool, partners::SET_PARTNER_ALLOWED.postgres(), &args).await? == 1)
    }
}

#[async_trait]
impl OrderStore for PgStore {
    async fn create_order(&self, o: &Order) -> StoreResult<CreateOutcome> {
        // With whatever other orders are waiting, in one statement (see `batch`).
        self.orders.create(o.clone()).await
    }

    async fn get_order(&self, trans_id: &str) -> StoreResult<Option<Order>> {
        if impossible_key(&[trans_id]) {
            return Ok(None);
        }
        first(&self.pool, orders::GET_ORDER.postgres(), &args![trans_id], orders::order_from_row).await
    }

    async fn find_order(&self, partner_code: &str, order_id: &str) -> StoreResult<Option<Order>> {
        if impossible_key(&[partner_code, order_id]) {
            return Ok(None);
        }
        let args = args![partner_code, order_id];
        first(&self.pool, orders::FIND_ORDER.postgres(), &args, orders::order_from_row).await
    }

    async fn apply_change(&self, ch: &StateChange) -> StoreResult<bool> {
        if impossible_key(&[&ch.trans_id]) {
            return Ok(false);
        }
        // Most changes are one compare-and-set with at most one IPN: one statement,
        // no transaction around it. A credit, a saved card or a delivery fault of
        // the test kit takes the transaction below.
        if ch.credit_id.is_none() && ch.token.is_none() {
            match &ch.outbox {
                None => {
                    return Ok(execute(&self.pool, orders::APPLY_CHANGE.postgres(), &orders::change_params(ch))
                        .await?
                        == 1);
                }
                Some(ob) if ob.fault_id.is_none() && ob.again_after_ms.is_none() => {
                    let mut args = orders::change_params(ch);
                    args.extend(outbox::outbox_params(&ch.trans_id, ob, ch.now_ms));
                    args.push(super::OUTBOX_CHANNEL.into());
                    let changed = first(&self.pool, SETTLE_AND_QUEUE.postgres(), &args, |r| r.int(0)).await?;
                    return Ok(changed == Some(1));
                }
                Some(_) => {}
            }
        }
        let mut tx = self.pool.begin().await?;
        // The credit paying the order first: locking its row makes a concurrent
        // judgement of it (on any node) wait, and this one match nothing if that one
        // came first.
        if let Some(id) = ch.credit_id {
            let args = args![id, &ch.trans_id, ch.now_ms];
            if execute(&mut *tx, credits::CREDIT_SETTLED.postgres(), &args).await? != 1 {
                tx.rollback().await?;
                return Ok(false);
            }
        }
        // The compare-and-set: a concurrent change of the row (from any node) makes
        // this one wait, re-check `state` on the new version, and match nothing.
        if execute(&mut *tx, orders::APPLY_CHANGE.postgres(), &orders::change_params(ch)).await? != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        if let Some(fault) = ch.outbox.as_ref().and_then(|o| o.fault_id) {
            // The script is used up with the IPN it shaped (a last use taken by two
            // orders at once shapes both: this is the sandbox).
            if execute(&mut *tx, test_kit::USE_FAULT_DELETE.postgres(), &args![fault]).await? == 0 {
                execute(&mut *tx, test_kit::USE_FAULT_COUNT.postgres(), &args![fault]).await?;
            }
        }
        if let Some(token) = &ch.token {
            execute(&mut *tx, orders::INSERT_TOKEN.postgres(), &orders::token_params(token)).await?;
        }
        for ob in ch.outbox.iter().flat_map(outbox::queued_rows) {
            // The notification is delivered to the listening nodes at commit, and not
            // at all if the transaction rolls back.
            let mut args = outbox::outbox_params(&ch.trans_id, &ob, ch.now_ms);
            args.push(super::OUTBOX_CHANNEL.into());
            execute(&mut *tx, QUEUE_AND_NOTIFY.postgres(), &args).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn list_orders(&self, q: &OrderQuery) -> StoreResult<(i64, Vec<Order>)> {
        let keys = [q.partner_code.as_str(), q.sub_account.as_deref().unwrap_or("")];
        if impossible_key(&keys) {
            return Ok((0, Vec::new()));
        }
        let total =
            first(&self.pool, orders::COUNT_ORDERS.postgres(), &orders::list_params(q, false), |r| r.int(0)).await?;
        let rows =
            all(&self.pool, orders::LIST_ORDERS.postgres(), &orders::list_params(q, true), orders::order_from_row)
                .await?;
        Ok((total.unwrap_or(0), rows))
    }

    async fn get_token(&self, token: &str) -> StoreResult<Option<CardToken>> {
        if impossible_key(&[token]) {
            return Ok(None);
        }
        first(&self.pool, orders::GET_TOKEN.postgres(), &args![token], orders::token_from_row).await
    }

    async fn delete_token(&self, partner_code: &str, token: &str, now_ms: i64) -> StoreResult<bool> {
        if impossible_key(&[partner_code, token]) {
            return Ok(false);
        }
        let args = args![now_ms, partner_code, token];
        Ok(execute(&self.pool, orders::DELETE_TOKEN.postgres(), &args).await? == 1)
    }

    async fn overdue_orders(&self, now_ms: i64, limit: u32) -> StoreResult<Vec<Order>> {
        all(&self.pool, orders::OVERDUE_ORDERS.postgres(), &args![now_ms, limit], orders::order_from_row).await
    }
}

#[async_trait]
impl OutboxStore for PgStore {
    async fn claim_outbox(&self, now_ms: i64, lease_until_ms: i64, limit: u32) -> StoreResult<Vec<OutboxItem>> {
        let args = args![lease_until_ms, now_ms, limit];
        // The lease commits without waiting for the WAL flush; everything that must
        // last (the order's state, the outbox row, the attempt's outcome) commits
        // with synchronous_commit on (see `Lease`).
        let mut items = self.lease.all(CLAIM_OUTBOX.postgres(), &args, outbox::claimed_from_row).await?;
        items.sort_by_key(|i| i.id);
        Ok(items)
    }

    async fn finish_attempt(&self, a: &AttemptRecord, next: NextStep) -> StoreResult<()> {
        // The merchant's answer (the error and the response's head) may hold NUL.
        let args: Vec<_> = outbox::attempt_params(a, next, crate::now_ms()).iter().map(storable_value).collect();
        execute(&self.pool, FINISH_ATTEMPT.postgres(), &args).await?;
        Ok(())
    }

    async fn next_outbox_due(&self) -> StoreResult<Option<i64>> {
        Ok(first(&self.pool, outbox::NEXT_OUTBOX_DUE.postgres(), &[], |r| r.int_opt(0)).await?.flatten())
    }

    async fn outbox_depth(&self) -> StoreResult<i64> {
        Ok(first(&self.pool, outbox::OUTBOX_DEPTH.postgres(), &[], |r| r.int(0)).await?.unwrap_or(0))
    }

    /// Releases nothing: the database is shared, and a lease may belong to another
    /// node delivering the row right now. The rows of a node that died come back
    /// when their lease runs out.
    async fn release_leases(&self) -> StoreResult<()> {
        Ok(())
    }

    async fn deliveries(&self, trans_id: &str) -> StoreResult<Vec<Delivery>> {
        if impossible_key(&[trans_id]) {
            return Ok(Vec::new());
        }
        let args = args![trans_id];
        let rows = all(&self.pool, outbox::DELIVERIES.postgres(), &args, outbox::delivery_from_row).await?;
        if rows.is_empty() {
            return Ok(rows);
        }
        let attempts = all(&self.pool, outbox::DELIVERY_ATTEMPTS.postgres(), &args, outbox::attempt_from_row).await?;
        Ok(outbox::with_attempts(rows, attempts))
    }

    fn outbox_signal(&self) -> Option<Arc<Notify>> {
        Some(self.signal.clone())
    }
}

#[async_trait]
impl RefundStore for PgStore {
    async fn create_refund(&self, r: &Refund, min_amount: i64) -> StoreResult<RefundCreate> {
        if impossible_key(&[&r.trans_id, &r.partner_code, &r.refund_original_id, &r.reason]) {
            return Ok(RefundCreate::Refused(Refusal::UnknownTransaction));
        }
        let trans_id = args![&r.trans_id];
        let refund_id = refunds::refund_id_params(r);
        let mut tx = self.pool.begin().await?;
        let order =
            first(&mut *tx, LOCK_ORDER_FOR_REFUND.postgres(), &trans_id, refunds::refund_order_from_row).await?;
        let taken = exists(&mut *tx, &refunds::REFUND_ID_TAKEN, &refund_id).await?;
        let totals = first(&mut *tx, refunds::REFUND_TOTALS.postgres(), &trans_id, refunds::totals_from_row).await?;
        if let Err(refusal) = refunds::admission(r, order.as_ref(), taken, totals.unwrap_or_default(), min_amount) {
            tx.rollback().await?;
            return Ok(RefundCreate::Refused(refusal));
        }
        let n = execute(&mut *tx, refunds::INSERT_REFUND.postgres(), &refunds::refund_params(r)).await?;
        if n == 1 {
            tx.commit().await?;
            return Ok(RefundCreate::Created);
        }
        // A concurrent insert of the same partner refundId (another order) committed
        // first, or the gateway's refund id is taken.
        let taken = exists(&mut *tx, &refunds::REFUND_ID_TAKEN, &refund_id).await?;
        tx.rollback().await?;
        Ok(refunds::inserted(n, taken))
    }

    async fn update_refund(&self, ch: &RefundChange) -> StoreResult<bool> {
        if impossible_key(&[&ch.refund_id]) {
            return Ok(false);
        }
        Ok(execute(&self.pool, refunds::UPDATE_REFUND.postgres(), &refunds::change_params(ch)).await? == 1)
    }

    async fn get_refund(&self, refund_id: &str) -> StoreResult<Option<Refund>> {
        if impossible_key(&[refund_id]) {
            return Ok(None);
        }
        first(&self.pool, refunds::GET_REFUND.postgres(), &args![refund_id], refunds::refund_from_row).await
    }

    async fn find_refund(&self, partner_code: &str, refund_original_id: &str) -> StoreResult<Option<Refund>> {
        if impossible_key(&[partner_code, refund_original_id]) {
            return Ok(None);
        }
        let args = args![partner_code, refund_original_id];
        first(&self.pool, refunds::FIND_REFUND.postgres(), &args, refunds::refund_from_row).await
    }

    async fn order_refunds(&self, trans_id: &str) -> StoreResult<Vec<Refund>> {
        if impossible_key(&[trans_id]) {
            return Ok(Vec::new());
        }
        all(&self.pool, refunds::ORDER_REFUNDS.postgres(), &args![trans_id], refunds::refund_from_row).await
    }

    async fn refund_totals(&self, trans_id: &str) -> StoreResult<RefundTotals> {
        if impossible_key(&[trans_id]) {
            return Ok(RefundTotals::default());
        }
        let args = args![trans_id];
        Ok(first(&self.pool, refunds::REFUND_TOTALS.postgres(), &args, refunds::totals_from_row)
            .await?
            .unwrap_or_default())
    }

    async fn list_refunds(
        &self,
        partner_code: &str,
        filter: &RefundFilter,
        offset: u64,
        limit: u32,
    ) -> StoreResult<RefundPage> {
        let keys: Vec<&str> = [&filter.trans_id, &filter.order_id, &filter.refund_id, &filter.refund_original_id]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .chain([partner_code])
            .collect();
        if impossible_key(&keys) {
            return Ok(RefundPage { items: Vec::new(), total: 0, total_amount: 0 });
        }
        let list = refunds::refund_list(partner_code, filter, offset, limit);
        // One REPEATABLE READ transaction: the page and its totals come from one snapshot.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        let totals = first(&mut *tx, &list.count_sql, &list.filter_params, refunds::list_totals_from_row).await?;
        let items = all(&mut *tx, &list.page_sql, &list.page_params, refunds::refund_from_row).await?;
        tx.commit().await?;
        let (total, total_amount) = totals.unwrap_or_default();
        Ok(RefundPage { items, total, total_amount })
    }

    async fn due_refunds(&self, now_ms: i64, limit: u32) -> StoreResult<Vec<Refund>> {
        all(&self.pool, refunds::DUE_REFUNDS.postgres(), &args![now_ms, limit], refunds::refund_from_row).await
    }
}

#[async_trait]
impl CheckoutStore for PgStore {
    async fn get_checkout(&self, trans_id: &str) -> StoreResult<Option<Checkout>> {
        if impossible_key(&[trans_id]) {
            return Ok(None);
        }
        first(&self.pool, checkout::GET_CHECKOUT.postgres(), &args![trans_id], checkout::checkout_from_row).await
    }

    async fn put_checkout(&self, co: &Checkout) -> StoreResult<()> {
        execute(&self.pool, checkout::PUT_CHECKOUT.postgres(), &checkout::checkout_params(co)).await?;
        Ok(())
    }

    async fn add_wrong_otp(&self, trans_id: &str, now_ms: i64) -> StoreResult<u32> {
        if impossible_key(&[trans_id]) {
            return Ok(0);
        }
        let args = args![trans_id, now_ms];
        let n = first(&self.pool, checkout::ADD_WRONG_OTP.postgres(), &args, checkout::wrong_otps_from_row).await?;
        Ok(n.unwrap_or(0))
    }

    async fn due_processing(&self, now_ms: i64, limit: u32) -> StoreResult<Vec<Checkout>> {
        let args = args![now_ms, limit];
        all(&self.pool, checkout::DUE_PROCESSING.postgres(), &args, checkout::checkout_from_row).await
    }
}

#[async_trait]
impl JwtIdStore for PgStore {
    async fn claim_jti(&self, partner_code: &str, jti: &str, expires_at_ms: i64, now_ms: i64) -> StoreResult<bool> {
        // PostgreSQL text cannot hold NUL: such an id is stored with NUL replaced,
        // which keeps it unique enough for a replay check.
        let (partner_code, jti) = (storable(partner_code), storable(jti));
        let args = jwt_ids::claim_params(&partner_code, &jti, expires_at_ms, now_ms);
        Ok(execute(&self.pool, jwt_ids::CLAIM_JTI.postgres(), &args).await? == 1)
    }

    async fn prune_jtis(&self, now_ms: i64) -> StoreResult<u64> {
        execute(&self.pool, jwt_ids::PRUNE_JTIS.postgres(), &args![now_ms]).await
    }
}

#[async_trait]
impl MetaStore for PgStore {
    async fn meta(&self, key: &str) -> StoreResult<Option<String>> {
        if impossible_key(&[key]) {
            return Ok(None);
        }
        first(&self.pool, meta::GET_META.postgres(), &args![key], meta::meta_from_row).await
    }

    async fn claim_meta(&self, key: &str, value: &str) -> StoreResult<String> {
        let args = args![key, value];
        // The insert does nothing if the key has a value, or waits for a concurrent
        // insert of it to commit and then does nothing; the next statement (READ
        // COMMITTED) sees whichever value was stored.
        execute(&self.pool, meta::CLAIM_META.postgres(), &args).await?;
        let stored = first(&self.pool, meta::GET_META.postgres(), &args[..1], meta::meta_from_row).await?;
        stored.ok_or_else(|| crate::store::StoreError::Database("gateway_meta: the claimed key is missing".into()))
    }
}

#[async_trait]
impl IdempotencyStore for PgStore {
    async fn claim_key(&self, claim: &Claim, now_ms: i64) -> StoreResult<bool> {
        // The insert waits for a concurrent claim of the key to commit, then finds
        // its row and changes it only if that row may be taken over.
        let args = idempotency::claim_params(claim, now_ms);
        Ok(first(&self.pool, idempotency::CLAIM_KEY.postgres(), &args, |r| r.text(0)).await?.is_some())
    }

    async fn key_record(&self, partner_code: &str, key: &str) -> StoreResult<Option<KeyRecord>> {
        if impossible_key(&[partner_code, key]) {
            return Ok(None);
        }
        first(&self.pool, idempotency::GET_KEY.postgres(), &args![partner_code, key], idempotency::record_from_row)
            .await
    }

    async fn finish_key(&self, claim: &Claim, answer: &StoredAnswer) -> StoreResult<bool> {
        let args = idempotency::finish_params(claim, answer);
        Ok(execute(&self.pool, idempotency::FINISH_KEY.postgres(), &args).await? == 1)
    }

    async fn purge_keys(&self, now_ms: i64) -> StoreResult<u64> {
        execute(&self.pool, idempotency::PURGE_KEYS.postgres(), &args![now_ms]).await
    }
}
