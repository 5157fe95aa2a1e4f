//! The operator's overview: the store's aggregated rows for a window, folded into
//! the series the console draws ([`crate::domain::stats`]).

use super::{CoreError, Gateway};
use crate::domain::stats::{Overview, Window};

impl Gateway {
    /// The overview of `window` at `now_ms`: orders, success rate, IPN latencies and
    /// outcomes, outbox depth and refunds per bucket (see [`Overview`]). A few
    /// aggregating statements, whatever the traffic.
    pub async fn overview(&self, window: Window, now_ms: i64) -> Result<Overview, CoreError> {
        let rows = self.store.stats(&window.span(now_ms)).await?;
        let depth = self.store.outbox_depth().await?;
        Ok(Overview::build(window, now_ms, &rows, depth))
    }
}
