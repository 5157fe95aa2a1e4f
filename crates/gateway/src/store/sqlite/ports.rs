//! The ports on SQLite: each method runs the shared statements of
//! [`crate::store::sql`], reads on a reader connection, writes as one job of the
//! writer (so the statements of one write are one atomic step).

use super::{SqliteStore, all, execute, exists, first, prepared};
use crate::domain::idempotency::{Claim, KeyRecord, StoredAnswer};
use crate::domain::records::*;
use crate::store::StoreResult;
use crate::store::ports::*;
use crate::store::sql::SqlRow;
use crate::store::sql::params::owned;
use crate::store::sql::{
    self, Sql, args, checkout, credits, idempotency, jwt_ids, meta, orders, outbox, partners, refunds, test_kit, values,
};
use async_trait::async_trait;
use rusqlite::Connection;

/// Whether the credit `$1` is still `received`.
static CREDIT_STILL_RECEIVED: Sql =
    Sql::new(|| "SELECT 1 FROM bank_credits WHERE id = $1 AND status = 'received'".into());

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        self.read(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?)).await.map(|_| ())
    }

    async fn ping_write(&self, now_ms: i64) -> StoreResult<()> {
        // A one-row upsert can still succeed on a full disk (it rewrites a page the
        // WAL already holds), while orders, which need new pages, all fail: the free
        // space of the database's filesystem is part of the answer.
        super::files::enough_free_space(&self.dir)?;
        let value = now_ms.to_string();
        let args = owned(values![HEARTBEAT_KEY, value.as_str()]);
        self.write(move |c| execute(&mut *prepared(c, &meta::PUT_META)?, &args).map(|_| ())).await
    }
}

#[async_trait]
impl PartnerStore for SqliteStore {
    async fn insert_partner(&self, p: &PartnerRecord) -> StoreResult<bool> {
        let args = owned(partners::partner_params(p));
        self.write(move |c| Ok(execute(&mut *prepared(c, &partners::INSERT_PARTNER)?, &args)? == 1)).await
    }

    async fn get_partner(&self, code: &str) -> StoreResult<Option<PartnerRecord>> {
        let args = owned(values![code]);
        self.read(move |c| first(&mut *prepared(c, &partners::GET_PARTNER)?, &args, partners::partner_from_row)).await
    }

    async fn list_partners(&self) -> StoreResult<Vec<PartnerRecord>> {
        self.read(|c| all(&mut *prepared(c, &partners::LIST_PARTNERS)?, &[], partners::partner_from_row)).await
    }

    async fn set_partner_locked(&self, code: &str, locked: bool) -> StoreResult<bool> {
        let args = owned(values![locked, code]);
        self.write(move |c| Ok(execute(&mut *prepared(c, &partners::SET_PARTNER_LOCKED)?, &args)? == 1)).await
    }

    async fn rotate_partner_keys(&self, code: &str, current_api_key: &str, r: &KeyRotation) -> StoreResult<bool> {
        let args = owned(partners::rotation_params(code, current_api_key, r));
        self.write(move |c| Ok(execute(&mut *prepared(c, &partners::ROTATE_PARTNER_KEYS)?, &args)? == 1)).await
    }

    async fn insert_sub_account(&self, s: &SubAccount) -> StoreResult<bool> {
        let args = owned(partners::sub_account_params(s));
        self.write(move |c| Ok(execute(&mut *prepared(c, &partners::INSERT_SUB_ACCOUNT)?, &args)? == 1)).await
    }

    async fn get_sub_account(&self, id: &str) -> StoreResult<Option<SubAccount>> {
        let args = owned(values![id]);
        self.read(move |c| first(&mut *prepared(c, &partners::GET_SUB_ACCOUNT)?, &args, partners::sub_account_from_row))
            .await
    }

    async fn set_partner_allowed(&self, code: &str, allowed: &Allowed) -> StoreResult<bool> {
        let args = owned(values![allowed.methods.join(","), allowed.banks.join(","), code]);
        self.write(move |c| Ok(execute(&mut *prepared(c, &partners::SET_PARTNER_ALLOWED)?, &args)? == 1)).await
    }
}

