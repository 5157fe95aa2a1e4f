//! The operator's overview on PostgreSQL: the shared statements of
//! [`crate::store::sql::stats`], run one after the other on the pool (one
//! connection at a time, so the console never takes a busy node's pool).

use super::{PgStore, all};
use crate::domain::stats::{Span, StatsRows};
use crate::store::StoreResult;
use crate::store::ports::StatsStore;
use crate::store::sql::stats;
use async_trait::async_trait;

#[async_trait]
impl StatsStore for PgStore {
    async fn stats(&self, span: &Span) -> StoreResult<StatsRows> {
        let args = stats::span_params(span);
        let p = &self.pool;
        Ok(StatsRows {
            orders: all(p, stats::ORDER_COUNTS.postgres(), &args, stats::order_count_from_row).await?,
            attempts: all(p, stats::ATTEMPT_COUNTS.postgres(), &args, stats::attempt_count_from_row).await?,
            outbox: all(p, stats::OUTBOX_MOVES.postgres(), &args, stats::outbox_moves_from_row).await?,
            refunds: all(p, stats::REFUND_COUNTS.postgres(), &args, stats::refund_count_from_row).await?,
        })
    }
}
