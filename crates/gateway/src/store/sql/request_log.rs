//! The sandbox's request log: statements, parameters and row decoding.
//!
//! Entries are inserted with [`INSERT_REQUEST`], a batch at a time, then
//! [`TRIM_OLD_REQUESTS`] and [`TRIM_REQUESTS`] (once per partner of the batch)
//! forget what the retention no
//! longer covers (every partner's entries past the age limit, the
//! inserting partner's beyond the count limit), so the log never grows past its
//! bounds. Readers page by id, which only increases: a follower asks for the entries
//! after the last id it printed.

use super::rows::{SqlRow, corrupt};
use super::{Sql, Value, values};
use crate::domain::request_log::{RequestEntry, Retention};
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

/// Forgets the entries of partner `$1` beyond its newest `$2` (by the partner
/// index). Apart from [`TRIM_OLD_REQUESTS`]: joined by `OR`, the two made
/// PostgreSQL scan the whole table.
pub static TRIM_REQUESTS: Sql = Sql::new(|| {
    "DELETE FROM request_log WHERE partner_code = $1 AND id <= \
     (SELECT id FROM request_log WHERE partner_code = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)"
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

/// The parameters of [`TRIM_REQUESTS`] after an insert for `partner_code`.
pub fn trim_params(partner_code: &str, keep: Retention) -> Vec<Value<'_>> {
    // Newest first, OFFSET max names the newest entry beyond the count: it and
    // every older one go.
    values![partner_code, keep.max]
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