#[async_trait]
impl OrderStore for SqliteStore {
    async fn create_order(&self, o: &Order) -> StoreResult<CreateOutcome> {
        let args = owned(orders::order_params(o));
        let key = owned(values![&o.partner_code, &o.order_id]);
        let o_trans_id = o.trans_id.clone();
        // One insert, then a read: no savepoint needed.
        self.write_one(move |c| {
            if execute(&mut *prepared(c, &orders::INSERT_ORDER)?, &args)? == 1 {
                return Ok(CreateOutcome::Created);
            }
            let holder = first(&mut *prepared(c, &orders::ORDER_ID_TAKEN)?, &key, |r| Ok(r.get::<_, String>(0)?))?;
            Ok(orders::not_inserted(holder.as_deref(), o_trans_id.as_str()))
        })
        .await
    }

    async fn get_order(&self, trans_id: &str) -> StoreResult<Option<Order>> {
        let args = owned(values![trans_id]);
        self.read(move |c| first(&mut *prepared(c, &orders::GET_ORDER)?, &args, orders::order_from_row)).await
    }

    async fn find_order(&self, partner_code: &str, order_id: &str) -> StoreResult<Option<Order>> {
        let args = owned(values![partner_code, order_id]);
        self.read(move |c| first(&mut *prepared(c, &orders::FIND_ORDER)?, &args, orders::order_from_row)).await
    }

    async fn apply_change(&self, ch: &StateChange) -> StoreResult<bool> {
        let args = owned(orders::change_params(ch));
        let queued: Vec<_> = ch
            .outbox
            .iter()
            .flat_map(outbox::queued_rows)
            .map(|ob| owned(outbox::outbox_params(&ch.trans_id, &ob, ch.now_ms)))
            .collect();
        let credit = ch.credit_id.map(|id| owned(values![id, &ch.trans_id, ch.now_ms]));
        let fault = ch.outbox.as_ref().and_then(|o| o.fault_id).map(|id| owned(values![id]));
        let token = ch.token.as_ref().map(|t| owned(orders::token_params(t)));
        self.write(move |c| {
            // The single writer: nothing changes the credit between this read and the
            // update below.
            if let Some(credit) = &credit {
                if !exists(&mut *prepared(c, &CREDIT_STILL_RECEIVED)?, &credit[..1])? {
                    return Ok(false);
                }
            }
            if execute(&mut *prepared(c, &orders::APPLY_CHANGE)?, &args)? != 1 {
                return Ok(false);
            }
            if let Some(credit) = &credit {
                execute(&mut *prepared(c, &credits::CREDIT_SETTLED)?, credit)?;
            }
            if let Some(fault) = &fault {
                if execute(&mut *prepared(c, &test_kit::USE_FAULT_DELETE)?, fault)? == 0 {
                    execute(&mut *prepared(c, &test_kit::USE_FAULT_COUNT)?, fault)?;
                }
            }
            if let Some(token) = &token {
                execute(&mut *prepared(c, &orders::INSERT_TOKEN)?, token)?;
            }
            for row in &queued {
                execute(&mut *prepared(c, &outbox::INSERT_OUTBOX)?, row)?;
            }
            Ok(true)
        })
        .await
    }

    async fn list_orders(&self, q: &OrderQuery) -> StoreResult<(i64, Vec<Order>)> {
        let count = owned(orders::list_params(q, false));
        let page = owned(orders::list_params(q, true));
        self.read(move |c| {
            let total = first(&mut *prepared(c, &orders::COUNT_ORDERS)?, &count, |r| r.int(0))?.unwrap_or(0);
            let rows = all(&mut *prepared(c, &orders::LIST_ORDERS)?, &page, orders::order_from_row)?;
            Ok((total, rows))
        })
        .await
    }

