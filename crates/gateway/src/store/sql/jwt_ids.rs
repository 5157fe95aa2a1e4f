//! JWT ids used: statements and parameters.

use super::{Sql, Value, values};

/// Records the id `$2` of partner `$1` until `$3`, unless a record of it lasts
/// past `$4` (now): one row changed the first time, none for a replay.
pub static CLAIM_JTI: Sql = Sql::new(|| {
    "INSERT INTO jwt_ids (partner_code, jti, expires_at_ms) VALUES ($1, $2, $3) \
     ON CONFLICT (partner_code, jti) DO UPDATE SET expires_at_ms = excluded.expires_at_ms \
     WHERE jwt_ids.expires_at_ms < $4"
        .into()
});

/// Forgets the ids that expired before `$1`.
pub static PRUNE_JTIS: Sql = Sql::new(|| "DELETE FROM jwt_ids WHERE expires_at_ms < $1".into());

/// The parameters of [`CLAIM_JTI`].
pub fn claim_params<'a>(partner_code: &'a str, jti: &'a str, expires_at_ms: i64, now_ms: i64) -> Vec<Value<'a>> {
    values![partner_code, jti, expires_at_ms, now_ms]
}
