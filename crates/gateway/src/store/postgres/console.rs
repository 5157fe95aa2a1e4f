//! [`ConsoleStore`] on PostgreSQL: the shared statements of
//! [`crate::store::sql::console`]. Text from outside (search filters, audit
//! details) follows the NUL rules of [`super`].

use super::{PgStore, all, execute, first, impossible_key, storable, storable_value};
use crate::domain::console::{
    AdminToken, AuditEntry, ConsoleOrderQuery, FailingDelivery, FailingGroup, NewAudit, OrderEvent,
};
use crate::domain::records::{Order, SubAccount};
use crate::store::StoreResult;
use crate::store::ports::ConsoleStore;
use crate::store::sql::{SqlRow, args, console as q, orders, partners};
use async_trait::async_trait;

#[async_trait]
impl ConsoleStore for PgStore {
    async fn insert_admin_token(&self, t: &AdminToken) -> StoreResult<bool> {
        let args: Vec<_> = q::admin_token_params(t).iter().map(storable_value).collect();
        Ok(execute(&self.pool, q::INSERT_ADMIN_TOKEN.postgres(), &args).await? == 1)
    }

    async fn admin_token_by_hash(&self, hash: &str) -> StoreResult<Option<AdminToken>> {
        if impossible_key(&[hash]) {
            return Ok(None);
        }
        first(&self.pool, q::ADMIN_TOKEN_BY_HASH.postgres(), &args![hash], q::admin_token_from_row).await
    }

    async fn admin_token(&self, id: &str) -> StoreResult<Option<AdminToken>> {
        if impossible_key(&[id]) {
            return Ok(None);
        }
        first(&self.pool, q::ADMIN_TOKEN_BY_ID.postgres(), &args![id], q::admin_token_from_row).await
    }

    async fn admin_tokens(&self) -> StoreResult<Vec<AdminToken>> {
        all(&self.pool, q::LIST_ADMIN_TOKENS.postgres(), &[], q::admin_token_from_row).await
    }

    async fn revoke_admin_token(&self, id: &str, now_ms: i64) -> StoreResult<bool> {
        if impossible_key(&[id]) {
            return Ok(false);
        }
        Ok(execute(&self.pool, q::REVOKE_ADMIN_TOKEN.postgres(), &args![id, now_ms]).await? == 1)
    }

    async fn insert_audit(&self, entry: &NewAudit) -> StoreResult<()> {
        let args: Vec<_> = q::audit_params(entry).iter().map(storable_value).collect();
        execute(&self.pool, q::INSERT_AUDIT.postgres(), &args).await.map(|_| ())
    }

    async fn audit_log(
        &self,
        before_id: Option<i64>,
        target: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<AuditEntry>> {
        if target.is_some_and(|t| impossible_key(&[t])) {
            return Ok(Vec::new());
        }
        all(&self.pool, q::LIST_AUDIT.postgres(), &args![before_id, target, limit], q::audit_from_row).await
    }

    async fn insert_order_event(&self, e: &OrderEvent) -> StoreResult<()> {
        let what = storable(&e.what);
        execute(&self.pool, q::INSERT_ORDER_EVENT.postgres(), &args![e.trans_id.as_str(), e.at_ms, what.as_ref()])
            .await
            .map(|_| ())
    }

    async fn order_events(&self, trans_id: &str) -> StoreResult<Vec<OrderEvent>> {
        if impossible_key(&[trans_id]) {
            return Ok(Vec::new());
        }
        all(&self.pool, q::ORDER_EVENTS.postgres(), &args![trans_id], q::order_event_from_row).await
    }

    async fn search_orders(&self, query: &ConsoleOrderQuery) -> StoreResult<(i64, Vec<Order>)> {
        let keys = [query.partner_code.as_deref(), query.order_id.as_deref(), query.trans_id.as_deref()];
        if impossible_key(&keys.map(|k| k.unwrap_or(""))) {
            return Ok((0, Vec::new()));
        }
        let total =
            first(&self.pool, q::COUNT_SEARCH.postgres(), &q::search_params(query, false), |r| r.int(0)).await?;
        let rows = all(&self.pool, q::SEARCH_ORDERS.postgres(), &q::search_params(query, true), orders::order_from_row)
            .await?;
        Ok((total.unwrap_or(0), rows))
    }

    async fn failing_groups(&self, partner_code: Option<&str>, limit: u32) -> StoreResult<Vec<FailingGroup>> {
        if partner_code.is_some_and(|p| impossible_key(&[p])) {
            return Ok(Vec::new());
        }
        all(&self.pool, q::FAILING_GROUPS.postgres(), &args![partner_code, limit], q::group_from_row).await
    }

    async fn failing_of_url(&self, partner_code: &str, url: &str, limit: u32) -> StoreResult<Vec<FailingDelivery>> {
        if impossible_key(&[partner_code, url]) {
            return Ok(Vec::new());
        }
        all(&self.pool, q::FAILING_OF_URL.postgres(), &args![partner_code, url, limit], q::failing_from_row).await
    }

    async fn outbox_row(&self, outbox_id: i64) -> StoreResult<Option<FailingDelivery>> {
        first(&self.pool, q::OUTBOX_ROW.postgres(), &args![outbox_id], q::failing_from_row).await
    }

    async fn latest_outbox_row(&self, trans_id: &str) -> StoreResult<Option<i64>> {
        if impossible_key(&[trans_id]) {
            return Ok(None);
        }
        first(&self.pool, q::LATEST_OUTBOX_ROW.postgres(), &args![trans_id], |r| r.int(0)).await
    }

    async fn resend_outbox_row(&self, outbox_id: i64, now_ms: i64) -> StoreResult<Option<i64>> {
        let args = args![outbox_id, now_ms];
        if let Some(copy) = first(&self.pool, q::COPY_DELIVERED_ROW.postgres(), &args, |r| r.int(0)).await? {
            return Ok(Some(copy));
        }
        Ok((execute(&self.pool, q::REQUEUE_ROW.postgres(), &args).await? == 1).then_some(outbox_id))
    }

    async fn redrive(&self, partner_code: &str, url: Option<&str>, now_ms: i64) -> StoreResult<u64> {
        if impossible_key(&[partner_code, url.unwrap_or("")]) {
            return Ok(0);
        }
        execute(&self.pool, q::REDRIVE.postgres(), &args![now_ms, partner_code, url]).await
    }

    async fn set_notify_failures(&self, partner_code: &str, on: bool) -> StoreResult<bool> {
        if impossible_key(&[partner_code]) {
            return Ok(false);
        }
        Ok(execute(&self.pool, q::SET_NOTIFY_FAILURES.postgres(), &args![partner_code, on]).await? == 1)
    }

    async fn sub_accounts(&self, partner_code: &str) -> StoreResult<Vec<SubAccount>> {
        if impossible_key(&[partner_code]) {
            return Ok(Vec::new());
        }
        all(&self.pool, q::PARTNER_SUB_ACCOUNTS.postgres(), &args![partner_code], partners::sub_account_from_row).await
    }
}
