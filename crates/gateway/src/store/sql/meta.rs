//! Facts about the database itself (`gateway_meta`): statements and row decoding.
//!
//! A claim is [`CLAIM_META`] then [`GET_META`]: the insert does nothing when the key
//! has a value (or waits for a concurrent insert of it to commit, then does
//! nothing), so the read that follows returns whichever value was stored first.

use super::Sql;
use super::rows::SqlRow;
use crate::store::StoreResult;

/// The value of the key `$1`.
pub static GET_META: Sql = Sql::new(|| "SELECT value FROM gateway_meta WHERE key = $1".into());

/// Records the value `$2` under the key `$1` unless it has one.
pub static CLAIM_META: Sql =
    Sql::new(|| "INSERT INTO gateway_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING".into());

/// Records the value `$2` under the key `$1`, replacing the one it had (the health
/// check's heartbeat).
pub static PUT_META: Sql = Sql::new(|| {
    "INSERT INTO gateway_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        .into()
});

/// A row of [`GET_META`].
pub fn meta_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<String> {
    r.text(0)
}
