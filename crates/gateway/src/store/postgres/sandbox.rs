//! The sandbox's stores on PostgreSQL: the test kit ([`TestKitStore`]) and the
//! request log ([`RequestLogStore`]), on the shared statements of
//! [`crate::store::sql::test_kit`] and [`crate::store::sql::request_log`].

use super::{PgStore, all, execute, first, impossible_key, storable, storable_value};
use crate::domain::request_log::{RequestEntry, Retention};
use crate::domain::test_kit::{DeliveryFault, NewFault};
use crate::store::StoreResult;
use crate::store::ports::{RequestLogStore, TestKitStore};
use crate::store::sql::{Sql, SqlRow, args, request_log, test_kit};
use async_trait::async_trait;

#[async_trait]
impl TestKitStore for PgStore {
    async fn insert_fault(&self, fault: &NewFault) -> StoreResult<i64> {
        let args: Vec<_> = test_kit::fault_params(fault).iter().map(storable_value).collect();
        first(&self.pool, test_kit::INSERT_FAULT.postgres(), &args, |r| r.int(0))
            .await?
            .ok_or_else(|| crate::store::StoreError::Database("no id returned".into()))
    }

    async fn partner_faults(&self, partner_code: &str) -> StoreResult<Vec<DeliveryFault>> {
        if impossible_key(&[partner_code]) {
            return Ok(Vec::new());
        }
        all(&self.pool, test_kit::PARTNER_FAULTS.postgres(), &args![partner_code], test_kit::fault_from_row).await
    }

    async fn clear_faults(&self, partner_code: &str) -> StoreResult<u64> {
        if impossible_key(&[partner_code]) {
            return Ok(0);
        }
        execute(&self.pool, test_kit::CLEAR_FAULTS.postgres(), &args![partner_code]).await
    }

    async fn fault_for(
        &self,
        partner_code: &str,
        trans_id: &str,
        created_at_ms: i64,
    ) -> StoreResult<Option<DeliveryFault>> {
        if impossible_key(&[partner_code, trans_id]) {
            return Ok(None);
        }
        let args = args![partner_code, trans_id, created_at_ms];
        first(&self.pool, test_kit::FAULT_FOR.postgres(), &args, test_kit::fault_from_row).await
    }

    async fn clear_order_faults(&self, partner_code: &str, trans_id: &str) -> StoreResult<u64> {
        if impossible_key(&[partner_code, trans_id]) {
            return Ok(0);
        }
        execute(&self.pool, test_kit::CLEAR_ORDER_FAULTS.postgres(), &args![partner_code, trans_id]).await
    }

    async fn clock_offset(&self, partner_code: &str) -> StoreResult<i64> {
        if impossible_key(&[partner_code]) {
            return Ok(0);
        }
        Ok(first(&self.pool, test_kit::CLOCK_OFFSET.postgres(), &args![partner_code], |r| r.int(0)).await?.unwrap_or(0))
    }

    async fn advance_clock(&self, partner_code: &str, by_ms: i64) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await?;
        for st in &test_kit::ADVANCE_STATEMENTS {
            execute(&mut *tx, st.postgres(), &args![partner_code, by_ms]).await?;
        }
        let offset = first(&mut *tx, test_kit::ADVANCE_CLOCK.postgres(), &args![partner_code, by_ms], |r| r.int(0))
            .await?
            .ok_or_else(|| crate::store::StoreError::Database("no offset returned".into()))?;
        tx.commit().await?;
        Ok(offset)
    }
}

/// Takes the request log's lock until the transaction ends: the log's writes (one
/// batch of a node at a time) take turns across the nodes, so that a partner's
/// count read by a batch is not changed by another until it commits (the bound
/// holds exactly) and two batches' trims never wait on each other's rows. The
/// two-key form, whose keys never meet the one-key locks of the migrator.
static LOCK_REQUEST_LOG: Sql = Sql::new(|| "SELECT pg_advisory_xact_lock(2009, 0)".into());

#[async_trait]
impl RequestLogStore for PgStore {
    async fn insert_requests(&self, entries: &[RequestEntry], keep: Retention) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        execute(&mut *tx, LOCK_REQUEST_LOG.postgres(), &[]).await?;
        // Every entry with one statement. Bodies are outside text and may hold NUL,
        // which PostgreSQL text cannot.
        let rows: Vec<Vec<_>> =
            entries.iter().map(|e| request_log::insert_params(e).iter().map(storable_value).collect()).collect();
        let (sql, arrays) = super::batch::unnest_insert("request_log", request_log::INSERT_COLUMNS, &rows, "")?;
        super::batch::bind_columns(sqlx::query(&sql), arrays).execute(&mut *tx).await?;
        execute(&mut *tx, request_log::TRIM_OLD_REQUESTS.postgres(), &args![keep.since_ms]).await?;
        for code in request_log::partners_of(entries) {
            let code = storable(&code);
            let code = code.as_ref();
            let count = first(&mut *tx, request_log::REQUEST_COUNT.postgres(), &args![code], |r| r.int(0)).await?;
            if let Some(excess) = count.and_then(|n| request_log::excess(n, keep.max)) {
                execute(&mut *tx, request_log::TRIM_REQUESTS.postgres(), &args![code, excess]).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn requests_after(
        &self,
        partner_code: Option<&str>,
        after_id: i64,
        limit: u32,
    ) -> StoreResult<Vec<RequestEntry>> {
        if partner_code.is_some_and(|p| impossible_key(&[p])) {
            return Ok(Vec::new());
        }
        let args = args![partner_code, after_id, limit];
        all(&self.pool, request_log::REQUESTS_AFTER.postgres(), &args, request_log::entry_from_row).await
    }

    async fn requests_before(
        &self,
        partner_code: Option<&str>,
        before_id: i64,
        limit: u32,
    ) -> StoreResult<Vec<RequestEntry>> {
        if partner_code.is_some_and(|p| impossible_key(&[p])) {
            return Ok(Vec::new());
        }
        let args = args![partner_code, before_id, limit];
        all(&self.pool, request_log::REQUESTS_BEFORE.postgres(), &args, request_log::entry_from_row).await
    }
}
