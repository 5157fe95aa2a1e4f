//! Idempotency keys: statements, parameters and row decoding.
//!
//! A claim is [`CLAIM_KEY`], then, when it changed no row, [`GET_KEY`] for what is
//! in the way; [`crate::domain::idempotency::decide`] takes it from there. The claim
//! inserts the key, or takes over a row that has expired or whose request died
//! (unanswered past its `locked_until_ms`, same fingerprint), in one statement: of
//! concurrent claims of one key, on any node, exactly one changes a row.

use super::rows::SqlRow;
use super::{Sql, Value, values};
use crate::domain::idempotency::{Claim, KeyRecord, StoredAnswer};
use crate::store::StoreResult;

/// Claims the key `$2` of partner `$1` for the request `$4` (fingerprint `$3`) until
/// `$5`, kept until `$6`, `$7` being now; returns the claim id when a row changed.
pub static CLAIM_KEY: Sql = Sql::new(|| {
    "INSERT INTO idempotency_keys \
     (partner_code, idem_key, fingerprint, claim_id, locked_until_ms, expires_at_ms) \
     VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (partner_code, idem_key) DO UPDATE SET fingerprint = excluded.fingerprint, \
     claim_id = excluded.claim_id, locked_until_ms = excluded.locked_until_ms, \
     expires_at_ms = excluded.expires_at_ms, status = NULL, content_type = NULL, error_detail = NULL, body = NULL \
     WHERE idempotency_keys.expires_at_ms <= $7 \
     OR (idempotency_keys.status IS NULL AND idempotency_keys.locked_until_ms <= $7 \
         AND idempotency_keys.fingerprint = excluded.fingerprint) \
     RETURNING claim_id"
        .into()
});

/// The record of the key `$2` of partner `$1`.
pub static GET_KEY: Sql = Sql::new(|| {
    "SELECT fingerprint, locked_until_ms, expires_at_ms, status, content_type, error_detail, body \
     FROM idempotency_keys WHERE partner_code = $1 AND idem_key = $2"
        .into()
});

/// Records the answer (`$4` status, `$5` content type, `$6` detail, `$7` body) of the
/// request `$3` holding the key `$2` of partner `$1`; no row changes if another
/// request took the key over.
pub static FINISH_KEY: Sql = Sql::new(|| {
    "UPDATE idempotency_keys SET status = $4, content_type = $5, error_detail = $6, body = $7 \
     WHERE partner_code = $1 AND idem_key = $2 AND claim_id = $3 AND status IS NULL"
        .into()
});

/// Forgets the keys kept until `$1` or earlier.
pub static PURGE_KEYS: Sql = Sql::new(|| "DELETE FROM idempotency_keys WHERE expires_at_ms <= $1".into());

/// The parameters of [`CLAIM_KEY`].
pub fn claim_params(c: &Claim, now_ms: i64) -> Vec<Value<'_>> {
    values![&c.partner_code, &c.key, &c.fingerprint, &c.claim_id, c.locked_until_ms, c.expires_at_ms, now_ms]
}

/// The parameters of [`FINISH_KEY`].
pub fn finish_params<'a>(c: &'a Claim, a: &'a StoredAnswer) -> Vec<Value<'a>> {
    values![
        &c.partner_code,
        &c.key,
        &c.claim_id,
        i64::from(a.status),
        &a.content_type,
        &a.error_detail,
        a.body.as_slice()
    ]
}

/// A row of [`GET_KEY`].
pub fn record_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<KeyRecord> {
    let answer = match r.int_opt(3)? {
        None => None,
        Some(status) => Some(StoredAnswer {
            status: u16::try_from(status).map_err(|_| super::rows::corrupt("idempotency answer status"))?,
            content_type: r.text_opt(4)?,
            error_detail: r.text_opt(5)?,
            body: r.bytes(6)?,
        }),
    };
    Ok(KeyRecord { fingerprint: r.text(0)?, locked_until_ms: r.int(1)?, expires_at_ms: r.int(2)?, answer })
}
