//! [`CreditStore`] on PostgreSQL: the bank feeds' accounts and credits, on the
//! shared statements of [`crate::store::sql::credits`], with the NUL rules of
//! [`super`].

use super::{PgStore, all, execute, first, impossible_key, storable_value};
use crate::domain::credit::{BankAccount, Credit, CreditStatus, FeedRecord, NewCredit};
use crate::store::StoreResult;
use crate::store::ports::CreditStore;
use crate::store::sql::{SqlRow, args, credits};
use async_trait::async_trait;

#[async_trait]
impl CreditStore for PgStore {
    async fn set_partner_account(&self, partner_code: &str, account: &BankAccount, now_ms: i64) -> StoreResult<bool> {
        let args: Vec<_> = credits::account_params(partner_code, account, now_ms).iter().map(storable_value).collect();
        Ok(execute(&self.pool, credits::SET_ACCOUNT.postgres(), &args).await? == 1)
    }

    async fn clear_partner_account(&self, partner_code: &str) -> StoreResult<bool> {
        if impossible_key(&[partner_code]) {
            return Ok(false);
        }
        Ok(execute(&self.pool, credits::CLEAR_ACCOUNT.postgres(), &args![partner_code]).await? == 1)
    }

    async fn partner_account(&self, partner_code: &str) -> StoreResult<Option<BankAccount>> {
        if impossible_key(&[partner_code]) {
            return Ok(None);
        }
        first(&self.pool, credits::GET_ACCOUNT.postgres(), &args![partner_code], credits::account_from_row).await
    }

    async fn insert_feed(&self, feed: &FeedRecord) -> StoreResult<bool> {
        let args: Vec<_> = credits::feed_params(feed).iter().map(storable_value).collect();
        Ok(execute(&self.pool, credits::INSERT_FEED.postgres(), &args).await? == 1)
    }

    async fn partner_feeds(&self, partner_code: &str) -> StoreResult<Vec<FeedRecord>> {
        if impossible_key(&[partner_code]) {
            return Ok(Vec::new());
        }
        all(&self.pool, credits::PARTNER_FEEDS.postgres(), &args![partner_code], credits::feed_from_row).await
    }

    async fn remove_feed(&self, partner_code: &str, feed_id: &str) -> StoreResult<bool> {
        if impossible_key(&[partner_code, feed_id]) {
            return Ok(false);
        }
        Ok(execute(&self.pool, credits::REMOVE_FEED.postgres(), &args![partner_code, feed_id]).await? == 1)
    }

    async fn due_feeds(&self, now_ms: i64, limit: u32) -> StoreResult<Vec<FeedRecord>> {
        all(&self.pool, credits::DUE_FEEDS.postgres(), &args![now_ms, limit], credits::feed_from_row).await
    }

    async fn take_reconciliation(&self, feed_id: &str, due_ms: i64, next_ms: i64) -> StoreResult<bool> {
        let args = args![feed_id, due_ms, next_ms];
        Ok(execute(&self.pool, credits::TAKE_RECONCILIATION.postgres(), &args).await? == 1)
    }

    async fn insert_credit(&self, credit: &NewCredit) -> StoreResult<Option<i64>> {
        // A feed's text may hold NUL, which PostgreSQL text cannot.
        let args: Vec<_> = credits::credit_params(credit).iter().map(storable_value).collect();
        first(&self.pool, credits::INSERT_CREDIT.postgres(), &args, |r| r.int(0)).await
    }

    async fn get_credit(&self, id: i64) -> StoreResult<Option<Credit>> {
        first(&self.pool, credits::GET_CREDIT.postgres(), &args![id], credits::credit_from_row).await
    }

    async fn find_credit(
        &self,
        partner_code: &str,
        provider: &str,
        provider_tx_id: &str,
    ) -> StoreResult<Option<Credit>> {
        if impossible_key(&[partner_code, provider, provider_tx_id]) {
            return Ok(None);
        }
        let args = args![partner_code, provider, provider_tx_id];
        first(&self.pool, credits::FIND_CREDIT.postgres(), &args, credits::credit_from_row).await
    }

    async fn same_transfer(&self, id: i64, credit: &NewCredit) -> StoreResult<Option<Credit>> {
        let args: Vec<_> = credits::same_transfer_params(id, credit).iter().map(storable_value).collect();
        first(&self.pool, credits::SAME_TRANSFER.postgres(), &args, credits::credit_from_row).await
    }

    async fn decide_credit(
        &self,
        id: i64,
        status: CreditStatus,
        reason: Option<&str>,
        trans_id: Option<&str>,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let args: Vec<_> = args![id, status.as_str(), reason, trans_id, now_ms].iter().map(storable_value).collect();
        Ok(execute(&self.pool, credits::DECIDE_CREDIT.postgres(), &args).await? == 1)
    }

    async fn resolve_credit(&self, id: i64, note: &str, now_ms: i64) -> StoreResult<bool> {
        let args: Vec<_> = args![id, note, now_ms].iter().map(storable_value).collect();
        Ok(execute(&self.pool, credits::RESOLVE_CREDIT.postgres(), &args).await? == 1)
    }

    async fn list_credits(
        &self,
        partner_code: Option<&str>,
        status: Option<CreditStatus>,
        offset: u64,
        limit: u32,
    ) -> StoreResult<Vec<Credit>> {
        if partner_code.is_some_and(|p| impossible_key(&[p])) {
            return Ok(Vec::new());
        }
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let args = args![partner_code, status.map(CreditStatus::as_str), limit, offset];
        all(&self.pool, credits::LIST_CREDITS.postgres(), &args, credits::credit_from_row).await
    }

    async fn stale_credits(&self, before_ms: i64, limit: u32) -> StoreResult<Vec<Credit>> {
        all(&self.pool, credits::STALE_CREDITS.postgres(), &args![before_ms, limit], credits::credit_from_row).await
    }
}