    async fn get_token(&self, token: &str) -> StoreResult<Option<CardToken>> {
        let args = owned(values![token]);
        self.read(move |c| first(&mut *prepared(c, &orders::GET_TOKEN)?, &args, orders::token_from_row)).await
    }

    async fn delete_token(&self, partner_code: &str, token: &str, now_ms: i64) -> StoreResult<bool> {
        let args = owned(values![now_ms, partner_code, token]);
        self.write(move |c| Ok(execute(&mut *prepared(c, &orders::DELETE_TOKEN)?, &args)? == 1)).await
    }

    async fn overdue_orders(&self, now_ms: i64, limit: u32) -> StoreResult<Vec<Order>> {
        let args = args![now_ms, limit];
        self.read(move |c| all(&mut *prepared(c, &orders::OVERDUE_ORDERS)?, &args, orders::order_from_row)).await
    }
}

/// Leases due rows and counts the attempt in one statement (the single writer runs
/// it: no other claimer can be running).
static CLAIM_OUTBOX: Sql = Sql::new(|| {
    format!(
        "UPDATE outbox SET locked_until_ms = $1, attempts = attempts + 1 WHERE id IN \
         (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at_ms <= $2 AND locked_until_ms <= $2 \
          ORDER BY next_attempt_at_ms LIMIT $3) \
         RETURNING {}",
        outbox::CLAIMED_COLUMNS
    )
});

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn claim_outbox(&self, now_ms: i64, lease_until_ms: i64, limit: u32) -> StoreResult<Vec<OutboxItem>> {
        let args = args![lease_until_ms, now_ms, limit];
        self.write(move |c| all(&mut *prepared(c, &CLAIM_OUTBOX)?, &args, outbox::claimed_from_row)).await
    }

    async fn finish_attempt(&self, a: &AttemptRecord, next: NextStep) -> StoreResult<()> {
        let args = owned(outbox::attempt_params(a, next, crate::now_ms()));
        self.write(move |c| {
            execute(&mut *prepared(c, &outbox::INSERT_ATTEMPT)?, &args[..7])?;
            execute(&mut *prepared(c, &outbox::FINISH_OUTBOX_ROW)?, &args)?;
            Ok(())
        })
        .await
    }

    async fn next_outbox_due(&self) -> StoreResult<Option<i64>> {
        self.read(|c| Ok(first(&mut *prepared(c, &outbox::NEXT_OUTBOX_DUE)?, &[], |r| r.int_opt(0))?.flatten())).await
    }

    async fn outbox_depth(&self) -> StoreResult<i64> {
        self.read(|c| Ok(first(&mut *prepared(c, &outbox::OUTBOX_DEPTH)?, &[], |r| r.int(0))?.unwrap_or(0))).await
    }

    async fn release_leases(&self) -> StoreResult<()> {
        self.write(|c| execute(&mut *prepared(c, &outbox::RELEASE_LEASES)?, &[]).map(|_| ())).await
    }

    async fn deliveries(&self, trans_id: &str) -> StoreResult<Vec<Delivery>> {
        let args = owned(values![trans_id]);
        self.read(move |c| {
            let rows = all(&mut *prepared(c, &outbox::DELIVERIES)?, &args, outbox::delivery_from_row)?;
            let attempts = all(&mut *prepared(c, &outbox::DELIVERY_ATTEMPTS)?, &args, outbox::attempt_from_row)?;
            Ok(outbox::with_attempts(rows, attempts))
        })
        .await
    }
}

