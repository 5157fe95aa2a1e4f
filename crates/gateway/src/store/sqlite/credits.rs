//! [`CreditStore`] on SQLite: the bank feeds' accounts and credits, on the shared
//! statements of [`crate::store::sql::credits`].

use super::{SqliteStore, all, execute, first, prepared};
use crate::domain::credit::{BankAccount, Credit, CreditStatus, FeedRecord, NewCredit};
use crate::store::StoreResult;
use crate::store::ports::CreditStore;
use crate::store::sql::SqlRow;
use crate::store::sql::params::owned;
use crate::store::sql::{args, credits, values};
use async_trait::async_trait;

#[async_trait]
impl CreditStore for SqliteStore {
    async fn set_partner_account(&self, partner_code: &str, account: &BankAccount, now_ms: i64) -> StoreResult<bool> {
        let args = owned(credits::account_params(partner_code, account, now_ms));
        self.write(move |c| Ok(execute(&mut *prepared(c, &credits::SET_ACCOUNT)?, &args)? == 1)).await
    }

    async fn clear_partner_account(&self, partner_code: &str) -> StoreResult<bool> {
        let args = owned(values![partner_code]);
        self.write(move |c| Ok(execute(&mut *prepared(c, &credits::CLEAR_ACCOUNT)?, &args)? == 1)).await
    }

    async fn partner_account(&self, partner_code: &str) -> StoreResult<Option<BankAccount>> {
        let args = owned(values![partner_code]);
        self.read(move |c| first(&mut *prepared(c, &credits::GET_ACCOUNT)?, &args, credits::account_from_row)).await
    }

    async fn insert_feed(&self, feed: &FeedRecord) -> StoreResult<bool> {
        let args = owned(credits::feed_params(feed));
        self.write(move |c| Ok(execute(&mut *prepared(c, &credits::INSERT_FEED)?, &args)? == 1)).await
    }

    async fn partner_feeds(&self, partner_code: &str) -> StoreResult<Vec<FeedRecord>> {
        let args = owned(values![partner_code]);
        self.read(move |c| all(&mut *prepared(c, &credits::PARTNER_FEEDS)?, &args, credits::feed_from_row)).await
    }

    async fn remove_feed(&self, partner_code: &str, feed_id: &str) -> StoreResult<bool> {
        let args = owned(values![partner_code, feed_id]);
        self.write(move |c| Ok(execute(&mut *prepared(c, &credits::REMOVE_FEED)?, &args)? == 1)).await
    }

    async fn due_feeds(&self, now_ms: i64, limit: u32) -> StoreResult<Vec<FeedRecord>> {
        let args = args![now_ms, limit];
        self.read(move |c| all(&mut *prepared(c, &credits::DUE_FEEDS)?, &args, credits::feed_from_row)).await
    }

    async fn take_reconciliation(&self, feed_id: &str, due_ms: i64, next_ms: i64) -> StoreResult<bool> {
        let args = owned(values![feed_id, due_ms, next_ms]);
        self.write(move |c| Ok(execute(&mut *prepared(c, &credits::TAKE_RECONCILIATION)?, &args)? == 1)).await
    }

    async fn insert_credit(&self, credit: &NewCredit) -> StoreResult<Option<i64>> {
        let args = owned(credits::credit_params(credit));
        self.write(move |c| first(&mut *prepared(c, &credits::INSERT_CREDIT)?, &args, |r| r.int(0))).await
    }

    async fn get_credit(&self, id: i64) -> StoreResult<Option<Credit>> {
        let args = args![id];
        self.read(move |c| first(&mut *prepared(c, &credits::GET_CREDIT)?, &args, credits::credit_from_row)).await
    }

    async fn find_credit(
        &self,
        partner_code: &str,
        provider: &str,
        provider_tx_id: &str,
    ) -> StoreResult<Option<Credit>> {
        let args = owned(values![partner_code, provider, provider_tx_id]);
        self.read(move |c| first(&mut *prepared(c, &credits::FIND_CREDIT)?, &args, credits::credit_from_row)).await
    }

    async fn same_transfer(&self, id: i64, credit: &NewCredit) -> StoreResult<Option<Credit>> {
        let args = owned(credits::same_transfer_params(id, credit));
        self.read(move |c| first(&mut *prepared(c, &credits::SAME_TRANSFER)?, &args, credits::credit_from_row)).await
    }

    async fn decide_credit(
        &self,
        id: i64,
        status: CreditStatus,
        reason: Option<&str>,
        trans_id: Option<&str>,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let args = owned(values![id, status.as_str(), reason, trans_id, now_ms]);
        self.write(move |c| Ok(execute(&mut *prepared(c, &credits::DECIDE_CREDIT)?, &args)? == 1)).await
    }

    async fn resolve_credit(&self, id: i64, note: &str, now_ms: i64) -> StoreResult<bool> {
        let args = owned(values![id, note, now_ms]);
        self.write(move |c| Ok(execute(&mut *prepared(c, &credits::RESOLVE_CREDIT)?, &args)? == 1)).await
    }

    async fn list_credits(
        &self,
        partner_code: Option<&str>,
        status: Option<CreditStatus>,
        offset: u64,
        limit: u32,
    ) -> StoreResult<Vec<Credit>> {
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let args = owned(values![partner_code, status.map(CreditStatus::as_str), limit, offset]);
        self.read(move |c| all(&mut *prepared(c, &credits::LIST_CREDITS)?, &args, credits::credit_from_row)).await
    }

    async fn stale_credits(&self, before_ms: i64, limit: u32) -> StoreResult<Vec<Credit>> {
        let args = args![before_ms, limit];
        self.read(move |c| all(&mut *prepared(c, &credits::STALE_CREDITS)?, &args, credits::credit_from_row)).await
    }
}
