//! The sandbox's stores on SQLite: the test kit ([`TestKitStore`]) and the request
//! log ([`RequestLogStore`]), on the shared statements of
//! [`crate::store::sql::test_kit`] and [`crate::store::sql::request_log`].

use super::{SqliteStore, all, execute, first, prepared};
use crate::domain::request_log::{RequestEntry, Retention};
use crate::domain::test_kit::{DeliveryFault, NewFault};
use crate::store::StoreResult;
use crate::store::ports::{RequestLogStore, TestKitStore};
use crate::store::sql::SqlRow;
use crate::store::sql::params::owned;
use crate::store::sql::{args, request_log, test_kit, values};
use async_trait::async_trait;

#[async_trait]
impl TestKitStore for SqliteStore {
    async fn insert_fault(&self, fault: &NewFault) -> StoreResult<i64> {
        let args = owned(test_kit::fault_params(fault));
        self.write(move |c| {
            first(&mut *prepared(c, &test_kit::INSERT_FAULT)?, &args, |r| r.int(0))?
                .ok_or_else(|| crate::store::StoreError::Database("no id returned".into()))
        })
        .await
    }

    async fn partner_faults(&self, partner_code: &str) -> StoreResult<Vec<DeliveryFault>> {
        let args = owned(values![partner_code]);
        self.read(move |c| all(&mut *prepared(c, &test_kit::PARTNER_FAULTS)?, &args, test_kit::fault_from_row)).await
    }

    async fn clear_faults(&self, partner_code: &str) -> StoreResult<u64> {
        let args = owned(values![partner_code]);
        self.write(move |c| Ok(execute(&mut *prepared(c, &test_kit::CLEAR_FAULTS)?, &args)? as u64)).await
    }

    async fn fault_for(
        &self,
        partner_code: &str,
        trans_id: &str,
        created_at_ms: i64,
    ) -> StoreResult<Option<DeliveryFault>> {
        let args = owned(values![partner_code, trans_id, created_at_ms]);
        self.read(move |c| first(&mut *prepared(c, &test_kit::FAULT_FOR)?, &args, test_kit::fault_from_row)).await
    }

    async fn clear_order_faults(&self, partner_code: &str, trans_id: &str) -> StoreResult<u64> {
        let args = owned(values![partner_code, trans_id]);
        self.write(move |c| Ok(execute(&mut *prepared(c, &test_kit::CLEAR_ORDER_FAULTS)?, &args)? as u64)).await
    }

    async fn clock_offset(&self, partner_code: &str) -> StoreResult<i64> {
        let args = owned(values![partner_code]);
        self.read(move |c| Ok(first(&mut *prepared(c, &test_kit::CLOCK_OFFSET)?, &args, |r| r.int(0))?.unwrap_or(0)))
            .await
    }

    async fn advance_clock(&self, partner_code: &str, by_ms: i64) -> StoreResult<i64> {
        let args = owned(values![partner_code, by_ms]);
        self.write(move |c| {
            for st in &test_kit::ADVANCE_STATEMENTS {
                execute(&mut *prepared(c, st)?, &args)?;
            }
            first(&mut *prepared(c, &test_kit::ADVANCE_CLOCK)?, &args, |r| r.int(0))?
                .ok_or_else(|| crate::store::StoreError::Database("no offset returned".into()))
        })
        .await
    }
}

#[async_trait]
impl RequestLogStore for SqliteStore {
    async fn insert_requests(&self, entries: &[RequestEntry], keep: Retention) -> StoreResult<()> {
        let inserts: Vec<_> = entries.iter().map(|e| owned(request_log::insert_params(e))).collect();
        let partners = request_log::partners_of(entries);
        // One writer job: the inserts and the trims commit together.
        self.write(move |c| {
            let mut insert = prepared(c, &request_log::INSERT_REQUEST)?;
            for args in &inserts {
                first(&mut insert, args, |r| r.int(0))?;
            }
            execute(&mut *prepared(c, &request_log::TRIM_OLD_REQUESTS)?, &args![keep.since_ms])?;
            for code in &partners {
                let count =
                    first(&mut *prepared(c, &request_log::REQUEST_COUNT)?, &args![code.as_str()], |r| r.int(0))?;
                if let Some(excess) = count.and_then(|n| request_log::excess(n, keep.max)) {
                    execute(&mut *prepared(c, &request_log::TRIM_REQUESTS)?, &args![code.as_str(), excess])?;
                }
            }
            Ok(())
        })
        .await
    }

    async fn requests_after(
        &self,
        partner_code: Option<&str>,
        after_id: i64,
        limit: u32,
    ) -> StoreResult<Vec<RequestEntry>> {
        let args = owned(values![partner_code, after_id, limit]);
        self.read(move |c| all(&mut *prepared(c, &request_log::REQUESTS_AFTER)?, &args, request_log::entry_from_row))
            .await
    }

    async fn requests_before(
        &self,
        partner_code: Option<&str>,
        before_id: i64,
        limit: u32,
    ) -> StoreResult<Vec<RequestEntry>> {
        let args = owned(values![partner_code, before_id, limit]);
        self.read(move |c| all(&mut *prepared(c, &request_log::REQUESTS_BEFORE)?, &args, request_log::entry_from_row))
            .await
    }
}
