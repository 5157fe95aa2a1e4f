//! [`ConsoleStore`] on SQLite: the shared statements of
//! [`crate::store::sql::console`], read on a reader connection, written as one job
//! of the writer.

use super::{SqliteStore, all, execute, first, prepared};
use crate::domain::console::{
    AdminToken, AuditEntry, ConsoleOrderQuery, FailingDelivery, FailingGroup, NewAudit, OrderEvent,
};
use crate::domain::records::{Order, SubAccount};
use crate::store::StoreResult;
use crate::store::ports::ConsoleStore;
use crate::store::sql::params::owned;
use crate::store::sql::{SqlRow, console as q, orders, partners, values};
use async_trait::async_trait;

#[async_trait]
impl ConsoleStore for SqliteStore {
    async fn insert_admin_token(&self, t: &AdminToken) -> StoreResult<bool> {
        let args = owned(q::admin_token_params(t));
        self.write(move |c| Ok(execute(&mut *prepared(c, &q::INSERT_ADMIN_TOKEN)?, &args)? == 1)).await
    }

    async fn admin_token_by_hash(&self, hash: &str) -> StoreResult<Option<AdminToken>> {
        let args = owned(values![hash]);
        self.read(move |c| first(&mut *prepared(c, &q::ADMIN_TOKEN_BY_HASH)?, &args, q::admin_token_from_row)).await
    }

    async fn admin_token(&self, id: &str) -> StoreResult<Option<AdminToken>> {
        let args = owned(values![id]);
        self.read(move |c| first(&mut *prepared(c, &q::ADMIN_TOKEN_BY_ID)?, &args, q::admin_token_from_row)).await
    }

    async fn admin_tokens(&self) -> StoreResult<Vec<AdminToken>> {
        self.read(|c| all(&mut *prepared(c, &q::LIST_ADMIN_TOKENS)?, &[], q::admin_token_from_row)).await
    }

    async fn revoke_admin_token(&self, id: &str, now_ms: i64) -> StoreResult<bool> {
        let args = owned(values![id, now_ms]);
        self.write(move |c| Ok(execute(&mut *prepared(c, &q::REVOKE_ADMIN_TOKEN)?, &args)? == 1)).await
    }

    async fn insert_audit(&self, entry: &NewAudit) -> StoreResult<()> {
        let args = owned(q::audit_params(entry));
        self.write(move |c| execute(&mut *prepared(c, &q::INSERT_AUDIT)?, &args).map(|_| ())).await
    }

    async fn audit_log(
        &self,
        before_id: Option<i64>,
        target: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<AuditEntry>> {
        let args = owned(values![before_id, target, limit]);
        self.read(move |c| all(&mut *prepared(c, &q::LIST_AUDIT)?, &args, q::audit_from_row)).await
    }

    async fn insert_order_event(&self, e: &OrderEvent) -> StoreResult<()> {
        let args = owned(values![&e.trans_id, e.at_ms, &e.what]);
        self.write(move |c| execute(&mut *prepared(c, &q::INSERT_ORDER_EVENT)?, &args).map(|_| ())).await
    }

    async fn order_events(&self, trans_id: &str) -> StoreResult<Vec<OrderEvent>> {
        let args = owned(values![trans_id]);
        self.read(move |c| all(&mut *prepared(c, &q::ORDER_EVENTS)?, &args, q::order_event_from_row)).await
    }

    async fn search_orders(&self, query: &ConsoleOrderQuery) -> StoreResult<(i64, Vec<Order>)> {
        let count = owned(q::search_params(query, false));
        let page = owned(q::search_params(query, true));
        self.read(move |c| {
            let total = first(&mut *prepared(c, &q::COUNT_SEARCH)?, &count, |r| r.int(0))?.unwrap_or(0);
            let rows = all(&mut *prepared(c, &q::SEARCH_ORDERS)?, &page, orders::order_from_row)?;
            Ok((total, rows))
        })
        .await
    }

    async fn failing_groups(&self, partner_code: Option<&str>, limit: u32) -> StoreResult<Vec<FailingGroup>> {
        let args = owned(values![partner_code, limit]);
        self.read(move |c| all(&mut *prepared(c, &q::FAILING_GROUPS)?, &args, q::group_from_row)).await
    }

    async fn failing_of_url(&self, partner_code: &str, url: &str, limit: u32) -> StoreResult<Vec<FailingDelivery>> {
        let args = owned(values![partner_code, url, limit]);
        self.read(move |c| all(&mut *prepared(c, &q::FAILING_OF_URL)?, &args, q::failing_from_row)).await
    }

    async fn outbox_row(&self, outbox_id: i64) -> StoreResult<Option<FailingDelivery>> {
        let args = owned(values![outbox_id]);
        self.read(move |c| first(&mut *prepared(c, &q::OUTBOX_ROW)?, &args, q::failing_from_row)).await
    }

    async fn latest_outbox_row(&self, trans_id: &str) -> StoreResult<Option<i64>> {
        let args = owned(values![trans_id]);
        self.read(move |c| first(&mut *prepared(c, &q::LATEST_OUTBOX_ROW)?, &args, |r| r.int(0))).await
    }

    async fn resend_outbox_row(&self, outbox_id: i64, now_ms: i64) -> StoreResult<Option<i64>> {
        let args = owned(values![outbox_id, now_ms]);
        self.write(move |c| {
            if let Some(copy) = first(&mut *prepared(c, &q::COPY_DELIVERED_ROW)?, &args, |r| r.int(0))? {
                return Ok(Some(copy));
            }
            Ok((execute(&mut *prepared(c, &q::REQUEUE_ROW)?, &args)? == 1).then_some(outbox_id))
        })
        .await
    }

    async fn redrive(&self, partner_code: &str, url: Option<&str>, now_ms: i64) -> StoreResult<u64> {
        let args = owned(values![now_ms, partner_code, url]);
        self.write(move |c| Ok(execute(&mut *prepared(c, &q::REDRIVE)?, &args)? as u64)).await
    }

    async fn set_notify_failures(&self, partner_code: &str, on: bool) -> StoreResult<bool> {
        let args = owned(values![partner_code, on]);
        self.write(move |c| Ok(execute(&mut *prepared(c, &q::SET_NOTIFY_FAILURES)?, &args)? == 1)).await
    }

    async fn sub_accounts(&self, partner_code: &str) -> StoreResult<Vec<SubAccount>> {
        let args = owned(values![partner_code]);
        self.read(move |c| all(&mut *prepared(c, &q::PARTNER_SUB_ACCOUNTS)?, &args, partners::sub_account_from_row))
            .await
    }
}
