//! The operator's overview on SQLite: the shared statements of
//! [`crate::store::sql::stats`], all four on one reader connection.

use super::{SqliteStore, all};
use crate::domain::stats::{Span, StatsRows};
use crate::store::StoreResult;
use crate::store::ports::StatsStore;
use crate::store::sql::stats;
use async_trait::async_trait;

#[async_trait]
impl StatsStore for SqliteStore {
    async fn stats(&self, span: &Span) -> StoreResult<StatsRows> {
        let args = stats::span_params(span);
        self.read(move |c| {
            let run = |sql: &crate::store::sql::Sql| c.prepare_cached(sql.sqlite());
            Ok(StatsRows {
                orders: all(&mut *run(&stats::ORDER_COUNTS)?, &args, stats::order_count_from_row)?,
                attempts: all(&mut *run(&stats::ATTEMPT_COUNTS)?, &args, stats::attempt_count_from_row)?,
                outbox: all(&mut *run(&stats::OUTBOX_MOVES)?, &args, stats::outbox_moves_from_row)?,
                refunds: all(&mut *run(&stats::REFUND_COUNTS)?, &args, stats::refund_count_from_row)?,
            })
        })
        .await
    }
}
