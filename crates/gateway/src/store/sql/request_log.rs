//! The sandbox's request log: statements, parameters and row decoding.
//!
//! A batch of entries is written in one transaction: [`INSERT_REQUEST`] records
//! it, [`TRIM_OLD_REQUESTS`] forgets every partner's entries past the age limit,
//! and for each partner of the batch [`REQUEST_COUNT`] reads how many entries it
//! has; where that passes the bound, [`TRIM_REQUESTS`] deletes the partner's oldest
//! entries beyond it ([`excess`]). Readers page by id, which only increases: a
//! follower asks for the entries after the last id it printed.
//!
//! Why a count: finding where a partner's newest `max` entries end meant walking
//! all of them, at every batch (on PostgreSQL a thousand index entries and their
//! heap pages for the default bound, most of a millisecond, more than the batch's
//! insert). With the count, a batch deletes the few entries it pushed past the
//! bound, found from the oldest end, and walks nothing else. The count
//! (`request_log_counts`) is kept by triggers on the log, in each backend's
//! migration, so it follows every insert and delete, those of the age trim, of an
//! operator by hand or of an older node alike.

use super::rows::{SqlRow, corrupt};
use super::{Sql, Value, values};
use crate::domain::request_log::RequestEntry;
use crate::store::StoreResult;

/// The columns an entry is read with ([`entry_from_row`]).
const COLUMNS: &str = "id, partner_code, at_ms, method, path, query, status, error_code, latency_us, request_body, \
     response_body, signature_data, request_id";

/// Records an entry; returns its id.
pub static INSERT_REQUEST: Sql = Sql::new(|| {
    format!(
        "INSERT INTO request_log ({INSERT_COLUMNS}) VALUES ({}) RETURNING id",
        super::placeholders(1, super::column_count(INSERT_COLUMNS))
    )
});

/// The columns [`INSERT_REQUEST`] sets, in [`insert_params`]' order.
pub const INSERT_COLUMNS: &str = "partner_code, at_ms, method, path, query, status, error_code, latency_us, \
    request_body, response_body, signature_data, request_id";

/// Forgets every entry older than `$1` (by the age index).
pub static TRIM_OLD_REQUESTS: Sql = Sql::new(|| "DELETE FROM request_log WHERE at_ms < $1".into());

/// Partner `$1`'s number of entries, when it has any.
pub static REQUEST_COUNT: Sql = Sql::new(|| "SELECT entries FROM request_log_counts WHERE partner_code = $1".into());

/// Deletes partner `$1`'s oldest `$2` entries (by the partner index, from its
/// oldest end).
pub static TRIM_REQUESTS: Sql = Sql::new(|| {
    "DELETE FROM request_log WHERE id IN \
     (SELECT id FROM request_log WHERE partner_code = $1 ORDER BY id LIMIT $2)"
        .into()
});

/// Entries after id `$2`, of partner `$1` when not NULL, oldest first, at most `$3`.
pub static REQUESTS_AFTER: Sql = Sql::new(|| {
    format!(
        "SELECT {COLUMNS} FROM request_log WHERE ($1 IS NULL OR partner_code = $1) AND id > $2 \
         ORDER BY id LIMIT $3"
    )
});

/// Entries before id `$2`, of partner `$1` when not NULL, newest first, at most `$3`.
pub static REQUESTS_BEFORE: Sql = Sql::new(|| {
    format!(
        "SELECT {COLUMNS} FROM request_log WHERE ($1 IS NULL OR partner_code = $1) AND id < $2 \
         ORDER BY id DESC LIMIT $3"
    )
});

/// The parameters of [`INSERT_REQUEST`].
pub fn insert_params(e: &RequestEntry) -> Vec<Value<'_>> {
    values![
        &e.partner_code,
        e.at_ms,
        &e.method,
        &e.path,
        &e.query,
        i64::from(e.status),
        e.error_code,
        e.latency_us,
        &e.request_body,
        &e.response_body,
        &e.signature_data,
        &e.request_id
    ]
}

/// The partners of a batch of entries, each once, sorted.
pub fn partners_of(entries: &[RequestEntry]) -> Vec<String> {
    let mut codes: Vec<String> = entries.iter().map(|e| e.partner_code.clone()).collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// How many of its oldest entries a partner with `count` entries loses to keep its
/// newest `max`, when any.
pub fn excess(count: i64, max: u32) -> Option<i64> {
    let excess = count.saturating_sub(i64::from(max));
    (excess > 0).then_some(excess)
}

/// A row of [`REQUESTS_AFTER`] or [`REQUESTS_BEFORE`].
pub fn entry_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<RequestEntry> {
    Ok(RequestEntry {
        id: r.int(0)?,
        partner_code: r.text(1)?,
        at_ms: r.int(2)?,
        method: r.text(3)?,
        path: r.text(4)?,
        query: r.text_opt(5)?,
        status: u16::try_from(r.int(6)?).map_err(|_| corrupt("request log status"))?,
        error_code: r.int_opt(7)?,
        latency_us: r.int(8)?,
        request_body: r.text(9)?,
        response_body: r.text(10)?,
        signature_data: r.text_opt(11)?,
        request_id: r.text_opt(12)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(code: &str) -> RequestEntry {
        RequestEntry {
            id: 0,
            partner_code: code.into(),
            at_ms: 0,
            method: "POST".into(),
            path: "/".into(),
            query: None,
            status: 200,
            error_code: None,
            latency_us: 0,
            request_body: String::new(),
            response_body: String::new(),
            signature_data: None,
            request_id: None,
        }
    }

    #[test]
    fn partners_are_named_once_each_in_order() {
        let entries: Vec<_> = ["B", "A", "", "B", "B", "A"].into_iter().map(entry).collect();
        assert_eq!(partners_of(&entries), ["", "A", "B"]);
        assert!(partners_of(&[]).is_empty());
    }

    #[test]
    fn only_what_passes_the_bound_is_deleted() {
        assert_eq!(excess(1_000, 1_000), None);
        assert_eq!(excess(3, 1_000), None);
        assert_eq!(excess(0, 1), None);
        assert_eq!(excess(1_015, 1_000), Some(15));
        assert_eq!(excess(8, 3), Some(5));
        assert_eq!(excess(i64::MAX, 0), Some(i64::MAX));
        assert_eq!(excess(i64::MIN, u32::MAX), None);
    }
}
