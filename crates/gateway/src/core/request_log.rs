//! The sandbox's request log in the core: recording a partner API call within the
//! configured bounds, and reading the log back for `logs tail`. What an entry keeps
//! and masks is the domain's ([`crate::domain::request_log`]); which calls are
//! recorded, and only in the sandbox, the API layer decides (`api::debugger`).

use super::{CoreError, Gateway, now_ms};
use crate::domain::request_log::{RequestEntry, Retention};

impl Gateway {
    /// Records a call, forgetting entries older than `sandbox_request_log_ttl` and
    /// the partner's beyond the newest `sandbox_request_log_max`; returns its id.
    pub async fn record_request(&self, entry: &RequestEntry) -> Result<i64, CoreError> {
        let ttl_ms = i64::try_from(self.config.sandbox_request_log_ttl.as_millis()).unwrap_or(i64::MAX);
        let keep = Retention { since_ms: now_ms().saturating_sub(ttl_ms), max: self.config.sandbox_request_log_max };
        Ok(self.store.insert_request(entry, keep).await?)
    }

    /// Logged calls after `after_id`, of one partner when given, oldest first.
    pub async fn requests_after(
        &self,
        partner_code: Option<&str>,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<RequestEntry>, CoreError> {
        Ok(self.store.requests_after(partner_code, after_id, limit).await?)
    }

    /// Logged calls before `before_id`, of one partner when given, newest first.
    pub async fn requests_before(
        &self,
        partner_code: Option<&str>,
        before_id: i64,
        limit: u32,
    ) -> Result<Vec<RequestEntry>, CoreError> {
        Ok(self.store.requests_before(partner_code, before_id, limit).await?)
    }
}