/// The admission and insert of a refund, inside the writer's transaction: the
/// single writer serialises every refund, so the sums read here cannot change
/// before the insert.
fn create_refund_tx(c: &Connection, r: &Refund, min_amount: i64) -> StoreResult<RefundCreate> {
    let trans_id = args![&r.trans_id];
    let refund_id = refunds::refund_id_params(r);
    let order = first(&mut *prepared(c, &refunds::ORDER_FOR_REFUND)?, &trans_id, refunds::refund_order_from_row)?;
    let taken = exists(&mut *prepared(c, &refunds::REFUND_ID_TAKEN)?, &refund_id)?;
    let totals = first(&mut *prepared(c, &refunds::REFUND_TOTALS)?, &trans_id, refunds::totals_from_row)?;
    if let Err(refusal) = refunds::admission(r, order.as_ref(), taken, totals.unwrap_or_default(), min_amount) {
        return Ok(RefundCreate::Refused(refusal));
    }
    let n = execute(&mut *prepared(c, &refunds::INSERT_REFUND)?, &refunds::refund_params(r))?;
    let taken = n != 1 && exists(&mut *prepared(c, &refunds::REFUND_ID_TAKEN)?, &refund_id)?;
    Ok(refunds::inserted(n as u64, taken))
}

#[async_trait]
impl RefundStore for SqliteStore {
    async fn create_refund(&self, refund: &Refund, min_amount: i64) -> StoreResult<RefundCreate> {
        let r = refund.clone();
        self.write(move |c| create_refund_tx(c, &r, min_amount)).await
    }

    async fn update_refund(&self, ch: &RefundChange) -> StoreResult<bool> {
        let args = owned(refunds::change_params(ch));
        self.write(move |c| Ok(execute(&mut *prepared(c, &refunds::UPDATE_REFUND)?, &args)? == 1)).await
    }

    async fn get_refund(&self, refund_id: &str) -> StoreResult<Option<Refund>> {
        let args = owned(values![refund_id]);
        self.read(move |c| first(&mut *prepared(c, &refunds::GET_REFUND)?, &args, refunds::refund_from_row)).await
    }

    async fn find_refund(&self, partner_code: &str, refund_original_id: &str) -> StoreResult<Option<Refund>> {
        let args = owned(values![partner_code, refund_original_id]);
        self.read(move |c| first(&mut *prepared(c, &refunds::FIND_REFUND)?, &args, refunds::refund_from_row)).await
    }

    async fn order_refunds(&self, trans_id: &str) -> StoreResult<Vec<Refund>> {
        let args = owned(values![trans_id]);
        self.read(move |c| all(&mut *prepared(c, &refunds::ORDER_REFUNDS)?, &args, refunds::refund_from_row)).await
    }

    async fn refund_totals(&self, trans_id: &str) -> StoreResult<RefundTotals> {
        let args = owned(values![trans_id]);
        self.read(move |c| {
            Ok(first(&mut *prepared(c, &refunds::REFUND_TOTALS)?, &args, refunds::totals_from_row)?.unwrap_or_default())
        })
        .await
    }

    async fn list_refunds(
        &self,
        partner_code: &str,
        filter: &RefundFilter,
        offset: u64,
        limit: u32,
    ) -> StoreResult<RefundPage> {
        let list = refunds::refund_list(partner_code, filter, offset, limit);
        let (count_sql, page_sql) = (sql::to_sqlite(&list.count_sql), sql::to_sqlite(&list.page_sql));
        let (filter_params, page_params) = (owned(list.filter_params), owned(list.page_params));
        self.read(move |c| {
            // One read transaction: the page and its totals come from one snapshot.
            let tx = c.unchecked_transaction()?;
            let totals = first(&mut tx.prepare(&count_sql)?, &filter_params, refunds::list_totals_from_row)?;
            let items = all(&mut tx.prepare(&page_sql)?, &page_params, refunds::refund_from_row)?;
            tx.commit()?;
            let (total, total_amount) = totals.unwrap_or_default();
            Ok(RefundPage { items, total, total_amount })
        })
        .await
    }

    async fn due_refunds(&self, now_ms: i64, limit: u32) -> StoreResult<Vec<Refund>> {
        let args = args![now_ms, limit];
        self.read(move |c| all(&mut *prepared(c, &refunds::DUE_REFUNDS)?, &args, refunds::refund_from_row)).await
    }
}

#[async_trait]
impl CheckoutStore for SqliteStore {
    async fn get_checkout(&self, trans_id: &str) -> StoreResult<Option<Checkout>> {
        let args = owned(values![trans_id]);
        self.read(move |c| first(&mut *prepared(c, &checkout::GET_CHECKOUT)?, &args, checkout::checkout_from_row)).await
    }

    async fn put_checkout(&self, co: &Checkout) -> StoreResult<()> {
        let args = owned(checkout::checkout_params(co));
        self.write(move |c| execute(&mut *prepared(c, &checkout::PUT_CHECKOUT)?, &args).map(|_| ())).await
    }

    async fn add_wrong_otp(&self, trans_id: &str, now_ms: i64) -> StoreResult<u32> {
        let args = owned(values![trans_id, now_ms]);
        self.write(move |c| {
            let n = first(&mut *prepared(c, &checkout::ADD_WRONG_OTP)?, &args, checkout::wrong_otps_from_row)?;
            Ok(n.unwrap_or(0))
        })
        .await
    }

    async fn due_processing(&self, now_ms: i64, limit: u32) -> StoreResult<Vec<Checkout>> {
        let args = args![now_ms, limit];
        self.read(move |c| all(&mut *prepared(c, &checkout::DUE_PROCESSING)?, &args, checkout::checkout_from_row)).await
    }
}

#[async_trait]
impl JwtIdStore for SqliteStore {
    async fn claim_jti(&self, partner_code: &str, jti: &str, expires_at_ms: i64, now_ms: i64) -> StoreResult<bool> {
        let args = owned(jwt_ids::claim_params(partner_code, jti, expires_at_ms, now_ms));
        self.write(move |c| Ok(execute(&mut *prepared(c, &jwt_ids::CLAIM_JTI)?, &args)? == 1)).await
    }

    async fn prune_jtis(&self, now_ms: i64) -> StoreResult<u64> {
        let args = args![now_ms];
        self.write(move |c| Ok(execute(&mut *prepared(c, &jwt_ids::PRUNE_JTIS)?, &args)? as u64)).await
    }
}

#[async_trait]
impl MetaStore for SqliteStore {
    async fn meta(&self, key: &str) -> StoreResult<Option<String>> {
        let args = owned(values![key]);
        self.read(move |c| first(&mut *prepared(c, &meta::GET_META)?, &args, meta::meta_from_row)).await
    }

    async fn claim_meta(&self, key: &str, value: &str) -> StoreResult<String> {
        let args = owned(values![key, value]);
        // One writer job: the insert and the read are one atomic step.
        self.write(move |c| {
            execute(&mut *prepared(c, &meta::CLAIM_META)?, &args)?;
            let stored = first(&mut *prepared(c, &meta::GET_META)?, &args[..1], meta::meta_from_row)?;
            stored.ok_or_else(|| crate::store::StoreError::Database("gateway_meta: the claimed key is missing".into()))
        })
        .await
    }
}

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn claim_key(&self, claim: &Claim, now_ms: i64) -> StoreResult<bool> {
        let args = owned(idempotency::claim_params(claim, now_ms));
        self.write(move |c| Ok(first(&mut *prepared(c, &idempotency::CLAIM_KEY)?, &args, |r| r.text(0))?.is_some()))
            .await
    }

    async fn key_record(&self, partner_code: &str, key: &str) -> StoreResult<Option<KeyRecord>> {
        let args = owned(values![partner_code, key]);
        self.read(move |c| first(&mut *prepared(c, &idempotency::GET_KEY)?, &args, idempotency::record_from_row)).await
    }

    async fn finish_key(&self, claim: &Claim, answer: &StoredAnswer) -> StoreResult<bool> {
        let args = owned(idempotency::finish_params(claim, answer));
        self.write(move |c| Ok(execute(&mut *prepared(c, &idempotency::FINISH_KEY)?, &args)? == 1)).await
    }

    async fn purge_keys(&self, now_ms: i64) -> StoreResult<u64> {
        let args = args![now_ms];
        self.write(move |c| Ok(execute(&mut *prepared(c, &idempotency::PURGE_KEYS)?, &args)? as u64)).await
    }
}
